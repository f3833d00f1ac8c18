// Package provision applies the platform's announcements of businesses
// (SPEC §7): BusinessUpserted creates or updates a business and names its
// owner, BusinessDeleted ends every user's access and removes the
// business's data. Both are idempotent and order-proof by the event's
// revision: the store keeps the revision applied last on the business's
// profile and every write is conditioned on the new one being greater, so
// a repeated or older event changes nothing (and sends no second welcome
// email).
//
// The provisioning Lambda (functions/provision-business), the local stack's
// POST /dev/platform-events and its shorthand POST /dev/businesses all go
// through Service, by way of Handler for the first two.
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

// The platform appears in activity, and so in the events the CRM receives
// and in the welcome email, as an actor that is not a user: its id is
// PlatformActorID, which no user id can be (user ids start with "usr_"),
// and its email PlatformActorEmail, an address under the reserved .invalid
// top-level domain (RFC 2606), so that it passes as an email wherever one
// is expected and can never reach a mailbox.
const (
	PlatformActorID    = "platform"
	PlatformActorEmail = "platform@businessapp.invalid"
)

// ErrRevisionNotNewer is a Store's refusal of a write whose revision is not
// greater than the one the business's profile holds: the event is older
// than, or the same as, one already applied. Nothing was written.
var ErrRevisionNotNewer = errors.New("provision: revision not newer than the one applied")

// Owner names the person an upsert makes the business's owner.
type Owner struct {
	Email     string
	FirstName string
	LastName  string
}

// Upsert is a BusinessUpserted event's detail, as received (raw values:
// Service validates them).
type Upsert struct {
	BusinessID  string
	Name        string
	EnabledTabs []string
	Owner       Owner
	Revision    int64
}

// Delete is a BusinessDeleted event's detail, as received.
type Delete struct {
	BusinessID string
	Revision   int64
}

// Outcome says what an event did.
type Outcome string

// The outcomes of Upsert and Delete.
const (
	// Applied: the event was newer than what the business held and is now
	// applied.
	Applied Outcome = "applied"
	// Ignored: the business already held this revision or a newer one;
	// nothing changed.
	Ignored Outcome = "ignored"
	// Resumed: a delete of this revision had been marked but its removal
	// had not finished (a timeout, a crash); it has now finished.
	Resumed Outcome = "resumed"
)

// State is what provisioning knows of a business: the profile as stored,
// tombstone included.
type State struct {
	// Exists is false when the business has no profile at all.
	Exists bool
	// Revision is the revision applied last; 0 for a business provisioned
	// before revisions existed (any event is newer).
	Revision int64
	// Deleted is true on the tombstone a BusinessDeleted leaves: the
	// business is gone for every request; Purged is true once its data is
	// removed, and PurgedItems counts what was removed so far (the
	// removal's progress).
	Deleted     bool
	Purged      bool
	PurgedItems int64
	// OwnerID and OwnerEmail name the current owner ("" when none).
	OwnerID    string
	OwnerEmail string
}

// Plan is one upsert, computed from what was read: the store commits it
// in one transaction or not at all.
type Plan struct {
	BusinessID team.BusinessID
	Revision   int64
	Name       string
	Tabs       team.Permissions
	At         time.Time
	// PreviousOwnerID is the owner the profile named when read ("" for
	// none): the profile's write is conditioned on it, so that a hand-over
	// by the owner committed meanwhile is never overwritten (I9).
	PreviousOwnerID string
	// Owner is the named owner's record to store, with IsOwner set; nil
	// when it stays as it is. OwnerBefore is the record as read (the write
	// is conditioned on its id and version); nil when the owner is a new
	// user, who is then counted in the business's user count.
	OwnerBefore, Owner *team.User
	// Demote is the previous owner as read, when ownership moves away from
	// them: their record loses the owner mark (conditioned on its id and
	// on still being the owner) and they stay a user.
	Demote *team.User
	// Activity is recorded with the change (user.added for a new owner,
	// owner.transferred when ownership moves, user.permissions_changed
	// when the owner gains newly enabled tabs).
	Activity []team.Activity
}

