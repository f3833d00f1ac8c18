package team

import (
	"context"
	"time"
)

// Business is a tenant of the Business App: its team lives under its id.
type Business struct {
	ID   BusinessID
	Name string
	// Tabs are the tabs the business has enabled; only these can be granted.
	Tabs      Permissions
	CreatedAt time.Time
	// OwnerID and OwnerEmail name the business's one owner (invariant I9).
	OwnerID    string
	OwnerEmail string
	// Total is the exact number of users of the business, read with the
	// profile (0 when writing a Business).
	Total int64
	// Invited is the exact number of those users whose status is
	// StatusInvited, read with Total the same way (0 when writing a
	// Business).
	Invited int64
}

// User is a person who can sign in to a business. Optional fields are "" when
// unset.
type User struct {
	BusinessID BusinessID
	// ID names the person for as long as they are a user: it is made at the
	// invite ("usr_" + a ULID), kept through email changes, and new for every
	// invite, so a removed and re-invited person is a new user (I8).
	ID          string
	Email       string // normalised: trimmed and lower-cased
	FirstName   string
	LastName    string
	Phone       string // E.164
	Permissions Permissions
	InvitedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version starts at 1 and increases by one on every change.
	Version int64
	// IsOwner is true on the business's one owner only (invariant I9).
	IsOwner bool
	// Status is StatusInvited from the invite until the user's first
	// request to the business, StatusActive after it. Users stored before
	// the lifecycle existed have no status and count as active: they have
	// been signing in all along.
	Status UserStatus
	// InvitationExpiresAt is when an invited user's invitation stops
	// admitting them; zero for users invited before invitations expired.
	InvitationExpiresAt time.Time
	// InvitationSentAt is when the last welcome email was asked for.
	InvitationSentAt time.Time
	// ActivatedAt is when the user became active; zero until then.
	ActivatedAt time.Time
	// ProfileImageURL is the https URL of the picture the user's token
	// names (its picture claim), recorded at activation and kept current by
	// their requests; "" when no acceptable claim was seen.
	ProfileImageURL string

	// PhoneDisplay is Phone in international format for people ("+1
	// 415-555-0100"), computed where the phone is parsed (a write) so that
	// reads never load the phone library. "" when there is no phone, and
	// for users stored before the field existed until their contact info
	// is next changed or the backfill (cmd/backfill) fills it: reads
	// derive nothing.
	PhoneDisplay string
}

// UserStatus is where a user is in the invitation lifecycle (SPEC §2.3).
type UserStatus string

// The statuses of SPEC §4.
const (
	StatusInvited UserStatus = "invited"
	StatusActive  UserStatus = "active"
)

// IsManager reports whether the user holds the User Management permission.
func (u User) IsManager() bool { return u.Permissions.Has(TabUsers) }

// IsActive reports whether the user has made their first request (or
// predates the lifecycle, see Status).
func (u User) IsActive() bool { return u.Status != StatusInvited }

// EffectiveStatus is the status as clients see it: users without one are
// active.
func (u User) EffectiveStatus() UserStatus {
	if u.IsActive() {
		return StatusActive
	}
	return StatusInvited
}

// invitationExpired reports whether an invited user's invitation no longer
// admits them at now.
func (u User) invitationExpired(now time.Time) bool {
	return !u.IsActive() && !u.InvitationExpiresAt.IsZero() && !now.Before(u.InvitationExpiresAt)
}

// ActivityType names what happened to a user.
type ActivityType string

// The activity types of SPEC §4 that the service records. Every one must
// also be listed by ActivityTypes, which a test checks against this block.
const (
	ActivityUserAdded          ActivityType = "user.added"
	ActivityUserRemoved        ActivityType = "user.removed"
	ActivityPermissionsChanged ActivityType = "user.permissions_changed"
	ActivityContactChanged     ActivityType = "user.contact_changed"
	ActivityOwnerTransferred   ActivityType = "owner.transferred"
	ActivityUserActivated      ActivityType = "user.activated"
	ActivityInvitationResent   ActivityType = "user.invitation_resent"
)

// ActivityTypes returns every activity type the service can record. What
// reacts to activity (delivery's table of events and emails) is tested
// against this list, so that a new type cannot reach production without
// saying what it sets off.
func ActivityTypes() []ActivityType {
	return []ActivityType{ActivityUserAdded, ActivityUserRemoved, ActivityPermissionsChanged, ActivityContactChanged,
		ActivityOwnerTransferred, ActivityUserActivated, ActivityInvitationResent}
}

