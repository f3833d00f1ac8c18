package team

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Clock tells the time; tests pass a fixed one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC, to the millisecond: timestamps
// stay short in JSON and survive a round trip through storage unchanged.
type SystemClock struct{}

// Now returns the current time in UTC, truncated to the millisecond.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// IDSource makes unique, time-ordered ids for activity records.
type IDSource interface {
	NewID(at time.Time) string
}

// ULIDSource makes ULIDs: 26 characters, sortable by time, unique without
// coordination (80 random bits per millisecond).
type ULIDSource struct{}

// NewID returns a ULID for the instant.
func (ULIDSource) NewID(at time.Time) string {
	return ulid.MustNew(ulid.Timestamp(at), rand.Reader).String()
}

// maxAttempts bounds how often a write is recomputed when the user changed
// between the read and the commit. Each attempt loses only to a write that
// succeeded, so reaching the bound needs sustained contention on one user.
const maxAttempts = 5

// Service holds the rules of team management: who may do what, and the
// invariants of SPEC §3. Every method takes the caller's normalised email
// (from the verified token) and the business id from the path, parsed once
// by the caller with ParseBusinessID.
type Service struct {
	store  Store
	clock  Clock
	ids    IDSource
	phones PhoneNormalizer
	// emailBudget is every Mutation's EmailBudget that sends an email.
	emailBudget int
	ttl         time.Duration
	// inviteWorkers is how many InviteSeveral entries run at a time; 0
	// means DefaultInviteSeveralWorkers.
	inviteWorkers int
}

// DefaultEmailBudget is how many welcome and notice emails a business may
// send in any rolling hour unless configured otherwise (SPEC §4,
// INVITE_RATE).
const DefaultEmailBudget = 100

// DefaultInvitationTTL is how long an invitation admits its invitee when
// the deployment does not say (SPEC §2.3: 14 days).
const DefaultInvitationTTL = 14 * 24 * time.Hour

// Option configures a Service.
type Option func(*Service)

// WithEmailBudget sets how many welcome and notice emails a business may
// send in any rolling hour (SPEC §4's INVITE_RATE); values below 1 keep
// DefaultEmailBudget.
func WithEmailBudget(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.emailBudget = n
		}
	}
}

// WithInvitationTTL sets how long an invitation admits its invitee
// (INVITATION_TTL, read by the composition root). Non-positive values keep
// the default.
func WithInvitationTTL(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.ttl = d
		}
	}
}

// PhoneNormalizer parses the phone numbers of invitations and contact
// changes; internal/phone has the one implementation. It is a dependency
// rather than a call so that only the functions whose operations parse
// phones link the phone library (its init is a cold-start cost).
type PhoneNormalizer interface {
	// NormalizePhone returns raw in E.164, "" for an empty input (the
	// field is cleared), or an error whose text is the reason shown to the
	// user.
	NormalizePhone(raw string) (string, error)
	// DisplayPhone returns a number NormalizePhone returned in
	// international format for people ("+1 415-555-0100"), "" for "".
	// It is called on writes only, and stored (User.PhoneDisplay).
	DisplayPhone(e164 string) string
}