// Store is the persistence provisioning needs; the DynamoDB and in-memory
// stores have it.
type Store interface {
	// State reads the business's profile, tombstone included, consistently.
	State(ctx context.Context, businessID team.BusinessID) (State, error)
	// User returns a user by normalised email, read consistently. Errors:
	// team.ErrNotFound.
	User(ctx context.Context, businessID team.BusinessID, email string) (team.User, error)
	// Provision commits a Plan atomically. Errors: ErrRevisionNotNewer
	// (the profile holds Revision or a newer one), team.ErrStale (the
	// profile's owner, the owner's or the demoted user's record changed
	// since read; read again), team.ErrUserExists (the new owner was
	// created meanwhile; read again).
	Provision(ctx context.Context, p Plan) error
	// MarkDeleted turns the profile into a tombstone of the revision in one
	// write: from then on the business does not exist for any request.
	// Errors: ErrRevisionNotNewer.
	MarkDeleted(ctx context.Context, businessID team.BusinessID, revision int64, at time.Time) error
	// Purge removes every item of the business but the tombstone of the
	// revision, users first, recording its progress on the tombstone, and
	// then marks the tombstone purged. It may be called again after an
	// interruption and resumes. Errors: ErrRevisionNotNewer (a newer
	// upsert replaced the tombstone; the removal stops).
	Purge(ctx context.Context, businessID team.BusinessID, revision int64) error
}

// maxAttempts bounds how often an upsert is recomputed after losing a race
// with a concurrent change of the business (a hand-over, an edit of the
// owner's record).
const maxAttempts = 5

// Service applies platform events.
type Service struct {
	store Store
	clock team.Clock
	ids   team.IDSource
	ttl   time.Duration
	log   *slog.Logger
}

// NewService returns a Service. ttl is how long the owner's invitation
// admits them (INVITATION_TTL; non-positive: team.DefaultInvitationTTL).
func NewService(store Store, clock team.Clock, ids team.IDSource, ttl time.Duration, log *slog.Logger) *Service {
	if ttl <= 0 {
		ttl = team.DefaultInvitationTTL
	}
	return &Service{store: store, clock: clock, ids: ids, ttl: ttl, log: log}
}

// validUpsert is an Upsert that passed validation.
type validUpsert struct {
	id       team.BusinessID
	name     string
	tabs     team.Permissions
	owner    Owner
	revision int64
}

// parseUpsert validates an upsert with the rules of the API's own input.
// Errors: an invalid_request *team.Error naming each bad field.
func parseUpsert(u Upsert) (validUpsert, error) {
	id, idErr := team.ParseBusinessID(u.BusinessID)
	if idErr != nil {
		idErr = team.InvalidField("businessId", team.ErrorMessage(idErr))
	}
	tabs, tabsErr := team.ParsePermissions(u.EnabledTabs)
	if tabsErr == nil && !tabs.Has(team.TabUsers) {
		// The owner holds every enabled tab and must be a manager (I9).
		tabsErr = team.InvalidField("enabledTabs", "Enable the users tab, or nobody could manage this business.")
	}
	email, emailErr := team.NormalizeEmail(u.Owner.Email)
	first, firstErr := team.NormalizeName(u.Owner.FirstName)
	last, lastErr := team.NormalizeName(u.Owner.LastName)
	name, nameErr := team.NormalizeName(u.Name)
	if err := team.JoinInvalid(idErr, team.Field("enabledTabs", tabsErr), team.Field("owner.email", emailErr),
		team.Field("owner.firstName", firstErr), team.Field("owner.lastName", lastErr), nameErr, revisionError(u.Revision)); err != nil {
		return validUpsert{}, err
	}
	if name == "" {
		name = id.String()
	}
	return validUpsert{id: id, name: name, tabs: tabs, owner: Owner{Email: email, FirstName: first, LastName: last}, revision: u.Revision}, nil
}

func revisionError(r int64) error {
	if r < 1 {
		return team.InvalidField("revision", "revision must be a whole number of at least 1.")
	}
	return nil
}