// Activity records who did what to whom and when. It is committed in the same
// transaction as the change it describes, which is what lets delivery to
// email and EventBridge never lose a change (SPEC §5).
type Activity struct {
	ID         string // time-ordered, unique; doubles as the event id
	BusinessID BusinessID
	Type       ActivityType
	Actor      string // email of the caller who made the change
	ActorID    string // id of the caller who made the change
	Target     Person // the user as it was after the change (before, for removals)
	At         time.Time
	Changes    Changes
	// InvitationExpiresAt is, on an activity that sends a welcome email
	// (an invite, a resend, a manager's change of the target's email),
	// until when the invitation it sends is valid: the email says so (SPEC
	// §5), and it must say what was committed, not what the user's record
	// says by the time the email goes out. Zero on every other activity,
	// and on records written before it was kept.
	InvitationExpiresAt time.Time
}

// Person is the contact information of a user as recorded in activity.
type Person struct {
	// ID is the user's id, which stays the same through email changes: the
	// activity list's userId filter follows it. "" in records written before
	// users had ids; such records are in no user's history.
	ID        string
	Email     string
	FirstName string
	LastName  string
	Phone     string
}

// Changes lists what a change did; only the fields that changed are set.
type Changes struct {
	Permissions *PermissionsChange
	Email       *FieldChange
	FirstName   *FieldChange
	LastName    *FieldChange
	Phone       *FieldChange
}

// IsZero reports whether nothing changed.
func (c Changes) IsZero() bool {
	return c.Permissions == nil && c.Email == nil && c.FirstName == nil && c.LastName == nil && c.Phone == nil
}

// PermissionsChange is the permission set before and after a change.
type PermissionsChange struct {
	From Permissions
	To   Permissions
}

// FieldChange is a contact field before and after a change ("" is unset).
type FieldChange struct {
	From string
	To   string
}

func personOf(u User) Person {
	return Person{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone}
}

// PageRequest asks for one page of a list.
type PageRequest struct {
	Limit  int    // 1..MaxPageSize
	Cursor string // opaque; "" for the first page
}

// Page sizes of SPEC §4.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// UserPage is one page of a list of users.
type UserPage struct {
	Users      []User
	NextCursor string // "" on the last page
	// Total and Invited are the business's exact counts (Business.Total
	// and Business.Invited), unfiltered. The Service sets them; stores
	// leave them 0.
	Total   int64
	Invited int64
}

// ActivityPage is one page of activity, newest first.
type ActivityPage struct {
	Activity   []Activity
	NextCursor string
}

// Mutation is one atomic change to a business's team: the store commits all
// of it or none of it, in a single transaction.
type Mutation struct {
	BusinessID BusinessID
	// Actor is the caller. Unless the actor is the user being changed, the
	// store checks in the same transaction that the actor is still an
	// active user of the business holding the users permission (invariant
	// I3). When the
	// actor is the changed user, the version condition on Before stands in
	// for that check: Before is the actor's own record, which the Service
	// authorised against.
	Actor string
	// Before is the user as read when the change was computed; nil when
	// creating. The store requires the stored user to still be at
	// Before's revision (id and version): a user removed and invited again
	// at the same address is another person, whatever their version.
	Before *User
	// After is the user to store; nil when removing. A new email (After.Email
	// differs from Before.Email, or Before is nil) must not exist yet.
	After *User
	// RequireTabs must all be enabled for the business at commit time.
	RequireTabs Permissions
	// Activity is recorded with the change.
	Activity Activity
	// EmailBudget is set on a change that sends a welcome or notice email
	// (invites, resends, a manager's change of someone's email): it is the
	// business's budget of such emails in any rolling hour (EmailWindow),
	// and the change uses one of them. The store commits the change only
	// together with the use of a budget slot free at Activity.At, so that
	// concurrent changes never exceed the budget (invariant I10), and
	// otherwise refuses it with *EmailBudgetError, writing nothing. 0: the
	// change sends no email and is not counted.
	EmailBudget int
	// LimitResend marks a resend of the user's invitation, of which SPEC §4
	// allows one per user every ResendInterval. The store commits it only
	// while the stored user's InvitationSentAt allows a resend at
	// Activity.At (ResendAllowed), checked by the same transaction that
	// writes it, and otherwise refuses it with *ResendTooSoonError, writing
	// nothing.
	LimitResend bool
	// SkipActivity commits the user change without an activity record: a
	// change nobody acted on (the caller's picture claim changed). The
	// store still uses Activity.ID as the request's idempotency token.
	SkipActivity bool
}

// EmailWindow is the rolling window of a Mutation's EmailBudget (SPEC §4:
// "in any rolling hour").
const EmailWindow = time.Hour

// ResendInterval is how long after an invitation was sent the same user's
// invitation can be sent again (SPEC §4: "at most one resend every 5
// minutes").
const ResendInterval = 5 * time.Minute