// NewService returns a Service over the store. phones may be nil in a
// process that serves only operations that parse no phone numbers (reads,
// permissions, removal); the wiring refuses to start a phone-parsing
// operation without one.
func NewService(store Store, clock Clock, ids IDSource, phones PhoneNormalizer, opts ...Option) *Service {
	s := &Service{store: store, clock: clock, ids: ids, phones: phones, emailBudget: DefaultEmailBudget, ttl: DefaultInvitationTTL}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// emailBudgetSpent turns a Store's refusal for want of email budget into
// rate_limited with the wait until a slot frees up, in whole seconds
// rounded up (so that a client that waits exactly that long succeeds),
// at least one. It returns nil for any other error.
func emailBudgetSpent(err error, now time.Time) *Error {
	var spent *EmailBudgetError
	if !errors.As(err, &spent) {
		return nil
	}
	wait := max(spent.RetryAt.Sub(now), time.Nanosecond)
	wait = (wait + time.Second - 1) / time.Second * time.Second
	return &Error{Code: CodeRateLimited, RetryAfter: wait, Err: err,
		Message: fmt.Sprintf("This business has sent as many invitation and notice emails as it may in one hour; retry in %s.", wait)}
}

// errNoPhones answers InviteUser and UpdateContact in a Service built
// without a PhoneNormalizer: a wiring bug, so a server error rather than
// the caller's mistake, and whatever the input, so that it cannot hide
// behind requests without a phone.
var errNoPhones = errors.New("team: this Service was built without a PhoneNormalizer, which InviteUser and UpdateContact need")

var (
	errNotMember  = Errorf(CodeForbidden, "You do not have access to this business.")
	errNotManager = Errorf(CodeForbidden, "You need the User Management permission (the Users tab) to do this.")
)

func userNotFound(email string) *Error {
	return Errorf(CodeNotFound, "There is no user %s in this business.", email)
}

func userExists(email string) *Error {
	return &Error{
		Code:    CodeUserExists,
		Message: fmt.Sprintf("%s already belongs to a user of this business.", email),
		Fields:  map[string]string{"email": "This email already belongs to a user of this business."},
		Err:     ErrUserExists,
	}
}

// ownerProtected answers a change to the owner's record that only the owner
// may make (invariant I9).
func ownerProtected(what string) *Error {
	return Errorf(CodeOwnerProtected, "Only the owner can %s; ask the owner to hand on ownership first.", what)
}

func preconditionFailed(current int64) *Error {
	return Errorf(CodePreconditionFailed, "The user was changed by someone else (it is now at version %d); reload and try again.", current)
}

// Revision names one state of one user: the user's id and version. An
// ETag is a Revision, so that a tag taken from a removed user never matches
// the user invited again at that address (invariant I8).
type Revision struct {
	ID      string
	Version int64
}

// RevisionOf returns the revision a user is at.
func RevisionOf(u User) Revision { return Revision{ID: u.ID, Version: u.Version} }

// Precondition says which revisions of a user a change may apply to. The
// zero value, AnyVersion, lets a change apply to whatever it reads
// (retrying when someone else writes in between); OnlyRevisions pins it to
// the revisions a client last saw, and the change is refused with
// precondition_failed when the user has moved on or is another person.
type Precondition struct {
	pinned    bool
	revisions []Revision
}

// AnyVersion is the Precondition of an unconditional change.
var AnyVersion = Precondition{}

// OnlyRevisions returns a Precondition met only by the listed revisions.
// With none it is never met: a client that pinned a revision the service
// never issued must not have its change applied.
func OnlyRevisions(revisions ...Revision) Precondition {
	return Precondition{pinned: true, revisions: slices.Clone(revisions)}
}

// allows reports whether a change may apply to the user as read.
func (p Precondition) allows(u User) bool {
	return !p.pinned || slices.Contains(p.revisions, RevisionOf(u))
}

// UserIDPrefix starts every user id, so that ids of users are told apart
// from other ids (activity ids) at a glance.
const UserIDPrefix = "usr_"

// readPair reads the caller's user and something else at the same time, so
// that an authorised read costs one round trip.
func readPair[T any](ctx context.Context, s *Service, businessID BusinessID, caller string, other func(context.Context) (T, error)) (User, error, T, error) {
	var (
		wg       sync.WaitGroup
		me       User
		meErr    error
		value    T
		valueErr error
	)
	wg.Go(func() { me, meErr = s.store.Member(ctx, businessID, caller) })
	value, valueErr = other(ctx)
	wg.Wait()
	return me, meErr, value, valueErr
}

// authorize turns the caller's record (or the error reading it) into an
// access decision, and admits an invited caller: their first request to the
// business activates them (SPEC §2.3), whatever the route. It returns the
// caller as they are after that. Errors: forbidden, invitation_expired.
func (s *Service) authorize(ctx context.Context, businessID BusinessID, me User, err error, needManager bool) (User, error) {
	switch {
	case errors.Is(err, ErrNotFound):
		return User{}, errNotMember
	case err != nil:
		return User{}, fmt.Errorf("read caller: %w", err)
	}
	if !me.IsActive() {
		if me, err = s.activate(ctx, businessID, me); err != nil {
			return User{}, err
		}
	}
	if me, err = s.refreshPicture(ctx, businessID, me); err != nil {
		return User{}, err
	}
	if needManager && !me.IsManager() {
		return User{}, errNotManager
	}
	return me, nil
}

// refreshPicture records the caller's token picture when it differs from
// the one stored: one conditional write on the record read, with no
// activity, and only then. A lost race (the caller changed meanwhile)
// leaves it to the caller's next request. Errors: those of the store.
func (s *Service) refreshPicture(ctx context.Context, businessID BusinessID, me User) (User, error) {
	pic := callerPicture(ctx)
	if pic == "" || pic == me.ProfileImageURL || !me.IsActive() {
		return me, nil
	}
	now := s.clock.Now()
	after := me
	after.ProfileImageURL, after.UpdatedAt, after.Version = pic, now, me.Version+1
	err := s.store.Apply(ctx, Mutation{
		BusinessID: businessID, Actor: me.Email, Before: &me, After: &after, SkipActivity: true,
		Activity: Activity{ID: s.ids.NewID(now), BusinessID: businessID},
	})
	switch {
	case err == nil:
		return after, nil
	case errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound):
		return me, nil
	default:
		return User{}, fmt.Errorf("record caller picture: %w", err)
	}
}

var errInvitationExpired = Errorf(CodeInvitationExpired,
	"Your invitation to this business has expired; ask a manager of the business to resend it.")