// Upsert applies a BusinessUpserted event: it sets the business's name and
// tabs and makes the named person its owner, holding every enabled tab.
// A person who is not yet a user is invited (status invited, a welcome
// email by way of the user.added activity, counted in the user count); if
// someone else was the owner, ownership moves in the same transaction and
// the previous owner stays a user. Tabs the owner held beyond the enabled
// ones are kept (hidden while disabled). The platform's invitation does not
// use the business's email budget (INVITE_RATE): that budget bounds what
// a business's managers can make the service send, and provisioning sends
// one email per event the platform itself vouches for.
//
// Errors: invalid_request (*team.Error) for a malformed event, which no
// retry can fix; the store's errors otherwise.
func (s *Service) Upsert(ctx context.Context, in Upsert) (Outcome, error) {
	u, err := parseUpsert(in)
	if err != nil {
		return "", err
	}
	for attempt := 1; ; attempt++ {
		st, err := s.store.State(ctx, u.id)
		if err != nil {
			return "", fmt.Errorf("provision: read business %s: %w", u.id, err)
		}
		if st.Exists && st.Revision >= u.revision {
			return Ignored, nil
		}
		if st.Deleted && !st.Purged {
			// A newer upsert of a business being removed: finish the
			// removal first, so that what it creates is not removed.
			if err := s.store.Purge(ctx, u.id, st.Revision); err != nil && !errors.Is(err, ErrRevisionNotNewer) {
				return "", fmt.Errorf("provision: finish removal of %s: %w", u.id, err)
			}
			continue
		}
		plan, err := s.plan(ctx, u, st)
		if err != nil {
			return "", err
		}
		err = s.store.Provision(ctx, plan)
		switch {
		case err == nil:
			s.log.InfoContext(ctx, "business upserted", "businessId", u.id.String(), "revision", u.revision,
				"ownerChanged", plan.Demote != nil, "ownerInvited", plan.Owner != nil && plan.OwnerBefore == nil)
			return Applied, nil
		case errors.Is(err, ErrRevisionNotNewer):
			return Ignored, nil
		case (errors.Is(err, team.ErrStale) || errors.Is(err, team.ErrUserExists)) && attempt < maxAttempts:
			continue // the business changed meanwhile: read again
		default:
			return "", fmt.Errorf("provision: upsert %s at revision %d: %w", u.id, u.revision, err)
		}
	}
}

// plan computes an upsert from the business as read.
func (s *Service) plan(ctx context.Context, u validUpsert, st State) (Plan, error) {
	now := s.clock.Now()
	p := Plan{BusinessID: u.id, Revision: u.revision, Name: u.name, Tabs: u.tabs, At: now}
	if !st.Deleted {
		p.PreviousOwnerID = st.OwnerID
	}
	var named *team.User
	if !st.Deleted {
		cur, err := s.store.User(ctx, u.id, u.owner.Email)
		switch {
		case err == nil:
			named = &cur
		case !errors.Is(err, team.ErrNotFound):
			return Plan{}, fmt.Errorf("provision: read owner of %s: %w", u.id, err)
		}
	}
	platform := func(typ team.ActivityType, target team.User, changes team.Changes) team.Activity {
		// Ids sort by their instant, random within a millisecond: each
		// record of the plan gets the next millisecond, so that the history
		// lists them in the order they are planned (added, then
		// transferred).
		return team.Activity{ID: s.ids.NewID(now.Add(time.Duration(len(p.Activity)) * time.Millisecond)), BusinessID: u.id, Type: typ, Actor: PlatformActorEmail, ActorID: PlatformActorID,
			Target: team.Person{ID: target.ID, Email: target.Email, FirstName: target.FirstName, LastName: target.LastName, Phone: target.Phone},
			At:     now, Changes: changes}
	}
	if named == nil {
		owner := team.User{BusinessID: u.id, ID: team.UserIDPrefix + s.ids.NewID(now), Email: u.owner.Email,
			FirstName: u.owner.FirstName, LastName: u.owner.LastName, Permissions: u.tabs, InvitedBy: PlatformActorEmail,
			CreatedAt: now, UpdatedAt: now, Version: 1, IsOwner: true, Status: team.StatusInvited,
			InvitationExpiresAt: now.Add(s.ttl), InvitationSentAt: now}
		p.Owner = &owner
		added := platform(team.ActivityUserAdded, owner,
			team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: owner.Permissions}})
		added.InvitationExpiresAt = owner.InvitationExpiresAt // the welcome email says until when (SPEC §5)
		p.Activity = append(p.Activity, added)
		if p.PreviousOwnerID != "" {
			p.Activity = append(p.Activity, platform(team.ActivityOwnerTransferred, owner, team.Changes{}))
		}
	} else {
		perms := union(named.Permissions, u.tabs)
		if !named.IsOwner || len(perms) != len(named.Permissions) {
			after := *named
			after.IsOwner, after.Permissions, after.UpdatedAt, after.Version = true, perms, now, named.Version+1
			p.OwnerBefore, p.Owner = named, &after
			if len(perms) != len(named.Permissions) {
				p.Activity = append(p.Activity, platform(team.ActivityPermissionsChanged, after,
					team.Changes{Permissions: &team.PermissionsChange{From: named.Permissions, To: perms}}))
			}
			if !named.IsOwner {
				p.Activity = append(p.Activity, platform(team.ActivityOwnerTransferred, after, team.Changes{}))
			}
		}
	}
	if !st.Deleted && st.OwnerEmail != "" && st.OwnerEmail != u.owner.Email {
		prev, err := s.store.User(ctx, u.id, st.OwnerEmail)
		switch {
		case err == nil:
			p.Demote = &prev
		case !errors.Is(err, team.ErrNotFound):
			return Plan{}, fmt.Errorf("provision: read previous owner of %s: %w", u.id, err)
		}
	}
	return p, nil
}

