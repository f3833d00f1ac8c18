// Package storetest is the contract every team.Store implementation must
// pass. The same suite runs against the in-memory fake and against DynamoDB
// Local, which is what lets the fake stand in for DynamoDB in faster tests.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// Store is a team.Store that can also create businesses, as every
// implementation does for seeding.
type Store interface {
	team.Store
	CreateBusiness(ctx context.Context, b team.Business, owner team.User) error
}

var (
	t0        = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	allTabs   = team.Permissions{team.TabHome, team.TabConversations, team.TabCRM, team.TabAdministration, team.TabUsers}
	ownerMail = "owner@acme.test"
)

// fixture is a business "acme" with a manager owner and a member.
type fixture struct {
	store  Store
	ctx    context.Context
	biz    team.Business
	owner  team.User
	member team.User
	seq    int
	log    []team.Activity // what newHistory recorded, oldest first
}

func newFixture(t *testing.T, store Store, businessID team.BusinessID) *fixture {
	t.Helper()
	f := &fixture{store: store, ctx: context.Background()}
	f.biz = team.Business{ID: businessID, Name: "Acme " + businessID.String(), Tabs: allTabs, CreatedAt: t0}
	f.owner = team.User{BusinessID: businessID, ID: newUserID(), Email: ownerMail, FirstName: "Olive", LastName: "Owner",
		Permissions: allTabs, CreatedAt: t0, UpdatedAt: t0, Version: 1}
	if err := store.CreateBusiness(f.ctx, f.biz, f.owner); err != nil {
		t.Fatalf("CreateBusiness: %v", err)
	}
	// CreateBusiness makes the first user the owner (invariant I9).
	f.owner.IsOwner = true
	f.biz.OwnerID, f.biz.OwnerEmail = f.owner.ID, f.owner.Email
	f.member = f.mustCreate(t, f.owner.Email, team.User{Email: "member@acme.test", FirstName: "Mo", Permissions: team.Permissions{team.TabCRM}})
	return f
}

func (f *fixture) activity(typ team.ActivityType, actor string, target team.User) team.Activity {
	f.seq++
	at := t0.Add(time.Duration(f.seq) * time.Second)
	// Real ids: DynamoDB scopes idempotency tokens (derived from activity
	// ids) to the account, not the table, so ids must be unique across tests.
	return team.Activity{
		ID: team.ULIDSource{}.NewID(at), BusinessID: f.biz.ID, Type: typ, Actor: actor,
		Target: team.Person{Email: target.Email, FirstName: target.FirstName, LastName: target.LastName, Phone: target.Phone},
		At:     at,
	}
}

// newUserID makes a user id as the Service does.
func newUserID() string { return team.UserIDPrefix + team.ULIDSource{}.NewID(t0) }

func (f *fixture) newUser(u team.User) team.User {
	u.BusinessID = f.biz.ID
	if u.ID == "" {
		u.ID = newUserID()
	}
	u.CreatedAt, u.UpdatedAt, u.Version = t0, t0, 1
	if u.Permissions == nil {
		u.Permissions = team.Permissions{}
	}
	return u
}

func (f *fixture) create(actor string, u team.User) (team.User, error) {
	u = f.newUser(u)
	return u, f.store.Apply(f.ctx, team.Mutation{
		BusinessID: f.biz.ID, Actor: actor, After: &u, RequireTabs: u.Permissions,
		Activity: f.activity(team.ActivityUserAdded, actor, u),
	})
}

func (f *fixture) mustCreate(t *testing.T, actor string, u team.User) team.User {
	t.Helper()
	u, err := f.create(actor, u)
	if err != nil {
		t.Fatalf("create %s: %v", u.Email, err)
	}
	return u
}

func (f *fixture) mustGet(t *testing.T, email string) team.User {
	t.Helper()
	u, err := f.store.User(f.ctx, f.biz.ID, email)
	if err != nil {
		t.Fatalf("User(%s): %v", email, err)
	}
	return u
}