// NextResendAt is the first instant at which an invitation sent at sentAt
// can be sent again: ResendInterval after sentAt rounded up to the whole
// second. Whole seconds make the rule one that a DynamoDB condition decides
// exactly on the stored RFC 3339 text (internal/dynamo's resendCondition);
// the interval is therefore at least ResendInterval and less than a second
// longer.
func NextResendAt(sentAt time.Time) time.Time {
	up := sentAt.Truncate(time.Second)
	if up.Before(sentAt) {
		up = up.Add(time.Second)
	}
	return up.Add(ResendInterval)
}

// ResendAllowed reports whether an invitation last sent at sentAt (zero:
// never, or before it was recorded) may be sent again at now.
func ResendAllowed(sentAt, now time.Time) bool {
	return sentAt.IsZero() || !now.Before(NextResendAt(sentAt))
}

// Store is the persistence the Service needs. Implementations must honour
// every condition of a Mutation atomically.
type Store interface {
	// Business returns the business with its owner and exact user count
	// (Total), read together. Errors: ErrNotFound.
	Business(ctx context.Context, businessID BusinessID) (Business, error)
	// User returns a user by normalised email, read consistently.
	// Errors: ErrNotFound.
	User(ctx context.Context, businessID BusinessID, email string) (User, error)
	// Member returns a user by normalised email for deciding that user's
	// access: read consistently together with the business, and not found
	// when the business does not exist or no longer does (deleted, while
	// its users are still being removed). Errors: ErrNotFound.
	Member(ctx context.Context, businessID BusinessID, email string) (User, error)
	// Users returns a page of the users the query keeps (UserQuery.Matches),
	// in the query's order (UserQuery.Compare). A cursor is valid only with
	// the business and query (UserQuery.Key) it was issued for. A filtered
	// page may hold fewer than page.Limit users while NextCursor is not ""
	// (the store bounds the work of one call); paging until NextCursor is
	// "" returns every kept user exactly once, provided nobody changes
	// meanwhile. Errors: ErrInvalidCursor.
	Users(ctx context.Context, businessID BusinessID, query UserQuery, page PageRequest) (UserPage, error)
	// Activity returns a page of the activity the filter keeps, newest
	// first. A cursor is valid only with the business and filter it was
	// issued for. A filtered page may hold fewer than page.Limit records
	// while NextCursor is not "" (the store bounds the work of one call);
	// paging until NextCursor is "" returns every kept record exactly once.
	// Filters may read an index that lags the table by a moment, which is
	// acceptable for history (never for authorisation). Errors:
	// ErrInvalidCursor.
	Activity(ctx context.Context, businessID BusinessID, filter ActivityFilter, page PageRequest) (ActivityPage, error)
	// Apply commits a Mutation atomically. A Mutation that creates a user
	// (Before nil) adds one to the business's user count and one that
	// removes a user (After nil) takes one off; an email change leaves it.
	// The owner's record cannot be removed or moved to another email.
	// Errors, in order of precedence: ErrActorNotAllowed, ErrTabsNotEnabled
	// (wrapped in *TabsNotEnabledError when the store knows the enabled
	// tabs), ErrNotFound (Before is gone), ErrOwnerProtected (Before is the
	// owner and would be removed or re-addressed), ErrStale (Before
	// changed), ErrUserExists (the new email is taken), ErrEmailBudgetSpent
	// (wrapped in *EmailBudgetError: the Mutation has an EmailBudget and
	// every slot of it was used within the last EmailWindow before
	// Activity.At). A store may report ErrEmailBudgetSpent ahead of the
	// others: the DynamoDB store learns that the budget is spent from its
	// read of the budget and then sends no transaction at all. The Service
	// has authorised the caller before.
	Apply(ctx context.Context, m Mutation) error
	// TransferOwnership hands the business's ownership from one user to
	// another in one atomic step: the old owner's record loses the owner
	// mark, the new owner's gains it, the business names the new owner and
	// the activity is recorded, or nothing changes. Errors, in order of
	// precedence: ErrActorNotAllowed (From is no longer the owner, or is
	// another person), ErrNotFound (To is gone), ErrStale (To changed since
	// it was read, or no longer holds the users permission).
	TransferOwnership(ctx context.Context, t Transfer) error
}

// Transfer is one hand-over of ownership, computed from the two records as
// read. Both records are stored with their version increased by one and
// UpdatedAt set to At.
type Transfer struct {
	BusinessID BusinessID
	// From is the owner (the caller) as read; To is the new owner as read.
	From, To User
	At       time.Time
	Activity Activity
}

// TabsNotEnabledError carries the tabs a business had enabled when a
// Mutation requiring other tabs was refused.
type TabsNotEnabledError struct {
	Enabled Permissions
}

// Error implements error.
func (e *TabsNotEnabledError) Error() string { return ErrTabsNotEnabled.Error() }

// Unwrap lets errors.Is(err, ErrTabsNotEnabled) match.
func (e *TabsNotEnabledError) Unwrap() error { return ErrTabsNotEnabled }
