package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// runOwnerAndTotal is the contract of the owner's protection (invariant
// I9) and of the exact user count (SPEC §4 "total").
func runOwnerAndTotal(t *testing.T, newStore func(t *testing.T) Store) {
	total := func(t *testing.T, f *fixture) int64 {
		t.Helper()
		b, err := f.store.Business(f.ctx, f.biz.ID)
		if err != nil {
			t.Fatalf("Business: %v", err)
		}
		return b.Total
	}

	t.Run("the business names its owner and the owner's record says so", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		b, err := f.store.Business(f.ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if b.OwnerID != f.owner.ID || b.OwnerEmail != ownerMail {
			t.Errorf("owner = %q %q, want %q %q", b.OwnerID, b.OwnerEmail, f.owner.ID, ownerMail)
		}
		if !f.mustGet(t, ownerMail).IsOwner {
			t.Errorf("the owner's record is not marked as the owner")
		}
		if f.mustGet(t, f.member.Email).IsOwner {
			t.Errorf("the member's record is marked as the owner")
		}
	})

	t.Run("the total counts invites and removals, not email changes", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		if got := total(t, f); got != 2 {
			t.Fatalf("total after creating the business and inviting one = %d, want 2", got)
		}
		var invited []team.User
		for i := range 3 {
			invited = append(invited, f.mustCreate(t, ownerMail, team.User{Email: fmt.Sprintf("u%d@acme.test", i)}))
		}
		if got := total(t, f); got != 5 {
			t.Errorf("total after 3 more invites = %d, want 5", got)
		}
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &invited[0],
			Activity: f.activity(team.ActivityUserRemoved, ownerMail, invited[0])}); err != nil {
			t.Fatal(err)
		}
		if got := total(t, f); got != 4 {
			t.Errorf("total after a removal = %d, want 4", got)
		}
		after := changed(invited[1], func(u *team.User) { u.Email = "moved@acme.test" })
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &invited[1], After: after,
			Activity: f.activity(team.ActivityContactChanged, ownerMail, *after)}); err != nil {
			t.Fatal(err)
		}
		if got := total(t, f); got != 4 {
			t.Errorf("total after an email change = %d, want 4", got)
		}
		// A refused invite counts nothing.
		if _, err := f.create(ownerMail, team.User{Email: f.member.Email}); !errors.Is(err, team.ErrUserExists) {
			t.Fatalf("invite of an existing email = %v, want ErrUserExists", err)
		}
		if got := total(t, f); got != 4 {
			t.Errorf("total after a refused invite = %d, want 4", got)
		}
	})

	t.Run("the owner's record cannot be removed or moved to another email", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		manager := f.mustCreate(t, ownerMail, team.User{Email: "manager@acme.test", Permissions: team.Permissions{team.TabUsers}})
		owner := f.mustGet(t, ownerMail)
		err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: manager.Email, Before: &owner,
			Activity: f.activity(team.ActivityUserRemoved, manager.Email, owner)})
		if !errors.Is(err, team.ErrOwnerProtected) {
			t.Errorf("removal of the owner = %v, want ErrOwnerProtected", err)
		}
		moved := changed(owner, func(u *team.User) { u.Email = "elsewhere@acme.test" })
		err = f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: manager.Email, Before: &owner, After: moved,
			Activity: f.activity(team.ActivityContactChanged, manager.Email, *moved)})
		if !errors.Is(err, team.ErrOwnerProtected) {
			t.Errorf("email change of the owner = %v, want ErrOwnerProtected", err)
		}
		if diff := cmp.Diff(owner, f.mustGet(t, ownerMail)); diff != "" {
			t.Errorf("refused changes changed the owner (-want +got):\n%s", diff)
		}
		f.assertAbsent(t, "elsewhere@acme.test")
		if got := total(t, f); got != 3 {
			t.Errorf("total after refused changes = %d, want 3", got)
		}
		// A change that keeps the record (names) keeps the owner flag.
		renamed := changed(owner, func(u *team.User) { u.FirstName = "Olivia" })
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: "acme", Actor: ownerMail, Before: &owner, After: renamed,
			Activity: f.activity(team.ActivityContactChanged, ownerMail, *renamed)}); err != nil {
			t.Fatal(err)
		}
		if got := f.mustGet(t, ownerMail); !got.IsOwner || got.FirstName != "Olivia" {
			t.Errorf("owner after a name change = %+v, want the new name and still the owner", got)
		}
	})

	t.Run("concurrent invites and removals leave the total exact", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		const invites, removals = 40, 20
		var victims []team.User
		for i := range removals {
			victims = append(victims, f.mustCreate(t, ownerMail, team.User{Email: fmt.Sprintf("old%02d@acme.test", i)}))
		}
		activity := func(typ team.ActivityType, u team.User) team.Activity {
			// Real, unique ids: the fixture's sequence is not for goroutines.
			now := time.Now()
			return team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: f.biz.ID, Type: typ, Actor: ownerMail,
				Target: team.Person{ID: u.ID, Email: u.Email}, At: now}
		}
		var wg sync.WaitGroup
		errs := make(chan error, invites+removals)
		for i := range invites {
			wg.Go(func() {
				u := f.newUser(team.User{Email: fmt.Sprintf("new%02d@acme.test", i)})
				errs <- f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, After: &u,
					Activity: activity(team.ActivityUserAdded, u)})
			})
		}
		for _, v := range victims {
			wg.Go(func() {
				errs <- f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, Before: &v,
					Activity: activity(team.ActivityUserRemoved, v)})
			})
		}
		wg.Wait()
		close(errs)
		failed := 0
		for err := range errs {
			if err != nil {
				failed++
				t.Logf("concurrent write: %v", err)
			}
		}
		users := 0
		for cursor := ""; ; {
			page, err := f.store.Users(f.ctx, f.biz.ID, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			users += len(page.Users)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if got := total(t, f); got != int64(users) {
			t.Errorf("total = %d, but the business has %d users (%d writes failed)", got, users, failed)
		}
		if failed == 0 && users != 2+invites {
			t.Errorf("users = %d, want %d after every write succeeded", users, 2+invites)
		}
	})

	transfer := func(f *fixture, from, to team.User) error {
		now := time.Now().UTC().Truncate(time.Millisecond)
		after := to
		after.IsOwner = true
		return f.store.TransferOwnership(f.ctx, team.Transfer{BusinessID: f.biz.ID, From: from, To: to, At: now,
			Activity: team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: f.biz.ID, Type: team.ActivityOwnerTransferred,
				Actor: from.Email, ActorID: from.ID, Target: team.Person{ID: to.ID, Email: to.Email}, At: now}})
	}
	// owners returns the users marked as the owner, and checks that the
	// business names the one marked.
	owners := func(t *testing.T, f *fixture) []team.User {
		t.Helper()
		page, err := f.store.Users(f.ctx, f.biz.ID, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		var out []team.User
		for _, u := range page.Users {
			if u.IsOwner {
				out = append(out, u)
			}
		}
		b, err := f.store.Business(f.ctx, f.biz.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 1 && (b.OwnerID != out[0].ID || b.OwnerEmail != out[0].Email) {
			t.Errorf("the business names %s (%s) as owner, but the owner's mark is on %s (%s)", b.OwnerEmail, b.OwnerID, out[0].Email, out[0].ID)
		}
		return out
	}

	t.Run("ownership moves to a manager in one step", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		manager := f.mustCreate(t, ownerMail, team.User{Email: "manager@acme.test", Permissions: team.Permissions{team.TabUsers}})
		owner := f.mustGet(t, ownerMail)
		if err := transfer(f, owner, manager); err != nil {
			t.Fatalf("TransferOwnership: %v", err)
		}
		got := owners(t, f)
		if len(got) != 1 || got[0].Email != manager.Email || got[0].Version != manager.Version+1 {
			t.Fatalf("owners after the transfer = %+v, want only the manager at the next version", got)
		}
		if old := f.mustGet(t, ownerMail); old.IsOwner || old.Version != owner.Version+1 {
			t.Errorf("the old owner after the transfer = %+v, want unmarked at the next version", old)
		}
		// The old owner is no longer the owner: a second transfer by them
		// is refused and changes nothing.
		if err := transfer(f, owner, f.member); !errors.Is(err, team.ErrActorNotAllowed) {
			t.Errorf("transfer by the old owner = %v, want ErrActorNotAllowed", err)
		}
	})

	t.Run("ownership goes only to the manager as read", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		owner := f.mustGet(t, ownerMail)
		if err := transfer(f, owner, f.member); !errors.Is(err, team.ErrStale) {
			t.Errorf("transfer to a member without users = %v, want ErrStale", err)
		}
		manager := f.mustCreate(t, ownerMail, team.User{Email: "manager@acme.test", Permissions: team.Permissions{team.TabUsers}})
		old := manager
		old.Version = 7
		if err := transfer(f, owner, old); !errors.Is(err, team.ErrStale) {
			t.Errorf("transfer to an old version = %v, want ErrStale", err)
		}
		ghost := f.newUser(team.User{Email: "ghost@acme.test"})
		if err := transfer(f, owner, ghost); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("transfer to nobody = %v, want ErrNotFound", err)
		}
		if got := owners(t, f); len(got) != 1 || got[0].Email != ownerMail {
			t.Errorf("owners after refused transfers = %+v, want the owner alone", got)
		}
	})

	t.Run("a transfer racing a removal of the new owner leaves exactly one owner", func(t *testing.T) {
		const trials = 15
		outcomes := map[string]int{}
		for trial := range trials {
			f := newFixture(t, newStore(t), team.BusinessID(fmt.Sprintf("race-%d", trial)))
			target := f.mustCreate(t, ownerMail, team.User{Email: "heir@acme.test", Permissions: team.Permissions{team.TabUsers}})
			remover := f.mustCreate(t, ownerMail, team.User{Email: "remover@acme.test", Permissions: team.Permissions{team.TabUsers}})
			owner := f.mustGet(t, ownerMail)
			var transferErr, removeErr error
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Go(func() { <-start; transferErr = transfer(f, owner, target) })
			wg.Go(func() {
				<-start
				now := time.Now()
				removeErr = f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: remover.Email, Before: &target,
					Activity: team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: f.biz.ID, Type: team.ActivityUserRemoved,
						Actor: remover.Email, Target: team.Person{ID: target.ID, Email: target.Email}, At: now}})
			})
			close(start)
			wg.Wait()
			got := owners(t, f)
			if len(got) != 1 {
				t.Fatalf("trial %d: %d owners %+v (transfer: %v, removal: %v)", trial, len(got), got, transferErr, removeErr)
			}
			switch {
			case transferErr == nil && removeErr != nil:
				outcomes["transfer"]++
				if got[0].Email != target.Email {
					t.Errorf("trial %d: the transfer won but the owner is %s", trial, got[0].Email)
				}
			case removeErr == nil && transferErr != nil:
				outcomes["removal"]++
				if got[0].Email != ownerMail {
					t.Errorf("trial %d: the removal won but the owner is %s", trial, got[0].Email)
				}
				f.assertAbsent(t, target.Email)
			default:
				t.Errorf("trial %d: want exactly one of the two to succeed; transfer: %v, removal: %v", trial, transferErr, removeErr)
			}
		}
		t.Logf("winners over %d trials: %v", trials, outcomes)
	})
}
