package dynamo

import (
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

// Storage records are kept apart from the domain types so the table's
// attribute names are decided here and nowhere else.

// Attribute names of the table's items (the keys' are AttrPK and AttrSK,
// the delivery marks' are in ledger.go). The decoders, the condition
// expressions and the stream decoding use these constants. The records'
// dynamodbav tags, which attributevalue writes items with, cannot name a
// constant, so they spell the same names once more:
// TestRecordTagsAreAttributeNames checks every tag against this block.
const (
	attrEntity      = "entity"
	attrID          = "id"
	attrName        = "name"
	attrTabs        = "tabs"
	attrCreatedAt   = "createdAt"
	attrUpdatedAt   = "updatedAt"
	attrBusinessID  = "businessId"
	attrEmail       = "email"
	attrFirstName   = "firstName"
	attrLastName    = "lastName"
	attrPhone       = "phone"
	attrPermissions = "permissions"
	attrInvitedBy   = "invitedBy"
	attrVersion     = "version"
	attrStatus      = "status"
	attrExpiresAt   = "invitationExpiresAt"
	attrSentAt      = "invitationSentAt"
	attrActivatedAt = "activatedAt"
	attrPicture     = "profileImageUrl"
	attrType        = "type"
	attrActor       = "actor"
	attrActorID     = "actorId"
	attrTarget      = "target"
	attrAt          = "at"
	attrChanges     = "changes"
	attrFrom        = "from"
	attrTo          = "to"
	attrSlots       = "slots"
	// The owner (invariant I9): the profile names them, and their user item
	// alone carries owner = true.
	attrOwnerID    = "ownerId"
	attrOwnerEmail = "ownerEmail"
	attrOwner      = "owner"
	// attrUsers is a counter shard's part of the business's user count,
	// attrInvited its part of the count of invited users.
	attrUsers   = "users"
	attrInvited = "invited"

	// attrPhoneDisplay is left out of users stored before it existed.
	attrPhoneDisplay = "phoneDisplay"
	// Provisioning (provision.go): the revision of the platform's event
	// applied last, and the tombstone a BusinessDeleted leaves.
	attrRevision    = "revision"
	attrDeleted     = "deleted"
	attrDeletedAt   = "deletedAt"
	attrPurged      = "purged"
	attrPurgedItems = "purgedItems"
)

// The partition-key attributes of the activity indexes (keys.go builds
// their values). Exported for the benchmarks' bare queries, like AttrPK.
const (
	AttrByUserPK = "ByUserPK"
	AttrByTypePK = "ByTypePK"
)

// The key attributes of the user list's indexes (keys.go builds their
// values). ByStatus's sort key is the table's SK.
const (
	AttrStatusPK = "StatusPK"
	AttrNamePK   = "NamePK"
	AttrNameSK   = "NameSK"
	AttrNewestPK = "NewestPK"
	AttrNewestSK = "NewestSK"
)

// rateRecord is one shard of a business's email budget (rate.go): slot
// number → epoch milliseconds of the send that last used the slot.
type rateRecord struct {
	PK     string           `dynamodbav:"PK"`
	SK     string           `dynamodbav:"SK"`
	Entity string           `dynamodbav:"entity"`
	Slots  map[string]int64 `dynamodbav:"slots"`
}

type profileRecord struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Entity    string    `dynamodbav:"entity"`
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	Tabs      []string  `dynamodbav:"tabs,stringset,omitempty"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	// Left out on profiles written before businesses had owners.
	OwnerID    string `dynamodbav:"ownerId,omitempty"`
	OwnerEmail string `dynamodbav:"ownerEmail,omitempty"`
	// Revision is the platform's revision applied last; left out on
	// businesses created before provisioning (any revision is newer).
	Revision int64 `dynamodbav:"revision,omitempty"`
	// Deleted marks the tombstone of a deleted business, which keeps its
	// revision so that older events stay ignored; the business does not
	// exist for any request. Purged is set once its data is removed, and
	// PurgedItems counts the items removed so far.
	Deleted     bool       `dynamodbav:"deleted,omitempty"`
	DeletedAt   *time.Time `dynamodbav:"deletedAt,omitempty"`
	Purged      bool       `dynamodbav:"purged,omitempty"`
	PurgedItems int64      `dynamodbav:"purgedItems,omitempty"`
}

func toProfileRecord(b team.Business) profileRecord {
	return profileRecord{
		PK: businessPK(b.ID), SK: profileSK, Entity: EntityBusiness,
		ID: b.ID.String(), Name: b.Name, Tabs: b.Tabs.Strings(), CreatedAt: b.CreatedAt,
		OwnerID: b.OwnerID, OwnerEmail: b.OwnerEmail,
	}
}

func (r profileRecord) business() team.Business {
	return team.Business{ID: team.BusinessID(r.ID), Name: r.Name, Tabs: team.PermissionsOf(r.Tabs), CreatedAt: r.CreatedAt,
		OwnerID: r.OwnerID, OwnerEmail: r.OwnerEmail}
}

// counterRecord is one shard of a business's user count. Invites add one
// to a random shard and removals take one off another, so a shard may go
// negative; the sum over the shards is exact. Spreading the count over
// counterShards items keeps concurrent invites from conflicting on one
// item (DynamoDB cancels transactions that overlap on an item).
type counterRecord struct {
	PK    string `dynamodbav:"PK"`
	SK    string `dynamodbav:"SK"`
	Users int64  `dynamodbav:"users"`
	// Invited is the shard's part of the count of invited users, kept by
	// the same transactions the same way (absent on shards written before
	// it was counted).
	Invited int64 `dynamodbav:"invited,omitempty"`
}

type userRecord struct {
	PK          string    `dynamodbav:"PK"`
	SK          string    `dynamodbav:"SK"`
	Entity      string    `dynamodbav:"entity"`
	BusinessID  string    `dynamodbav:"businessId"`
	ID          string    `dynamodbav:"id"`
	Email       string    `dynamodbav:"email"`
	FirstName   string    `dynamodbav:"firstName,omitempty"`
	LastName    string    `dynamodbav:"lastName,omitempty"`
	Phone       string    `dynamodbav:"phone,omitempty"`
	Permissions []string  `dynamodbav:"permissions,stringset,omitempty"`
	InvitedBy   string    `dynamodbav:"invitedBy,omitempty"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
	Version     int64     `dynamodbav:"version"`
	// Owner is set on the owner's item only, so a condition can ask
	// attribute_not_exists(owner).
	Owner bool `dynamodbav:"owner,omitempty"`
	// The lifecycle: absent on users stored before it (they are active).
	Status              string     `dynamodbav:"status,omitempty"`
	InvitationExpiresAt *time.Time `dynamodbav:"invitationExpiresAt,omitempty"`
	InvitationSentAt    *time.Time `dynamodbav:"invitationSentAt,omitempty"`
	ActivatedAt         *time.Time `dynamodbav:"activatedAt,omitempty"`
	ProfileImageURL     string     `dynamodbav:"profileImageUrl,omitempty"`

	// PhoneDisplay is absent on users stored before it existed.
	PhoneDisplay string `dynamodbav:"phoneDisplay,omitempty"`

	// The keys of the user list's indexes (keys.go): the user's status
	// partition of ByStatus, ByName and ByNewest and their sort keys.
	// Absent on users stored before the indexes, who are missing from
	// those lists until the backfill (backfill.go) upgrades them.
	StatusPK string `dynamodbav:"StatusPK,omitempty"`
	NamePK   string `dynamodbav:"NamePK,omitempty"`
	NameSK   string `dynamodbav:"NameSK,omitempty"`
	NewestPK string `dynamodbav:"NewestPK,omitempty"`
	NewestSK string `dynamodbav:"NewestSK,omitempty"`
}