func (f *fixture) assertAbsent(t *testing.T, email string) {
	t.Helper()
	if _, err := f.store.User(f.ctx, f.biz.ID, email); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("User(%s) error = %v, want ErrNotFound", email, err)
	}
}

func changed(u team.User, edit func(*team.User)) *team.User {
	c := u
	edit(&c)
	c.Version++
	c.UpdatedAt = c.UpdatedAt.Add(time.Minute)
	return &c
}

// Run runs the contract against stores made by newStore; each call must
// return an empty store.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	runOwnerAndTotal(t, newStore)
	runResend(t, newStore)
	t.Run("business and users read back as written", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		got, err := f.store.Business(f.ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		want := f.biz
		want.Total = 2 // the owner and the member
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Business (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(f.owner, f.mustGet(t, ownerMail)); diff != "" {
			t.Errorf("owner (-want +got):\n%s", diff)
		}
		full := f.mustCreate(t, ownerMail, team.User{Email: "full@acme.test", FirstName: "Ann", LastName: "Lee",
			Phone: "+14155550100", PhoneDisplay: "+1 415-555-0100", Permissions: team.Permissions{team.TabCRM, team.TabUsers}, InvitedBy: ownerMail})
		if diff := cmp.Diff(full, f.mustGet(t, "full@acme.test")); diff != "" {
			t.Errorf("invited user (-want +got):\n%s", diff)
		}
		member, err := f.store.Member(f.ctx, "acme", "full@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(full, member); diff != "" {
			t.Errorf("Member (-want +got):\n%s", diff)
		}
	})

	t.Run("missing things are ErrNotFound", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		if _, err := f.store.Business(f.ctx, "nope"); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("Business(nope) = %v, want ErrNotFound", err)
		}
		f.assertAbsent(t, "ghost@acme.test")
		if _, err := f.store.Member(f.ctx, "acme", "ghost@acme.test"); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("Member(ghost) = %v, want ErrNotFound", err)
		}
		if _, err := f.store.Member(f.ctx, "nope", ownerMail); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("Member of a business that does not exist = %v, want ErrNotFound", err)
		}
	})

	t.Run("a business id is created once", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		err := f.store.CreateBusiness(f.ctx, f.biz, f.owner)
		if !errors.Is(err, team.ErrBusinessExists) {
			t.Errorf("second CreateBusiness = %v, want ErrBusinessExists", err)
		}
	})

	t.Run("the actor must hold users at commit", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		for _, actor := range []string{f.member.Email, "stranger@else.test"} {
			_, err := f.create(actor, team.User{Email: "new@acme.test"})
			if !errors.Is(err, team.ErrActorNotAllowed) {
				t.Errorf("create by %s = %v, want ErrActorNotAllowed", actor, err)
			}
		}
		f.assertAbsent(t, "new@acme.test")
	})

	t.Run("the actor check wins over every other failure", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		_, err := f.create(f.member.Email, team.User{Email: ownerMail, Permissions: team.Permissions{team.TabStore}})
		if !errors.Is(err, team.ErrActorNotAllowed) {
			t.Errorf("create of existing email with a disabled tab by a member = %v, want ErrActorNotAllowed", err)
		}
	})

	t.Run("granted tabs must be enabled", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		_, err := f.create(ownerMail, team.User{Email: "new@acme.test", Permissions: team.Permissions{team.TabCRM, team.TabStore}})
		if !errors.Is(err, team.ErrTabsNotEnabled) {
			t.Fatalf("create with store tab = %v, want ErrTabsNotEnabled", err)
		}
		var tn *team.TabsNotEnabledError
		if !errors.As(err, &tn) {
			t.Fatalf("error %v does not carry the enabled tabs", err)
		}
		if diff := cmp.Diff(allTabs, tn.Enabled); diff != "" {
			t.Errorf("enabled tabs (-want +got):\n%s", diff)
		}
		f.assertAbsent(t, "new@acme.test")
	})

	t.Run("an email belongs to one user", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		_, err := f.create(ownerMail, team.User{Email: f.member.Email})
		if !errors.Is(err, team.ErrUserExists) {
			t.Errorf("second create = %v, want ErrUserExists", err)
		}
		if diff := cmp.Diff(f.member, f.mustGet(t, f.member.Email)); diff != "" {
			t.Errorf("existing user changed (-want +got):\n%s", diff)
		}
	})

	t.Run("an update applies only to the person read, whatever the version", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		gone := f.member
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, Before: &gone,
			Activity: f.activity(team.ActivityUserRemoved, ownerMail, gone)}); err != nil {
			t.Fatalf("remove: %v", err)
		}
		again := f.mustCreate(t, ownerMail, team.User{Email: gone.Email, Permissions: team.Permissions{team.TabCRM}})
		if again.Version != gone.Version || again.ID == gone.ID {
			t.Fatalf("re-invited user at version %d with id %q; the test needs version %d and a new id", again.Version, again.ID, gone.Version)
		}
		err := f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, Before: &gone,
			After:    changed(gone, func(u *team.User) { u.Permissions = allTabs }),
			Activity: f.activity(team.ActivityPermissionsChanged, ownerMail, gone)})
		if !errors.Is(err, team.ErrStale) {
			t.Errorf("update of the removed user's revision = %v, want ErrStale", err)
		}
		err = f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, Before: &gone,
			Activity: f.activity(team.ActivityUserRemoved, ownerMail, gone)})
		if !errors.Is(err, team.ErrStale) {
			t.Errorf("removal by the removed user's revision = %v, want ErrStale", err)
		}
		if diff := cmp.Diff(again, f.mustGet(t, gone.Email)); diff != "" {
			t.Errorf("the user invited again changed (-want +got):\n%s", diff)
		}
	})

	t.Run("an update applies only to the version read", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		next := changed(f.member, func(u *team.User) { u.FirstName = "Morgan" })
		apply := func(before team.User, after *team.User) error {
			return f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &before, After: after,
				Activity: f.activity(team.ActivityContactChanged, ownerMail, *after)})
		}
		if err := apply(f.member, next); err != nil {
			t.Fatalf("first update: %v", err)
		}
		if diff := cmp.Diff(*next, f.mustGet(t, f.member.Email)); diff != "" {
			t.Errorf("after update (-want +got):\n%s", diff)
		}
		stale := changed(f.member, func(u *team.User) { u.FirstName = "Lost" })
		if err := apply(f.member, stale); !errors.Is(err, team.ErrStale) {
			t.Errorf("update from the old version = %v, want ErrStale", err)
		}
		ghost := f.newUser(team.User{Email: "ghost@acme.test"})
		if err := apply(ghost, changed(ghost, func(u *team.User) {})); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("update of a missing user = %v, want ErrNotFound", err)
		}
	})

	t.Run("a user may change their own record without managing users", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		next := changed(f.member, func(u *team.User) { u.Phone = "+14155550199" })
		err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: f.member.Email, Before: &f.member, After: next,
			Activity: f.activity(team.ActivityContactChanged, f.member.Email, *next)})
		if err != nil {
			t.Fatalf("self update: %v", err)
		}
		if got := f.mustGet(t, f.member.Email).Phone; got != "+14155550199" {
			t.Errorf("phone = %q, want the new one", got)
		}
	})

	t.Run("an email change moves the user or changes nothing", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		other := f.mustCreate(t, ownerMail, team.User{Email: "other@acme.test"})
		rename := func(to string) error {
			after := changed(f.member, func(u *team.User) { u.Email = to })
			return f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &f.member, After: after,
				Activity: f.activity(team.ActivityContactChanged, ownerMail, *after)})
		}
		if err := rename(other.Email); !errors.Is(err, team.ErrUserExists) {
			t.Fatalf("rename onto an existing user = %v, want ErrUserExists", err)
		}
		if diff := cmp.Diff(f.member, f.mustGet(t, f.member.Email)); diff != "" {
			t.Errorf("refused rename changed the user (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(other, f.mustGet(t, other.Email)); diff != "" {
			t.Errorf("refused rename changed the other user (-want +got):\n%s", diff)
		}
		if err := rename("renamed@acme.test"); err != nil {
			t.Fatalf("rename: %v", err)
		}
		f.assertAbsent(t, f.member.Email)
		if got := f.mustGet(t, "renamed@acme.test"); got.FirstName != f.member.FirstName || got.Version != f.member.Version+1 {
			t.Errorf("renamed user = %+v, want the member's data at the next version", got)
		}
	})

	t.Run("the email budget allows that many sends in any rolling hour, exactly", func(t *testing.T) {
		store := newStore(t)
		f := newFixture(t, store, "acme")
		const budget = 3
		invite := func(email string, at time.Time) error {
			u := f.newUser(team.User{Email: email})
			act := f.activity(team.ActivityUserAdded, ownerMail, u)
			act.At = at
			return f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, After: &u, Activity: act, EmailBudget: budget})
		}
		first := t0.Add(time.Hour)
		for i, email := range []string{"a@acme.test", "b@acme.test", "c@acme.test"} {
			if err := invite(email, first.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatalf("send %d of a budget of %d: %v", i+1, budget, err)
			}
		}
		newestBefore := newest(t, f.store, f.biz.ID, team.ActivityFilter{})
		refused := invite("d@acme.test", first.Add(59*time.Minute))
		var spent *team.EmailBudgetError
		if !errors.As(refused, &spent) || !errors.Is(refused, team.ErrEmailBudgetSpent) {
			t.Fatalf("fourth send within the hour = %v, want *EmailBudgetError", refused)
		}
		if want := first.Add(team.EmailWindow); !spent.RetryAt.Equal(want) {
			t.Errorf("RetryAt = %s, want %s (the oldest send plus the window)", spent.RetryAt, want)
		}
		f.assertAbsent(t, "d@acme.test")
		if got := newest(t, f.store, f.biz.ID, team.ActivityFilter{}); got.ID != newestBefore.ID {
			t.Errorf("a refused send recorded activity %s", got.ID)
		}
		// Changes that send no email are not counted.
		next := changed(f.member, func(u *team.User) { u.FirstName = "Moe" })
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &f.member, After: next,
			Activity: f.activity(team.ActivityContactChanged, ownerMail, *next)}); err != nil {
			t.Fatalf("a change without email while the budget is spent: %v", err)
		}
		// Other businesses have budgets of their own.
		g := newFixture(t, store, "globex")
		gu := g.newUser(team.User{Email: "a@globex.test"})
		if err := g.store.Apply(g.ctx, team.Mutation{BusinessID: "globex", Actor: ownerMail, After: &gu,
			Activity: g.activity(team.ActivityUserAdded, ownerMail, gu), EmailBudget: budget}); err != nil {
			t.Fatalf("another business's first send: %v", err)
		}
		// An hour after the oldest send its slot is free again, and only it.
		if err := invite("d@acme.test", first.Add(team.EmailWindow)); err != nil {
			t.Fatalf("send an hour after the oldest: %v", err)
		}
		refused = invite("e@acme.test", first.Add(team.EmailWindow))
		if !errors.As(refused, &spent) {
			t.Fatalf("second send an hour after the oldest = %v, want *EmailBudgetError", refused)
		}
		if want := first.Add(time.Minute + team.EmailWindow); !spent.RetryAt.Equal(want) {
			t.Errorf("RetryAt = %s, want %s (the second send plus the window)", spent.RetryAt, want)
		}
		f.assertAbsent(t, "e@acme.test")
	})

	t.Run("a removal deletes the user", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &f.member,
			Activity: f.activity(team.ActivityUserRemoved, ownerMail, f.member)})
		if err != nil {
			t.Fatal(err)
		}
		f.assertAbsent(t, f.member.Email)
		again := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &f.member,
			Activity: f.activity(team.ActivityUserRemoved, ownerMail, f.member)})
		if !errors.Is(again, team.ErrNotFound) {
			t.Errorf("second removal = %v, want ErrNotFound", again)
		}
	})

	t.Run("users page in email order with exact cursors", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		want := []string{"member@acme.test", ownerMail}
		for _, e := range []string{"d@acme.test", "a@acme.test", "c@acme.test", "b@acme.test"} {
			f.mustCreate(t, ownerMail, team.User{Email: e})
			want = append(want, e)
		}
		// Six users in pages of three: the second page must be the last.
		var got []string
		cursor, pages := "", 0
		for {
			page, err := f.store.Users(f.ctx, "acme", team.UserQuery{}, team.PageRequest{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, u := range page.Users {
				got = append(got, u.Email)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		wantSorted := []string{"a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test", "member@acme.test", ownerMail}
		if diff := cmp.Diff(wantSorted, got); diff != "" {
			t.Errorf("listed emails (-want +got):\n%s", diff)
		}
		if pages != 2 {
			t.Errorf("pages = %d, want 2 (no empty last page)", pages)
		}
	})

	t.Run("cursors work only where they were issued", func(t *testing.T) {
		store := newStore(t)
		a := newFixture(t, store, "acme")
		newFixture(t, store, "globex")
		for _, e := range []string{"x@acme.test", "y@acme.test"} {
			a.mustCreate(t, ownerMail, team.User{Email: e})
		}
		page, err := store.Users(a.ctx, "acme", team.UserQuery{}, team.PageRequest{Limit: 1})
		if err != nil || page.NextCursor == "" {
			t.Fatalf("first page: %v, cursor %q", err, page.NextCursor)
		}
		if _, err := store.Users(a.ctx, "globex", team.UserQuery{}, team.PageRequest{Limit: 1, Cursor: page.NextCursor}); !errors.Is(err, team.ErrInvalidCursor) {
			t.Errorf("acme cursor on globex = %v, want ErrInvalidCursor", err)
		}
		if _, err := store.Activity(a.ctx, "acme", team.ActivityFilter{}, team.PageRequest{Limit: 1, Cursor: page.NextCursor}); !errors.Is(err, team.ErrInvalidCursor) {
			t.Errorf("users cursor on activity = %v, want ErrInvalidCursor", err)
		}
		for _, bad := range []string{"garbage!", "e30", "eyJiIjoiYWNtZSJ9"} {
			if _, err := store.Users(a.ctx, "acme", team.UserQuery{}, team.PageRequest{Limit: 1, Cursor: bad}); !errors.Is(err, team.ErrInvalidCursor) {
				t.Errorf("cursor %q = %v, want ErrInvalidCursor", bad, err)
			}
		}
	})

	t.Run("activity reads back newest first", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		next := changed(f.member, func(u *team.User) {
			u.Permissions = team.Permissions{team.TabHome, team.TabCRM}
			u.Email = "mo@acme.test"
		})
		act := f.activity(team.ActivityContactChanged, ownerMail, *next)
		act.Changes = team.Changes{
			Email:       &team.FieldChange{From: f.member.Email, To: next.Email},
			Permissions: &team.PermissionsChange{From: f.member.Permissions, To: next.Permissions},
			Phone:       &team.FieldChange{From: "", To: ""},
		}
		// The email change invites the user again: the record carries the
		// expiry for the welcome email.
		act.InvitationExpiresAt = act.At.Add(team.DefaultInvitationTTL)
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &f.member, After: next, Activity: act}); err != nil {
			t.Fatal(err)
		}
		page, err := f.store.Activity(f.ctx, "acme", team.ActivityFilter{}, team.PageRequest{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Activity) != 1 || page.NextCursor == "" {
			t.Fatalf("first page = %d items, cursor %q; want 1 and a cursor (the invite came before)", len(page.Activity), page.NextCursor)
		}
		if diff := cmp.Diff(act, page.Activity[0]); diff != "" {
			t.Errorf("newest activity (-want +got):\n%s", diff)
		}
		rest, err := f.store.Activity(f.ctx, "acme", team.ActivityFilter{}, team.PageRequest{Limit: 10, Cursor: page.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(rest.Activity) != 1 || rest.Activity[0].Type != team.ActivityUserAdded || rest.NextCursor != "" {
			t.Errorf("second page = %+v, want only the invite and no cursor", rest)
		}
	})

	t.Run("activity filters page through exactly the matching records", func(t *testing.T) {
		store := newStore(t)
		acme := newHistory(t, store, "acme")
		// Another business whose user has the same id: ids are unique, but
		// the indexes must keep businesses apart whatever they hold.
		globex := newHistory(t, store, "globex")
		filters := []team.ActivityFilter{
			{},
			{Type: team.ActivityUserAdded},
			{Type: team.ActivityContactChanged},
			{Type: team.ActivityUserRemoved},
			{UserID: annID},
			{UserID: bobID},
			{UserID: annID, Type: team.ActivityContactChanged},
			{UserID: annID, Type: team.ActivityUserAdded},
			{UserID: bobID, Type: team.ActivityPermissionsChanged},
			{UserID: "usr_nobody"},
		}
		for _, h := range []*fixture{acme, globex} {
			for _, filter := range filters {
				var want []string
				for i := len(h.log) - 1; i >= 0; i-- {
					if filter.Matches(h.log[i]) {
						want = append(want, h.log[i].ID)
					}
				}
				for _, limit := range []int{1, 2, 3, 100} {
					got := pageAll(t, store, h.biz.ID, filter, limit)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s, filter %+v, pages of %d: activity ids, newest first (-want +got):\n%s", h.biz.ID, filter, limit, diff)
					}
				}
			}
		}
		// Ann's history follows her id through her email change.
		page, err := store.Activity(acme.ctx, "acme", team.ActivityFilter{UserID: annID}, team.PageRequest{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		emails := map[string]bool{}
		for _, a := range page.Activity {
			emails[a.Target.Email] = true
			if a.Target.ID != annID {
				t.Errorf("Ann's history holds %+v, whose target is not Ann", a)
			}
		}
		if !emails["ann@acme.test"] || !emails["annie@acme.test"] {
			t.Errorf("Ann's history has the emails %v, want both her old and her new one", emails)
		}
		// The full records read back, as written, through the indexes too.
		if diff := cmp.Diff(acme.log[len(acme.log)-1], newest(t, store, "acme", team.ActivityFilter{UserID: bobID})); diff != "" {
			t.Errorf("newest of Bob's history (-want +got):\n%s", diff)
		}
	})

	t.Run("activity cursors work only with the filter they were issued for", func(t *testing.T) {
		store := newStore(t)
		h := newHistory(t, store, "acme")
		newHistory(t, store, "globex")
		issued := []team.ActivityFilter{
			{},
			{Type: team.ActivityUserAdded},
			{UserID: annID},
			{UserID: annID, Type: team.ActivityContactChanged},
		}
		others := append(issued, team.ActivityFilter{UserID: bobID}, team.ActivityFilter{Type: team.ActivityContactChanged},
			team.ActivityFilter{UserID: bobID, Type: team.ActivityContactChanged})
		for _, filter := range issued {
			page, err := store.Activity(h.ctx, "acme", filter, team.PageRequest{Limit: 1})
			if err != nil || page.NextCursor == "" {
				t.Fatalf("filter %+v: first page: %v, cursor %q (want a cursor: there is more)", filter, err, page.NextCursor)
			}
			for _, other := range others {
				_, err := store.Activity(h.ctx, "acme", other, team.PageRequest{Limit: 1, Cursor: page.NextCursor})
				if other == filter && err != nil {
					t.Errorf("cursor of %+v with the same filter = %v, want it accepted", filter, err)
				}
				if other != filter && !errors.Is(err, team.ErrInvalidCursor) {
					t.Errorf("cursor of %+v used with %+v = %v, want ErrInvalidCursor", filter, other, err)
				}
			}
			if _, err := store.Activity(h.ctx, "globex", filter, team.PageRequest{Limit: 1, Cursor: page.NextCursor}); !errors.Is(err, team.ErrInvalidCursor) {
				t.Errorf("acme cursor of %+v used on globex = %v, want ErrInvalidCursor", filter, err)
			}
		}
	})
}

// The user ids of the history fixture; every business of it has the same.
const (
	annID = "usr_01JD000000000000000000ANN"
	bobID = "usr_01JD000000000000000000BOB"
)

// newHistory is a business whose activity covers the filters: Ann and Bob
// are invited, Ann's email and Bob's permissions change, Bob is removed and
// Cy, recorded before users had ids, is invited. The fixture's log holds
// every record of the business, oldest first.
func newHistory(t *testing.T, store Store, businessID team.BusinessID) *fixture {
	t.Helper()
	f := newFixture(t, store, businessID)
	f.log = nil
	first, err := store.Activity(f.ctx, businessID, team.ActivityFilter{}, team.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(first.Activity) - 1; i >= 0; i-- {
		f.log = append(f.log, first.Activity[i])
	}
	apply := func(typ team.ActivityType, id string, before, after *team.User) {
		t.Helper()
		target := after
		if target == nil {
			target = before
		}
		act := f.activity(typ, ownerMail, *target)
		act.Target.ID = id
		if err := store.Apply(f.ctx, team.Mutation{BusinessID: businessID, Actor: ownerMail, Before: before, After: after, Activity: act}); err != nil {
			t.Fatalf("%s of %s: %v", typ, target.Email, err)
		}
		f.log = append(f.log, act)
	}
	ann := f.newUser(team.User{Email: "ann@acme.test", FirstName: "Ann"})
	apply(team.ActivityUserAdded, annID, nil, &ann)
	bob := f.newUser(team.User{Email: "bob@acme.test"})
	apply(team.ActivityUserAdded, bobID, nil, &bob)
	annie := changed(ann, func(u *team.User) { u.Email = "annie@acme.test" })
	apply(team.ActivityContactChanged, annID, &ann, annie)
	bob2 := changed(bob, func(u *team.User) { u.Permissions = team.Permissions{team.TabCRM} })
	apply(team.ActivityPermissionsChanged, bobID, &bob, bob2)
	annie2 := changed(*annie, func(u *team.User) { u.LastName = "Lee" })
	apply(team.ActivityContactChanged, annID, annie, annie2)
	cy := f.newUser(team.User{Email: "cy@acme.test"})
	apply(team.ActivityUserAdded, "", nil, &cy)
	apply(team.ActivityUserRemoved, bobID, bob2, nil)
	return f
}

// pageAll pages through a filtered activity list to its end and returns
// the ids in the order served. It fails on a page that repeats an id.
func pageAll(t *testing.T, store Store, businessID team.BusinessID, filter team.ActivityFilter, limit int) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("filter %+v: more than 100 pages of %d; the cursor does not advance", filter, limit)
		}
		page, err := store.Activity(context.Background(), businessID, filter, team.PageRequest{Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("filter %+v, page %d: %v", filter, pages, err)
		}
		if len(page.Activity) > limit {
			t.Errorf("filter %+v: a page of %d holds %d records", filter, limit, len(page.Activity))
		}
		for _, a := range page.Activity {
			if seen[a.ID] {
				t.Errorf("filter %+v: %s served twice", filter, a.ID)
			}
			seen[a.ID] = true
			ids = append(ids, a.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

func newest(t *testing.T, store Store, businessID team.BusinessID, filter team.ActivityFilter) team.Activity {
	t.Helper()
	page, err := store.Activity(context.Background(), businessID, filter, team.PageRequest{Limit: 1})
	if err != nil || len(page.Activity) == 0 {
		t.Fatalf("filter %+v: %v, %d records", filter, err, len(page.Activity))
	}
	return page.Activity[0]
}