// activate makes an invited caller active: one transaction that changes the
// caller's record only if it is still the invited user read (its id and
// version), with the user.activated activity. Of concurrent first requests
// exactly one commits; the others find the caller changed, read again and
// continue with whatever they find. Errors: forbidden (removed meanwhile),
// invitation_expired.
//
// The condition is the store's usual one on the record read (id and
// version) rather than the design's `id = :id AND status = invited`: the
// version read was an invited one, so it implies that status, and since the
// write replaces the whole record, only the version also keeps a concurrent
// manager's change (permissions, names) from being overwritten.
func (s *Service) activate(ctx context.Context, businessID BusinessID, me User) (User, error) {
	for attempt := 1; ; attempt++ {
		if me.IsActive() {
			return me, nil
		}
		now := s.clock.Now()
		if me.invitationExpired(now) {
			return User{}, errInvitationExpired
		}
		after := me
		after.Status, after.ActivatedAt, after.UpdatedAt, after.Version = StatusActive, now, now, me.Version+1
		if pic := callerPicture(ctx); pic != "" {
			after.ProfileImageURL = pic
		}
		err := s.store.Apply(ctx, Mutation{
			BusinessID: businessID, Actor: me.Email, Before: &me, After: &after,
			Activity: Activity{ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityUserActivated,
				Actor: me.Email, ActorID: me.ID, Target: personOf(after), At: now},
		})
		switch {
		case err == nil:
			return after, nil
		case (errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound)) && attempt < maxAttempts:
			// Another request activated (or changed, or removed) the caller
			// first: read again and decide on what is there now.
			me, err = s.store.Member(ctx, businessID, me.Email)
			if errors.Is(err, ErrNotFound) {
				return User{}, errNotMember
			}
			if err != nil {
				return User{}, fmt.Errorf("read caller: %w", err)
			}
		default:
			return User{}, fmt.Errorf("activate caller: %w", err)
		}
	}
}

// denyOrElse is used on error paths where answering with err would tell an
// outsider something about the business (that a user exists, its version):
// it answers forbidden unless the caller is allowed to know.
func (s *Service) denyOrElse(ctx context.Context, businessID BusinessID, caller string, needManager bool, err error) error {
	me, readErr := s.store.Member(ctx, businessID, caller)
	if _, denied := s.authorize(ctx, businessID, me, readErr, needManager); denied != nil {
		return denied
	}
	return err
}

// ListTabs returns the tabs the business has enabled, in display order.
// Any user of the business may call it. Errors: forbidden.
func (s *Service) ListTabs(ctx context.Context, caller string, businessID BusinessID) ([]Tab, error) {
	me, meErr, biz, bizErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (Business, error) {
		return s.store.Business(ctx, businessID)
	})
	if _, err := s.authorize(ctx, businessID, me, meErr, false); err != nil {
		return nil, err
	}
	if errors.Is(bizErr, ErrNotFound) {
		// A user whose business profile is missing is a data error, but it
		// must not be mistaken for "no tabs enabled".
		return nil, fmt.Errorf("business %s has users but no profile: %w", businessID, bizErr)
	}
	if bizErr != nil {
		return nil, fmt.Errorf("read business: %w", bizErr)
	}
	return biz.Tabs.Tabs(), nil
}

// GetBusiness returns the business: its name, enabled tabs, owner and exact
// number of users (read together). Any user of the business may call it.
// Errors: forbidden.
func (s *Service) GetBusiness(ctx context.Context, caller string, businessID BusinessID) (Business, error) {
	me, meErr, biz, bizErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (Business, error) {
		return s.store.Business(ctx, businessID)
	})
	if _, err := s.authorize(ctx, businessID, me, meErr, false); err != nil {
		return Business{}, err
	}
	if errors.Is(bizErr, ErrNotFound) {
		return Business{}, fmt.Errorf("business %s has users but no profile: %w", businessID, bizErr)
	}
	if bizErr != nil {
		return Business{}, fmt.Errorf("read business: %w", bizErr)
	}
	return biz, nil
}

// ListUsers returns a page of the users the query (from ParseUserQuery)
// keeps, in its order, with the business's exact total and invited counts.
// Managers only. The caller, the business and the page are read at the same
// time. Errors: invalid_request (bad limit, a tab the business has not
// enabled, or a cursor not issued for this business and query), forbidden.
func (s *Service) ListUsers(ctx context.Context, caller string, businessID BusinessID, query UserQuery, page PageRequest) (UserPage, error) {
	if err := validatePage(page); err != nil {
		return UserPage{}, err
	}
	var (
		wg     sync.WaitGroup
		biz    Business
		bizErr error
	)
	wg.Go(func() { biz, bizErr = s.store.Business(ctx, businessID) })
	me, meErr, users, usersErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (UserPage, error) {
		return s.store.Users(ctx, businessID, query, page)
	})
	wg.Wait()
	if _, err := s.authorize(ctx, businessID, me, meErr, true); err != nil {
		return UserPage{}, err
	}
	if errors.Is(bizErr, ErrNotFound) {
		return UserPage{}, fmt.Errorf("business %s has users but no profile: %w", businessID, bizErr)
	}
	if bizErr != nil {
		return UserPage{}, fmt.Errorf("read business: %w", bizErr)
	}
	if query.Tab != "" && !biz.Tabs.Has(query.Tab) {
		msg := fmt.Sprintf("The tab %q is not enabled for this business. Enabled tabs: %s.", query.Tab, joinTabs(biz.Tabs))
		return UserPage{}, InvalidField("tab", msg)
	}
	if err := pageError(usersErr); err != nil {
		return UserPage{}, fmt.Errorf("list users: %w", err)
	}
	users.Total, users.Invited = biz.Total, biz.Invited
	return users, nil
}