// userIndexRecord is one index item of the user list (keys.go): a tab the
// user holds, or one of the user's search terms. It names the user by
// email, which is how a list reads the user back; a tab's item also
// carries the user's keys in ByName and ByNewest, under the tab's
// partition, so that one tab's holders can be listed in those orders.
type userIndexRecord struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Entity   string `dynamodbav:"entity"`
	Email    string `dynamodbav:"email"`
	NamePK   string `dynamodbav:"NamePK,omitempty"`
	NameSK   string `dynamodbav:"NameSK,omitempty"`
	NewestPK string `dynamodbav:"NewestPK,omitempty"`
	NewestSK string `dynamodbav:"NewestSK,omitempty"`
}

// userIndexRecords returns the index items of the user, by sort key: one
// per tab held (every stored grant, also of tabs the business has since
// disabled: the list filter only accepts enabled tabs) and one per search
// term. A write of the user deletes the items of the user as read that are
// not here and puts those that are new or changed.
func userIndexRecords(u team.User) map[string]userIndexRecord {
	pk := businessPK(u.BusinessID)
	out := make(map[string]userIndexRecord, len(u.Permissions)+2)
	name, newest := nameSK(u), newestSK(u)
	for _, tab := range u.Permissions {
		sk := tabSK(tab, u.Email)
		out[sk] = userIndexRecord{PK: pk, SK: sk, Entity: EntityUserIndex, Email: u.Email,
			NamePK: tabPK(u.BusinessID, tab), NameSK: name, NewestPK: tabPK(u.BusinessID, tab), NewestSK: newest}
	}
	full, last := team.SearchTerms(u)
	for _, sk := range []string{fullTermSK(full, u.Email), lastTermSK(last, u.Email)} {
		if sk != "" {
			out[sk] = userIndexRecord{PK: pk, SK: sk, Entity: EntityUserIndex, Email: u.Email}
		}
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func toUserRecord(u team.User) userRecord {
	return userRecord{
		PK: businessPK(u.BusinessID), SK: userSK(u.Email), Entity: EntityUser,
		BusinessID: u.BusinessID.String(), ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone,
		Permissions: u.Permissions.Strings(), InvitedBy: u.InvitedBy,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version, Owner: u.IsOwner,
		Status: string(u.Status), InvitationExpiresAt: timePtr(u.InvitationExpiresAt),
		InvitationSentAt: timePtr(u.InvitationSentAt), ActivatedAt: timePtr(u.ActivatedAt),
		ProfileImageURL: u.ProfileImageURL, PhoneDisplay: u.PhoneDisplay,
		StatusPK: statusPK(u.BusinessID, u.EffectiveStatus()),
		NamePK:   statusPK(u.BusinessID, u.EffectiveStatus()), NameSK: nameSK(u),
		NewestPK: statusPK(u.BusinessID, u.EffectiveStatus()), NewestSK: newestSK(u),
	}
}

func (r userRecord) user() team.User {
	return team.User{
		BusinessID: team.BusinessID(r.BusinessID), ID: r.ID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone,
		Permissions: team.PermissionsOf(r.Permissions), InvitedBy: r.InvitedBy,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version, IsOwner: r.Owner,
		Status: team.UserStatus(r.Status), InvitationExpiresAt: timeOf(r.InvitationExpiresAt),
		InvitationSentAt: timeOf(r.InvitationSentAt), ActivatedAt: timeOf(r.ActivatedAt),
		ProfileImageURL: r.ProfileImageURL, PhoneDisplay: r.PhoneDisplay,
	}
}

// activityRecord is also what the stream consumer reads, so its attribute
// names are part of the contract with delivery.
type activityRecord struct {
	PK         string       `dynamodbav:"PK"`
	SK         string       `dynamodbav:"SK"`
	Entity     string       `dynamodbav:"entity"`
	ID         string       `dynamodbav:"id"`
	BusinessID string       `dynamodbav:"businessId"`
	Type       string       `dynamodbav:"type"`
	Actor      string       `dynamodbav:"actor"`
	ActorID    string       `dynamodbav:"actorId"`
	Target     personRecord `dynamodbav:"target"`
	At         time.Time    `dynamodbav:"at"`
	// ByUserPK and ByTypePK are the partition keys of the ByUser and ByType
	// indexes. ByUserPK is left out when the target's id is unknown: an
	// index key cannot be an empty string, and a missing one keeps the
	// record out of the (sparse) index.
	ByUserPK string `dynamodbav:"ByUserPK,omitempty"`
	ByTypePK string `dynamodbav:"ByTypePK,omitempty"`
	// Changes is left out when nothing changed (removals): an empty map
	// comes back from DynamoDB Local's stream as a different attribute.
	Changes *changesRecord `dynamodbav:"changes,omitempty"`
	// InvitationExpiresAt is on the records of activities that send a
	// welcome email: the expiry the email states.
	InvitationExpiresAt *time.Time `dynamodbav:"invitationExpiresAt,omitempty"`
}

type personRecord struct {
	ID        string `dynamodbav:"id"`
	Email     string `dynamodbav:"email"`
	FirstName string `dynamodbav:"firstName"`
	LastName  string `dynamodbav:"lastName"`
	Phone     string `dynamodbav:"phone"`
}

type changesRecord struct {
	Permissions *permissionsChangeRecord `dynamodbav:"permissions,omitempty"`
	Email       *fieldChangeRecord       `dynamodbav:"email,omitempty"`
	FirstName   *fieldChangeRecord       `dynamodbav:"firstName,omitempty"`
	LastName    *fieldChangeRecord       `dynamodbav:"lastName,omitempty"`
	Phone       *fieldChangeRecord       `dynamodbav:"phone,omitempty"`
}

// Lists, not string sets: a set cannot be empty, and "from nothing" is a
// meaningful value here.
type permissionsChangeRecord struct {
	From []string `dynamodbav:"from"`
	To   []string `dynamodbav:"to"`
}

type fieldChangeRecord struct {
	From string `dynamodbav:"from"`
	To   string `dynamodbav:"to"`
}

func toActivityRecord(a team.Activity) activityRecord {
	field := func(c *team.FieldChange) *fieldChangeRecord {
		if c == nil {
			return nil
		}
		return &fieldChangeRecord{From: c.From, To: c.To}
	}
	r := activityRecord{
		PK: businessPK(a.BusinessID), SK: activitySK(a.ID), Entity: EntityActivity,
		ID: a.ID, BusinessID: a.BusinessID.String(), Type: string(a.Type), Actor: a.Actor, ActorID: a.ActorID,
		Target: personRecord(a.Target), At: a.At,
		ByUserPK: activityByUserPK(a.BusinessID, a.Target.ID), ByTypePK: activityByTypePK(a.BusinessID, a.Type),
		InvitationExpiresAt: timePtr(a.InvitationExpiresAt),
	}
	if a.Changes.IsZero() {
		return r
	}
	r.Changes = &changesRecord{
		Email: field(a.Changes.Email), FirstName: field(a.Changes.FirstName),
		LastName: field(a.Changes.LastName), Phone: field(a.Changes.Phone),
	}
	if p := a.Changes.Permissions; p != nil {
		r.Changes.Permissions = &permissionsChangeRecord{From: p.From.Strings(), To: p.To.Strings()}
	}
	return r
}

func (r activityRecord) activity() team.Activity {
	field := func(c *fieldChangeRecord) *team.FieldChange {
		if c == nil {
			return nil
		}
		return &team.FieldChange{From: c.From, To: c.To}
	}
	a := team.Activity{
		ID: r.ID, BusinessID: team.BusinessID(r.BusinessID), Type: team.ActivityType(r.Type), Actor: r.Actor, ActorID: r.ActorID,
		Target: team.Person(r.Target), At: r.At, InvitationExpiresAt: timeOf(r.InvitationExpiresAt),
	}
	if r.Changes == nil {
		return a
	}
	a.Changes = team.Changes{
		Email: field(r.Changes.Email), FirstName: field(r.Changes.FirstName),
		LastName: field(r.Changes.LastName), Phone: field(r.Changes.Phone),
	}
	if p := r.Changes.Permissions; p != nil {
		a.Changes.Permissions = &team.PermissionsChange{From: team.PermissionsOf(p.From), To: team.PermissionsOf(p.To)}
	}
	return a
}