// union returns the tabs of a and b, in catalogue order.
func union(a, b team.Permissions) team.Permissions {
	return team.PermissionsOf(append(a.Strings(), b.Strings()...))
}

// Delete applies a BusinessDeleted event. First one write turns the
// business's profile into a tombstone of the revision: from that instant
// the business does not exist for the service (its reads answer not found,
// its writes, which check the profile, are refused), and a later upsert
// with an older revision is ignored. Then every item of the business is
// removed, users first, so that each user's access also ends with their
// record; the tombstone stays, holding the revision. A delete whose
// removal was interrupted (a Lambda timeout) resumes when the event is
// delivered again, which the rule's retries do, or when a newer upsert of
// the business arrives.
//
// Errors: invalid_request (*team.Error) for a malformed event; the store's
// errors otherwise.
func (s *Service) Delete(ctx context.Context, in Delete) (Outcome, error) {
	id, err := team.ParseBusinessID(in.BusinessID)
	if err != nil {
		return "", team.JoinInvalid(team.InvalidField("businessId", team.ErrorMessage(err)), revisionError(in.Revision))
	}
	if err := revisionError(in.Revision); err != nil {
		return "", err
	}
	st, err := s.store.State(ctx, id)
	if err != nil {
		return "", fmt.Errorf("provision: read business %s: %w", id, err)
	}
	outcome := Applied
	switch {
	case st.Exists && st.Revision > in.Revision:
		return Ignored, nil
	case st.Exists && st.Revision == in.Revision:
		if !st.Deleted || st.Purged {
			return Ignored, nil
		}
		outcome = Resumed
	default:
		err := s.store.MarkDeleted(ctx, id, in.Revision, s.clock.Now())
		if errors.Is(err, ErrRevisionNotNewer) {
			return Ignored, nil
		}
		if err != nil {
			return "", fmt.Errorf("provision: delete %s: %w", id, err)
		}
		s.log.InfoContext(ctx, "business deleted: access ended", "businessId", id.String(), "revision", in.Revision)
	}
	if err := s.store.Purge(ctx, id, in.Revision); err != nil {
		if errors.Is(err, ErrRevisionNotNewer) {
			return outcome, nil // a newer upsert took over the business
		}
		return "", fmt.Errorf("provision: remove data of %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "business data removed", "businessId", id.String(), "revision", in.Revision, "outcome", string(outcome))
	return outcome, nil
}