// ListActivity returns a page of the business's activity that the filter
// (from ParseActivityFilter) keeps, newest first. Managers only. Errors:
// invalid_request (bad limit, or a cursor not issued for this business and
// filter), forbidden.
func (s *Service) ListActivity(ctx context.Context, caller string, businessID BusinessID, filter ActivityFilter, page PageRequest) (ActivityPage, error) {
	if err := validatePage(page); err != nil {
		return ActivityPage{}, err
	}
	me, meErr, acts, actsErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (ActivityPage, error) {
		return s.store.Activity(ctx, businessID, filter, page)
	})
	if _, err := s.authorize(ctx, businessID, me, meErr, true); err != nil {
		return ActivityPage{}, err
	}
	if err := pageError(actsErr); err != nil {
		return ActivityPage{}, fmt.Errorf("list activity: %w", err)
	}
	return acts, nil
}

func validatePage(page PageRequest) error {
	if page.Limit < 1 || page.Limit > MaxPageSize {
		return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("limit must be between 1 and %d.", MaxPageSize),
			Fields: map[string]string{"limit": fmt.Sprintf("Use a whole number from 1 to %d.", MaxPageSize)}}
	}
	return nil
}

func pageError(err error) error {
	if errors.Is(err, ErrInvalidCursor) {
		return &Error{Code: CodeInvalidRequest, Message: "The cursor is not valid for this list; start again from the first page.",
			Fields: map[string]string{"cursor": "Use the nextCursor value of the previous page, unchanged."}, Err: err}
	}
	return err
}

// GetUser returns one user. Managers may read anyone; every user may read
// themselves. Errors: invalid_request, forbidden, not_found.
func (s *Service) GetUser(ctx context.Context, caller string, businessID BusinessID, rawEmail string) (User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return User{}, err
	}
	if email == caller {
		me, err := s.store.Member(ctx, businessID, caller)
		return s.authorize(ctx, businessID, me, err, false)
	}
	me, meErr, target, targetErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (User, error) {
		return s.store.User(ctx, businessID, email)
	})
	if _, err := s.authorize(ctx, businessID, me, meErr, true); err != nil {
		return User{}, err
	}
	if errors.Is(targetErr, ErrNotFound) {
		return User{}, userNotFound(email)
	}
	if targetErr != nil {
		return User{}, fmt.Errorf("read user: %w", targetErr)
	}
	return target, nil
}

// Invitation is the input of InviteUser, as the client sent it.
type Invitation struct {
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// Permissions are tab ids; nil means every tab enabled for the business.
	Permissions []string
}

// InviteUser adds a user to the business (managers only). It is one
// transaction: the caller's permission, the new email's absence and the
// tabs' being enabled are all checked at commit. The welcome email follows
// from the activity record it commits, and uses one of the business's
// email budget for the hour. Errors: invalid_request, forbidden,
// user_exists, rate_limited (the budget is spent; nothing is written, and
// the error's RetryAfter says when to retry).
func (s *Service) InviteUser(ctx context.Context, caller string, businessID BusinessID, in Invitation) (User, error) {
	return s.invite(ctx, caller, businessID, in, nil)
}

// invitedBy is what InviteSeveral read once for all its entries, before
// any of them: the caller, authorized, and the business's tabs when some
// entry grants the default (tabsRead).
type invitedBy struct {
	me       User
	tabs     Permissions
	tabsRead bool
}

