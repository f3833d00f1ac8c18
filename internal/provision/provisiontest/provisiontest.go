// Package provisiontest is the contract a provisioning store must pass,
// played through provision.Service and checked through what users of the
// business would see (team.Service). The same suite runs against the
// in-memory store and against DynamoDB Local.
package provisiontest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// Store is a store that provisions businesses and serves the team.
type Store interface {
	provision.Store
	team.Store
}

type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(time.Second)
	return c.at
}

var businessSeq atomic.Int64

type fixture struct {
	ctx   context.Context
	store Store
	svc   *provision.Service
	team  *team.Service
	biz   team.BusinessID
}

func newFixture(t *testing.T, newStore func(*testing.T) Store) *fixture {
	t.Helper()
	store := newStore(t)
	c := &clock{at: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	return &fixture{
		ctx: context.Background(), store: store,
		svc:  provision.NewService(store, c, team.ULIDSource{}, 0, log),
		team: team.NewService(store, c, team.ULIDSource{}, phone.Normalizer{}),
		biz:  team.BusinessID("prov-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(businessSeq.Add(1), 10)),
	}
}

func (f *fixture) upsert(t *testing.T, rev int64, name, owner string, tabs ...string) provision.Outcome {
	t.Helper()
	if len(tabs) == 0 {
		tabs = []string{"home", "crm", "users"}
	}
	out, err := f.svc.Upsert(f.ctx, provision.Upsert{BusinessID: f.biz.String(), Name: name, EnabledTabs: tabs,
		Owner: provision.Owner{Email: owner, FirstName: "Ona"}, Revision: rev})
	if err != nil {
		t.Fatalf("upsert revision %d: %v", rev, err)
	}
	return out
}

func (f *fixture) delete(t *testing.T, rev int64) provision.Outcome {
	t.Helper()
	out, err := f.svc.Delete(f.ctx, provision.Delete{BusinessID: f.biz.String(), Revision: rev})
	if err != nil {
		t.Fatalf("delete revision %d: %v", rev, err)
	}
	return out
}

// users lists every user of the business as stored.
func (f *fixture) users(t *testing.T) []team.User {
	t.Helper()
	page, err := f.store.Users(f.ctx, f.biz, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return page.Users
}

// activity lists the business's activity types, oldest first.
func (f *fixture) activity(t *testing.T) []string {
	t.Helper()
	page, err := f.store.Activity(f.ctx, f.biz, team.ActivityFilter{}, team.PageRequest{Limit: team.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(page.Activity) - 1; i >= 0; i-- {
		a := page.Activity[i]
		out = append(out, string(a.Type)+" "+a.Target.Email+" by "+a.ActorID)
	}
	return out
}

func (f *fixture) owners(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, u := range f.users(t) {
		if u.IsOwner {
			out = append(out, u.Email)
		}
	}
	return out
}

func (f *fixture) business(t *testing.T) team.Business {
	t.Helper()
	b, err := f.store.Business(f.ctx, f.biz)
	if err != nil {
		t.Fatalf("business: %v", err)
	}
	return b
}

// Run runs the contract against stores newStore makes (each test gets its
// own business, so stores may be shared).
func Run(t *testing.T, newStore func(*testing.T) Store) {
	t.Run("a new business gets its owner invited, once", func(t *testing.T) {
		f := newFixture(t, newStore)
		if got := f.upsert(t, 1, "Acme", "Ann@Acme.test "); got != provision.Applied {
			t.Fatalf("first upsert = %s, want applied", got)
		}
		b := f.business(t)
		if b.Name != "Acme" || !cmp.Equal(b.Tabs.Strings(), []string{"home", "crm", "users"}) || b.OwnerEmail != "ann@acme.test" || b.Total != 1 {
			t.Errorf("business = %+v, want Acme with home, crm, users owned by ann@acme.test, 1 user", b)
		}
		users := f.users(t)
		if len(users) != 1 || users[0].Status != team.StatusInvited || !users[0].IsOwner || !cmp.Equal(users[0].Permissions.Strings(), []string{"home", "crm", "users"}) {
			t.Fatalf("users = %+v, want the owner alone, invited, holding every enabled tab", users)
		}
		// The same event again, and an older one: nothing changes, and no
		// second user.added (the only thing that sends a welcome email).
		before := f.activity(t)
		if got := f.upsert(t, 1, "Acme", "ann@acme.test"); got != provision.Ignored {
			t.Errorf("repeated upsert = %s, want ignored", got)
		}
		if got := f.upsert(t, 1, "Acme", "bob@acme.test"); got != provision.Ignored {
			t.Errorf("repeated revision with another owner = %s, want ignored", got)
		}
		if diff := cmp.Diff([]string{"user.added ann@acme.test by platform"}, f.activity(t)); diff != "" || !cmp.Equal(before, f.activity(t)) {
			t.Errorf("activity after repeats (-want +got):\n%s", diff)
		}
		if got := f.users(t); !cmp.Equal(got, users) {
			t.Errorf("users changed by a repeated event:\n%s", cmp.Diff(users, got))
		}
	})

	t.Run("an older revision is ignored", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.upsert(t, 3, "New name", "ann@acme.test")
		if got := f.upsert(t, 2, "Old name", "old@acme.test", "users"); got != provision.Ignored {
			t.Errorf("older upsert = %s, want ignored", got)
		}
		if b := f.business(t); b.Name != "New name" || b.OwnerEmail != "ann@acme.test" || len(b.Tabs) != 3 {
			t.Errorf("business = %+v, want revision 3's", b)
		}
		if got := f.users(t); len(got) != 1 {
			t.Errorf("users = %+v, want only revision 3's owner", got)
		}
	})

	t.Run("a newer revision renames, changes tabs and keeps hidden grants", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.upsert(t, 1, "Acme", "ann@acme.test", "home", "crm", "users")
		f.upsert(t, 2, "Acme Inc", "ann@acme.test", "users", "reports")
		b := f.business(t)
		if b.Name != "Acme Inc" || !cmp.Equal(b.Tabs.Strings(), []string{"reports", "users"}) {
			t.Errorf("business = %+v, want Acme Inc with reports and users", b)
		}
		// The owner gains the newly enabled tab and keeps the grants of
		// the disabled ones, which return when the tabs are enabled again.
		if got := f.users(t)[0].Permissions.Strings(); !cmp.Equal(got, []string{"home", "crm", "reports", "users"}) {
			t.Errorf("owner's permissions = %q", got)
		}
		if diff := cmp.Diff([]string{"user.added ann@acme.test by platform", "user.permissions_changed ann@acme.test by platform"}, f.activity(t)); diff != "" {
			t.Errorf("activity (-want +got):\n%s", diff)
		}
	})

	t.Run("naming another owner moves ownership", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.upsert(t, 1, "Acme", "ann@acme.test")
		// Ann signs in and invites Carl, a member without the users tab.
		if _, err := f.team.InviteUser(f.ctx, "ann@acme.test", f.biz, team.Invitation{Email: "carl@acme.test", Permissions: []string{"crm"}}); err != nil {
			t.Fatal(err)
		}
		f.upsert(t, 2, "Acme", "carl@acme.test")
		if got := f.owners(t); !cmp.Equal(got, []string{"carl@acme.test"}) {
			t.Errorf("owners = %q, want carl only", got)
		}
		carl, err := f.store.User(f.ctx, f.biz, "carl@acme.test")
		if err != nil || !cmp.Equal(carl.Permissions.Strings(), []string{"home", "crm", "users"}) {
			t.Errorf("carl = %+v, %v; want every enabled tab", carl, err)
		}
		if b := f.business(t); b.OwnerID != carl.ID || b.OwnerEmail != "carl@acme.test" || b.Total != 2 {
			t.Errorf("business = %+v, want owned by carl with 2 users", b)
		}
		// A person who is not yet a user becomes the owner as an invitee.
		f.upsert(t, 3, "Acme", "dora@acme.test")
		if got := f.owners(t); !cmp.Equal(got, []string{"dora@acme.test"}) {
			t.Errorf("owners = %q, want dora only", got)
		}
		if b := f.business(t); b.OwnerEmail != "dora@acme.test" || b.Total != 3 {
			t.Errorf("business = %+v, want owned by dora with 3 users", b)
		}
		want := []string{
			"user.added ann@acme.test by platform",
			"user.activated ann@acme.test by " + userID(t, f, "ann@acme.test"),
			"user.added carl@acme.test by " + userID(t, f, "ann@acme.test"),
			"user.permissions_changed carl@acme.test by platform",
			"owner.transferred carl@acme.test by platform",
			"user.added dora@acme.test by platform",
			"owner.transferred dora@acme.test by platform",
		}
		if diff := cmp.Diff(want, f.activity(t)); diff != "" {
			t.Errorf("activity (-want +got):\n%s", diff)
		}
	})

	t.Run("a hand-over racing a platform owner change leaves exactly one owner", func(t *testing.T) {
		for round := range 3 {
			f := newFixture(t, newStore)
			f.upsert(t, 1, "Acme", "ann@acme.test")
			if _, err := f.team.InviteUser(f.ctx, "ann@acme.test", f.biz, team.Invitation{Email: "bob@acme.test", Permissions: []string{"users"}}); err != nil {
				t.Fatal(err)
			}
			// Bob's first request makes him active, so he may be handed
			// ownership.
			if _, err := f.team.ListUsers(f.ctx, "bob@acme.test", f.biz, team.UserQuery{}, team.PageRequest{Limit: 1}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var transferErr, upsertErr error
			wg.Go(func() { _, transferErr = f.team.TransferOwnership(f.ctx, "ann@acme.test", f.biz, "bob@acme.test") })
			wg.Go(func() {
				_, upsertErr = f.svc.Upsert(f.ctx, provision.Upsert{BusinessID: f.biz.String(), Name: "Acme", EnabledTabs: []string{"users"},
					Owner: provision.Owner{Email: "carl@acme.test"}, Revision: 2})
			})
			wg.Wait()
			if upsertErr != nil {
				t.Fatalf("round %d: upsert: %v", round, upsertErr)
			}
			var te *team.Error
			if transferErr != nil && !errors.As(transferErr, &te) {
				t.Errorf("round %d: transfer failed with %v, want success or a refusal", round, transferErr)
			}
			if got := f.owners(t); !cmp.Equal(got, []string{"carl@acme.test"}) {
				t.Errorf("round %d: owners = %q (transfer: %v), want carl only", round, got, transferErr)
			}
			if b := f.business(t); b.OwnerEmail != "carl@acme.test" {
				t.Errorf("round %d: the business names %s as owner, want carl", round, b.OwnerEmail)
			}
		}
	})

	t.Run("deletion ends access and removes the data", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.upsert(t, 1, "Acme", "ann@acme.test")
		if _, err := f.team.InviteUser(f.ctx, "ann@acme.test", f.biz, team.Invitation{Email: "bo@acme.test", Permissions: []string{"users"}}); err != nil {
			t.Fatal(err)
		}
		if got := f.delete(t, 2); got != provision.Applied {
			t.Errorf("delete = %s, want applied", got)
		}
		for _, who := range []string{"ann@acme.test", "bo@acme.test"} {
			_, err := f.team.ListUsers(f.ctx, who, f.biz, team.UserQuery{}, team.PageRequest{Limit: 10})
			var te *team.Error
			if !errors.As(err, &te) || te.Code != team.CodeForbidden {
				t.Errorf("%s lists users after deletion: %v, want forbidden", who, err)
			}
		}
		if _, err := f.store.Business(f.ctx, f.biz); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("business after deletion: %v, want not found", err)
		}
		if got := f.users(t); len(got) != 0 {
			t.Errorf("users after deletion = %+v", got)
		}
		if got := f.activity(t); len(got) != 0 {
			t.Errorf("activity after deletion = %q", got)
		}
		st, err := f.store.State(f.ctx, f.biz)
		if err != nil || !st.Deleted || !st.Purged || st.Revision != 2 {
			t.Errorf("state = %+v, %v; want a purged tombstone of revision 2", st, err)
		}
		// The same delete again, and an older upsert: nothing.
		if got := f.delete(t, 2); got != provision.Ignored {
			t.Errorf("repeated delete = %s, want ignored", got)
		}
		if got := f.upsert(t, 1, "Acme", "ann@acme.test"); got != provision.Ignored {
			t.Errorf("older upsert after delete = %s, want ignored", got)
		}
		if _, err := f.store.Business(f.ctx, f.biz); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("business after an older upsert: %v, want not found", err)
		}
		// A newer upsert provisions the business afresh.
		if got := f.upsert(t, 3, "Acme again", "eve@acme.test"); got != provision.Applied {
			t.Errorf("newer upsert after delete = %s, want applied", got)
		}
		if b := f.business(t); b.Name != "Acme again" || b.OwnerEmail != "eve@acme.test" || b.Total != 1 {
			t.Errorf("business = %+v, want Acme again owned by eve with 1 user", b)
		}
	})

	t.Run("a delete interrupted before its removal resumes", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.upsert(t, 1, "Acme", "ann@acme.test")
		// The Lambda marked the business deleted and timed out.
		if err := f.store.MarkDeleted(f.ctx, f.biz, 2, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Business(f.ctx, f.biz); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("business while marked deleted: %v, want not found", err)
		}
		// Access ended with the mark (SPEC §7: "at once"), although the
		// removal has not reached ann's record yet.
		if _, err := f.store.User(f.ctx, f.biz, "ann@acme.test"); err != nil {
			t.Fatalf("ann's record before the removal: %v, want it still there", err)
		}
		if _, err := f.store.Member(f.ctx, f.biz, "ann@acme.test"); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("ann as a member while the business is marked deleted: %v, want not found", err)
		}
		if _, err := f.team.ListTabs(f.ctx, "ann@acme.test", f.biz); team.ErrorCode(err) != team.CodeForbidden {
			t.Errorf("ann lists the tabs while the business is marked deleted: %v, want forbidden", err)
		}
		if _, err := f.team.GetUser(f.ctx, "ann@acme.test", f.biz, "ann@acme.test"); team.ErrorCode(err) != team.CodeForbidden {
			t.Errorf("ann reads herself while the business is marked deleted: %v, want forbidden", err)
		}
		if got := f.delete(t, 2); got != provision.Resumed {
			t.Errorf("redelivered delete = %s, want resumed", got)
		}
		if got := f.users(t); len(got) != 0 {
			t.Errorf("users after the resumed delete = %+v", got)
		}
	})

	t.Run("events out of order end in the newest's state", func(t *testing.T) {
		for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2, 3, 1}} {
			f := newFixture(t, newStore)
			events := []func(){
				func() { f.upsert(t, 1, "One", "ann@acme.test") },
				func() { f.upsert(t, 2, "Two", "bob@acme.test") },
				func() { f.delete(t, 3) },
				func() { f.upsert(t, 4, "Four", "cy@acme.test") },
			}
			for _, i := range order {
				events[i]()
			}
			b := f.business(t)
			if b.Name != "Four" || b.OwnerEmail != "cy@acme.test" {
				t.Errorf("order %v: business = %+v, want revision 4's", order, b)
			}
			if got := f.owners(t); !cmp.Equal(got, []string{"cy@acme.test"}) {
				t.Errorf("order %v: owners = %q, want cy only", order, got)
			}
		}
	})
}

func userID(t *testing.T, f *fixture, email string) string {
	t.Helper()
	u, err := f.store.User(f.ctx, f.biz, email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}