// invite is InviteUser. When known is not nil its first attempt uses the
// caller and tabs read there instead of reading them again: the
// transaction checks the caller's permission and the tabs at commit
// either way, so the answer is the same, one round trip sooner. A retry
// (the tabs changed) reads afresh.
func (s *Service) invite(ctx context.Context, caller string, businessID BusinessID, in Invitation, known *invitedBy) (User, error) {
	if s.phones == nil {
		return User{}, errNoPhones
	}
	email, emailErr := NormalizeEmail(in.Email)
	first, firstErr := NormalizeName(in.FirstName)
	last, lastErr := NormalizeName(in.LastName)
	phone, phoneErr := s.phones.NormalizePhone(in.Phone)
	var perms Permissions
	var permsErr error
	if in.Permissions != nil {
		perms, permsErr = ParsePermissions(in.Permissions)
	}
	if err := JoinInvalid(emailErr, Field("firstName", firstErr), Field("lastName", lastErr),
		phoneFieldError(phoneErr), permsErr); err != nil {
		return User{}, err
	}
	for attempt := 1; ; attempt++ {
		var (
			me     User
			tabs   Permissions
			tabErr error
		)
		if known != nil && attempt == 1 && (in.Permissions != nil || known.tabsRead) {
			me, tabs = known.me, known.tabs
		} else {
			// The caller is read on every attempt, beside the business's
			// tabs when the invite grants the default, and decided on first.
			read, meErr, biz, bizErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (Business, error) {
				if in.Permissions != nil {
					return Business{}, nil
				}
				return s.store.Business(ctx, businessID)
			})
			var err error
			if me, err = s.authorize(ctx, businessID, read, meErr, true); err != nil {
				return User{}, err
			}
			tabs, tabErr = biz.Tabs, bizErr
		}
		if email == caller {
			// The caller's own record would be both checked and created in
			// one transaction, which DynamoDB refuses; the answer is known.
			return User{}, userExists(email)
		}
		granted := perms
		if in.Permissions == nil {
			if errors.Is(tabErr, ErrNotFound) {
				return User{}, errNotMember
			}
			if tabErr != nil {
				return User{}, fmt.Errorf("read business: %w", tabErr)
			}
			granted = tabs
		}
		now := s.clock.Now()
		user := User{
			BusinessID: businessID, ID: UserIDPrefix + s.ids.NewID(now), Email: email, FirstName: first, LastName: last, Phone: phone,
			Permissions: granted, InvitedBy: caller, CreatedAt: now, UpdatedAt: now, Version: 1,
			Status: StatusInvited, InvitationExpiresAt: now.Add(s.ttl), InvitationSentAt: now,
		}
		user.PhoneDisplay = s.phones.DisplayPhone(phone)
		err := s.store.Apply(ctx, Mutation{
			BusinessID:  businessID,
			Actor:       caller,
			After:       &user,
			RequireTabs: granted,
			EmailBudget: s.emailBudget, // the welcome email
			Activity: Activity{
				ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityUserAdded, Actor: caller, ActorID: me.ID,
				Target: personOf(user), At: now, InvitationExpiresAt: user.InvitationExpiresAt,
				Changes: Changes{Permissions: &PermissionsChange{From: Permissions{}, To: granted}},
			},
		})
		switch {
		case err == nil:
			return user, nil
		case errors.Is(err, ErrActorNotAllowed):
			return User{}, s.denyOrElse(ctx, businessID, caller, true, errNotManager)
		case errors.Is(err, ErrUserExists):
			return User{}, userExists(email)
		case errors.Is(err, ErrTabsNotEnabled) && in.Permissions == nil && attempt < maxAttempts:
			continue // the business changed its tabs after we read them
		case errors.Is(err, ErrTabsNotEnabled):
			return User{}, tabsNotEnabled(granted, err)
		case errors.Is(err, ErrEmailBudgetSpent):
			return User{}, emailBudgetSpent(err, now)
		default:
			return User{}, fmt.Errorf("invite user: %w", err)
		}
	}
}

func tabsNotEnabled(requested Permissions, err error) *Error {
	msg := "Only tabs enabled for this business can be granted."
	var tn *TabsNotEnabledError
	if errors.As(err, &tn) {
		missing := requested.Missing(tn.Enabled)
		msg = fmt.Sprintf("These tabs are not enabled for this business: %s. Enabled tabs: %s.",
			joinTabs(missing), joinTabs(tn.Enabled))
	}
	return &Error{Code: CodeInvalidRequest, Message: msg, Fields: map[string]string{"permissions": msg}, Err: err}
}

func joinTabs(p Permissions) string {
	if len(p) == 0 {
		return "none"
	}
	s := ""
	for i, id := range p {
		if i > 0 {
			s += ", "
		}
		s += string(id)
	}
	return s
}

// update reads the caller and the target together, decides on the caller
// first, lets change compute the new state, and commits it conditioned on
// the revision it read; when someone else wrote in between it starts over,
// unless the client pinned the revisions it accepts.
//
// Deciding on the caller before looking at the target means an outsider's
// request makes the same database requests and gets the same answer whether
// the target exists or not. needManager says whether the caller must hold
// the users permission. change returns the mutation to apply, or nil when
// there is nothing to do; update stamps the caller's id on its activity. A
// change that sends an email (a resend, a manager's change of someone
// else's email) sets the mutation's EmailBudget to s.emailBudget; update
// answers rate_limited when the budget is spent.
func (s *Service) update(ctx context.Context, caller string, businessID BusinessID, email string, pre Precondition, needManager bool,
	change func(target User, now time.Time) (*Mutation, error)) (User, error) {
	for attempt := 1; ; attempt++ {
		var me, target User
		var meErr, targetErr error
		if email == caller {
			me, meErr = s.store.Member(ctx, businessID, caller)
			target, targetErr = me, meErr
		} else {
			me, meErr, target, targetErr = readPair(ctx, s, businessID, caller, func(ctx context.Context) (User, error) {
				return s.store.User(ctx, businessID, email)
			})
		}
		me, err := s.authorize(ctx, businessID, me, meErr, needManager)
		if err != nil {
			return User{}, err
		}
		if email == caller {
			target = me // as activated, when this was the first request
		}
		if errors.Is(targetErr, ErrNotFound) {
			return User{}, userNotFound(email)
		}
		if targetErr != nil {
			return User{}, fmt.Errorf("read user: %w", targetErr)
		}
		if !pre.allows(target) {
			return User{}, preconditionFailed(target.Version)
		}
		now := s.clock.Now()
		m, err := change(target, now)
		if err != nil {
			return User{}, err
		}
		if m == nil {
			return target, nil
		}
		m.Activity.ActorID = me.ID
		err = s.store.Apply(ctx, *m)
		switch {
		case err == nil:
			if m.After == nil {
				return User{}, nil
			}
			return *m.After, nil
		case errors.Is(err, ErrActorNotAllowed):
			return User{}, s.denyOrElse(ctx, businessID, caller, true, errNotManager)
		case errors.Is(err, ErrTabsNotEnabled):
			return User{}, tabsNotEnabled(m.RequireTabs, err)
		case errors.Is(err, ErrNotFound):
			return User{}, userNotFound(email)
		case errors.Is(err, ErrOwnerProtected) && attempt < maxAttempts:
			// The target became the owner after it was read; the next read
			// sees it and the change's own rule answers.
			continue
		case errors.Is(err, ErrOwnerProtected):
			return User{}, ownerProtected("remove the owner or change the owner's email")
		case errors.Is(err, ErrStale) && pre.pinned:
			return User{}, Errorf(CodePreconditionFailed, "The user was changed by someone else; reload and try again.")
		case errors.Is(err, ErrStale) && attempt < maxAttempts:
			continue
		case errors.Is(err, ErrStale):
			return User{}, &Error{Code: CodeRateLimited, Err: err,
				Message: "This user is being changed by several people at once; retry in a moment."}
		case errors.Is(err, ErrUserExists) && m.After != nil:
			return User{}, userExists(m.After.Email)
		case errors.Is(err, ErrEmailBudgetSpent):
			return User{}, emailBudgetSpent(err, now)
		case errors.Is(err, ErrResendTooSoon):
			return User{}, resendTooSoon(err, now)
		default:
			return User{}, fmt.Errorf("update user: %w", err)
		}
	}
}

// SetPermissions replaces a user's permissions (managers only). A manager may
// change their own, except that they cannot give up users or administration
// (invariant I2). Errors: invalid_request, forbidden, not_found,
// precondition_failed, self_lockout, owner_protected (the owner's
// permissions, changed by someone else).
func (s *Service) SetPermissions(ctx context.Context, caller string, businessID BusinessID, rawEmail string, tabIDs []string, pre Precondition) (User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return User{}, err
	}
	if tabIDs == nil {
		return User{}, InvalidFields(map[string]string{"permissions": "Send the list of tab ids the user may see (it may be empty)."})
	}
	perms, err := ParsePermissions(tabIDs)
	if err != nil {
		return User{}, err
	}
	return s.update(ctx, caller, businessID, email, pre, true, func(target User, now time.Time) (*Mutation, error) {
		if email == caller {
			for _, keep := range []TabID{TabUsers, TabAdministration} {
				if target.Permissions.Has(keep) && !perms.Has(keep) {
					return nil, &Error{Code: CodeSelfLockout,
						Message: fmt.Sprintf("You cannot remove your own %s permission; ask another manager to do it.", keep),
						Fields:  map[string]string{"permissions": fmt.Sprintf("Keep %q: you cannot remove your own access to it.", keep)}}
				}
			}
		}
		if target.IsOwner && email != caller {
			return nil, ownerProtected("change the owner's permissions")
		}
		if slices.Equal(target.Permissions, perms) {
			return nil, nil
		}
		after := target
		after.Permissions, after.UpdatedAt, after.Version = perms, now, target.Version+1
		// Only tabs being granted must be enabled: a tab the business has
		// since disabled must not block saving the rest of the set.
		return &Mutation{
			BusinessID: businessID, Actor: caller, Before: &target, After: &after, RequireTabs: perms.Missing(target.Permissions),
			Activity: Activity{
				ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityPermissionsChanged, Actor: caller,
				Target: personOf(after), At: now,
				Changes: Changes{Permissions: &PermissionsChange{From: target.Permissions, To: perms}},
			},
		}, nil
	})
}

// ContactPatch is the input of UpdateContact: nil fields are left alone, ""
// clears an optional field.
type ContactPatch struct {
	Email     *string
	FirstName *string
	LastName  *string
	Phone     *string
}

// UpdateContact changes a user's contact information. Managers may change
// anyone's; every user may change their own names and phone, but not their
// own email, which is how they sign in (invariant I2). A new email must not
// belong to another user of the business; the old and new records are
// swapped in one transaction, so there are never two or none (invariant
// I1). A manager's change of someone's email invites them again at the new
// address (SPEC §2.5): the user is invited with a new expiry, and the
// change uses one of the business's email budget, since it sends a welcome
// email to the new address and a notice to the old one. The stored
// phoneDisplay is computed from the phone on every change. Errors:
// invalid_request, forbidden, not_found, precondition_failed, user_exists,
// self_lockout (the caller's own email), owner_protected (the owner's
// email, changed by someone else), rate_limited (the email budget is
// spent; nothing is written).
func (s *Service) UpdateContact(ctx context.Context, caller string, businessID BusinessID, rawEmail string, patch ContactPatch, pre Precondition) (User, error) {
	if s.phones == nil {
		return User{}, errNoPhones
	}
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return User{}, err
	}
	var errs []error
	normalize := func(name string, p *string, f func(string) (string, error)) *string {
		if p == nil {
			return nil
		}
		v, err := f(*p)
		errs = append(errs, Field(name, err))
		return &v
	}
	newEmail := normalize("email", patch.Email, NormalizeEmail)
	first := normalize("firstName", patch.FirstName, NormalizeName)
	last := normalize("lastName", patch.LastName, NormalizeName)
	phone := normalize("phone", patch.Phone, func(raw string) (string, error) {
		v, err := s.phones.NormalizePhone(raw)
		return v, phoneFieldError(err)
	})
	if err := JoinInvalid(errs...); err != nil {
		return User{}, err
	}
	if newEmail != nil && *newEmail == caller && email != caller {
		// Moving another user onto the caller's own email: the caller's record
		// would be checked and created in one transaction, which DynamoDB
		// refuses; the answer is known anyway.
		return User{}, s.denyOrElse(ctx, businessID, caller, true, userExists(caller))
	}
	return s.update(ctx, caller, businessID, email, pre, email != caller, func(target User, now time.Time) (*Mutation, error) {
		after := target
		var ch Changes
		set := func(dst *string, v *string, change **FieldChange) {
			if v != nil && *v != *dst {
				*change = &FieldChange{From: *dst, To: *v}
				*dst = *v
			}
		}
		set(&after.Email, newEmail, &ch.Email)
		set(&after.FirstName, first, &ch.FirstName)
		set(&after.LastName, last, &ch.LastName)
		set(&after.Phone, phone, &ch.Phone)
		if ch.Email != nil && email == caller {
			return nil, errOwnEmail
		}
		if ch.Email != nil && target.IsOwner {
			return nil, ownerProtected("change the owner's email")
		}
		if ch.IsZero() {
			return nil, nil
		}
		// Recomputed from whatever phone is stored, so that a user stored
		// before phoneDisplay existed gets it with their next change.
		after.PhoneDisplay = s.phones.DisplayPhone(after.Phone)
		after.UpdatedAt, after.Version = now, target.Version+1
		m := &Mutation{
			BusinessID: businessID, Actor: caller, Before: &target, After: &after,
			Activity: Activity{
				ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityContactChanged, Actor: caller,
				Target: personOf(after), At: now, Changes: ch,
			},
		}
		if ch.Email != nil {
			reinvite(&after, now, s.ttl)
			m.Activity.InvitationExpiresAt = after.InvitationExpiresAt
			m.EmailBudget = s.emailBudget // the welcome email to the new address and the notice to the old one
		}
		return m, nil
	})
}

var errOwnEmail = &Error{Code: CodeSelfLockout,
	Message: "You cannot change your own email address: it is how you sign in. Ask a manager of the business to change it.",
	Fields:  map[string]string{"email": "Your own email address cannot be changed here."}}

// reinvite makes a user whose email a manager changed an invitee at the new
// address (SPEC §2.5, §4 "Status"): whoever reads the new address has not
// signed in with it yet. The id stays (it follows the person); the
// activation and the picture, which came from the old address's sign-in,
// go.
func reinvite(u *User, now time.Time, ttl time.Duration) {
	u.Status, u.InvitationExpiresAt, u.InvitationSentAt = StatusInvited, now.Add(ttl), now
	u.ActivatedAt, u.ProfileImageURL = time.Time{}, ""
}

// RemoveUser removes a user from the business (managers only); they lose
// access on their next request. Nobody can remove themselves (invariant I2).
// The owner cannot be removed (invariant I9). Errors: invalid_request,
// forbidden, not_found, precondition_failed, self_lockout, owner_protected.
func (s *Service) RemoveUser(ctx context.Context, caller string, businessID BusinessID, rawEmail string, pre Precondition) error {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, caller, businessID, email, pre, true, func(target User, now time.Time) (*Mutation, error) {
		if email == caller {
			return nil, Errorf(CodeSelfLockout, "You cannot remove yourself; ask another manager to do it.")
		}
		if target.IsOwner {
			return nil, ownerProtected("remove the owner")
		}
		return &Mutation{
			BusinessID: businessID, Actor: caller, Before: &target,
			Activity: Activity{
				ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityUserRemoved, Actor: caller,
				Target: personOf(target), At: now,
			},
		}, nil
	})
	return err
}

// TransferOwnership hands the business's ownership to another active
// manager (invariant I9). Only the owner may call it. The caller's and the
// new owner's records and the business change in one transaction,
// conditioned on the caller still being the owner and the new owner still
// being at the version read (which holds the users permission), so exactly
// one owner exists at every instant. It returns the new owner. Errors:
// invalid_request, forbidden (not the owner), not_found, owner_protected
// (the new owner is not an active manager, or is the caller).
func (s *Service) TransferOwnership(ctx context.Context, caller string, businessID BusinessID, rawEmail string) (User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return User{}, Field("email", err)
	}
	for attempt := 1; ; attempt++ {
		me, meErr, target, targetErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (User, error) {
			if email == caller {
				return User{}, nil
			}
			return s.store.User(ctx, businessID, email)
		})
		me, err := s.authorize(ctx, businessID, me, meErr, false)
		if err != nil {
			return User{}, err
		}
		if !me.IsOwner {
			return User{}, Errorf(CodeForbidden, "Only the owner can hand on ownership.")
		}
		if email == caller {
			return User{}, Errorf(CodeOwnerProtected, "You are already the owner; choose another manager.")
		}
		if errors.Is(targetErr, ErrNotFound) {
			return User{}, userNotFound(email)
		}
		if targetErr != nil {
			return User{}, fmt.Errorf("read user: %w", targetErr)
		}
		if !target.IsManager() || !target.IsActive() {
			return User{}, &Error{Code: CodeOwnerProtected,
				Message: fmt.Sprintf("Ownership can only go to an active manager; %s does not hold the User Management permission or is not active.", email),
				Fields:  map[string]string{"email": "Choose an active user who holds the User Management permission (the Users tab)."}}
		}
		now := s.clock.Now()
		after := target
		after.IsOwner, after.UpdatedAt, after.Version = true, now, target.Version+1
		err = s.store.TransferOwnership(ctx, Transfer{
			BusinessID: businessID, From: me, To: target, At: now,
			Activity: Activity{
				ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityOwnerTransferred, Actor: caller, ActorID: me.ID,
				Target: personOf(after), At: now,
			},
		})
		switch {
		case err == nil:
			return after, nil
		case errors.Is(err, ErrActorNotAllowed) && attempt < maxAttempts:
			continue // the caller changed (or lost ownership); read again and decide
		case errors.Is(err, ErrNotFound):
			return User{}, userNotFound(email)
		case errors.Is(err, ErrStale) && attempt < maxAttempts:
			continue
		case errors.Is(err, ErrStale), errors.Is(err, ErrActorNotAllowed):
			return User{}, &Error{Code: CodeRateLimited, Err: err,
				Message: "The owner or the new owner is being changed by several people at once; retry in a moment."}
		default:
			return User{}, fmt.Errorf("transfer ownership: %w", err)
		}
	}
}

// ResendInvitation sends an invited user's invitation again (managers
// only): a new welcome email and a new expiry, now + INVITATION_TTL, also
// when the invitation has expired (that is what a resend is for). It is
// one transaction with the user's new state, the user.invitation_resent
// activity (which the welcome email follows from) and the use of a slot of
// the business's email budget, and the store commits it only while the
// user's last invitation went out at least ResendInterval ago (SPEC §4).
// It honours pre (If-Match). Errors: invalid_request, forbidden,
// not_found, precondition_failed, already_active (the user is active: there
// is no invitation to resend), rate_limited (the user's last invitation
// was sent too recently, or the business's email budget for the hour is
// spent; RetryAfter says when to retry, and nothing is written).
func (s *Service) ResendInvitation(ctx context.Context, caller string, businessID BusinessID, rawEmail string, pre Precondition) (User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return User{}, err
	}
	return s.update(ctx, caller, businessID, email, pre, true, func(target User, now time.Time) (*Mutation, error) {
		if target.IsActive() {
			return nil, Errorf(CodeAlreadyActive,
				"%s is already active in this business: there is no invitation to resend.", email)
		}
		after := target
		after.InvitationExpiresAt, after.InvitationSentAt = now.Add(s.ttl), now
		after.UpdatedAt, after.Version = now, target.Version+1
		return &Mutation{
			BusinessID: businessID, Actor: caller, Before: &target, After: &after,
			EmailBudget: s.emailBudget, // the welcome email
			LimitResend: true,
			Activity: Activity{
				ID: s.ids.NewID(now), BusinessID: businessID, Type: ActivityInvitationResent, Actor: caller,
				Target: personOf(after), At: now, InvitationExpiresAt: after.InvitationExpiresAt,
			},
		}, nil
	})
}

// resendTooSoon turns a Store's refusal of a resend within ResendInterval
// of the last one into rate_limited with the wait in whole seconds,
// rounded up, at least one.
func resendTooSoon(err error, now time.Time) *Error {
	wait := time.Second
	var soon *ResendTooSoonError
	if errors.As(err, &soon) {
		wait = max(soon.RetryAt.Sub(now), time.Nanosecond)
		wait = (wait + time.Second - 1) / time.Second * time.Second
	}
	return &Error{Code: CodeRateLimited, RetryAfter: wait, Err: err,
		Message: fmt.Sprintf("This user's invitation was sent less than %s ago; retry in %s.", ResendInterval, wait)}
}

// phoneFieldError files a refused phone number under "phone". NormalizePhone
// still returns plain errors whose text is the reason (it is moving to a
// package of its own), so this is the one place that text becomes a field.
func phoneFieldError(err error) error {
	if err == nil {
		return nil
	}
	return InvalidField("phone", err.Error())
}
