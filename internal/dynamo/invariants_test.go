package dynamo_test

// These tests run the domain rules over the real DynamoDB engine (DynamoDB
// Local), where transactions, conditions and conflicts behave as in AWS.
// They race requests on purpose: an invariant that holds only when requests
// take turns is not an invariant.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

var allTabs = team.Permissions{team.TabHome, team.TabConversations, team.TabCRM, team.TabStore,
	team.TabAutomations, team.TabReports, team.TabAdministration, team.TabUsers}

type env struct {
	ctx   context.Context
	store *dynamo.Store
	svc   *team.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	client := dynamotest.Client(t)
	store := dynamo.NewStore(client, dynamotest.NewTableWithoutStream(t, client))
	// These tests race many invites in one business within the hour: they
	// set a budget of their own that does not limit them (SPEC §4: tests
	// set their own INVITE_RATE). The limit has its own race test.
	return &env{ctx: context.Background(), store: store,
		svc: team.NewService(store, team.SystemClock{}, team.ULIDSource{}, phone.Normalizer{}, team.WithEmailBudget(unlimitedForTests))}
}

// unlimitedForTests is an email budget far above what any test sends.
const unlimitedForTests = 100_000

// business creates a business whose owner holds every tab.
func (e *env) business(t *testing.T, id team.BusinessID, owner string) {
	t.Helper()
	now := time.Now().UTC()
	err := e.store.CreateBusiness(e.ctx, team.Business{ID: id, Name: id.String(), Tabs: allTabs, CreatedAt: now},
		team.User{BusinessID: id, ID: "usr_" + owner, Email: owner, Permissions: allTabs, CreatedAt: now, UpdatedAt: now, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) invite(t *testing.T, businessID team.BusinessID, caller, email string, perms ...team.TabID) {
	t.Helper()
	in := team.Invitation{Email: email, Permissions: team.Permissions(perms).Strings()}
	if _, err := e.svc.InviteUser(e.ctx, caller, businessID, in); err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
}

func (e *env) users(t *testing.T, businessID team.BusinessID) []team.User {
	t.Helper()
	var all []team.User
	cursor := ""
	for {
		page, err := e.store.Users(e.ctx, businessID, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Users...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

func (e *env) managers(t *testing.T, businessID team.BusinessID) []string {
	t.Helper()
	var out []string
	for _, u := range e.users(t, businessID) {
		if u.IsManager() {
			out = append(out, u.Email)
		}
	}
	return out
}

// race runs every function at the same instant and returns their errors.
func race(fns ...func() error) []error {
	errs := make([]error, len(fns))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, fn := range fns {
		done.Go(func() {
			start.Wait()
			errs[i] = fn()
		})
	}
	start.Done()
	done.Wait()
	return errs
}

func codes(errs []error) map[team.Code]int {
	out := map[team.Code]int{}
	for _, err := range errs {
		out[team.ErrorCode(err)]++
	}
	return out
}

// I1: 30 concurrent invites of one address, spelled differently, make one user.
func TestConcurrentInvitesOfOneAddressMakeOneUser(t *testing.T) {
	e := newEnv(t)
	e.business(t, "acme", "owner@acme.test")
	var fns []func() error
	for i := range 30 {
		spelling := "Ann@Example.com"
		switch i % 3 {
		case 1:
			spelling = " ann@EXAMPLE.COM "
		case 2:
			spelling = "ANN@example.com"
		}
		fns = append(fns, func() error {
			_, err := e.svc.InviteUser(e.ctx, "owner@acme.test", "acme", team.Invitation{Email: spelling})
			return err
		})
	}
	got := codes(race(fns...))
	if got[""] != 1 || got[team.CodeUserExists] != 29 {
		t.Errorf("outcomes = %v, want exactly 1 success and 29 user_exists", got)
	}
	var anns []string
	for _, u := range e.users(t, "acme") {
		if strings.Contains(u.Email, "ann") {
			anns = append(anns, u.Email)
		}
	}
	if len(anns) != 1 || anns[0] != "ann@example.com" {
		t.Errorf("stored users for ann = %v, want exactly [ann@example.com]", anns)
	}
	page, err := e.store.Activity(e.ctx, "acme", team.ActivityFilter{}, team.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Activity) != 1 {
		t.Errorf("activity records = %d, want 1 (one committed invite, one welcome email)", len(page.Activity))
	}
}

// I3: two managers removing, or demoting, each other at the same instant
// must leave at least one manager, every time.
func TestManagersActingOnEachOtherNeverLeaveNone(t *testing.T) {
	const trials = 15
	e := newEnv(t)
	actions := map[string]func(caller, target string, business team.BusinessID) error{
		"remove": func(caller, target string, business team.BusinessID) error {
			return e.svc.RemoveUser(e.ctx, caller, business, target, team.AnyVersion)
		},
		"demote": func(caller, target string, business team.BusinessID) error {
			_, err := e.svc.SetPermissions(e.ctx, caller, business, target, []string{"home", "crm"}, team.AnyVersion)
			return err
		},
	}
	for name, act := range actions {
		t.Run(name, func(t *testing.T) {
			for trial := range trials {
				business := team.BusinessID(fmt.Sprintf("%s-%d", name, trial))
				// The owner cannot be removed (I9), so the owner stays and
				// the race is between two other managers, of whom at least
				// one must remain.
				e.business(t, business, "owner@acme.test")
				e.invite(t, business, "owner@acme.test", "a@acme.test", allTabs...)
				e.invite(t, business, "owner@acme.test", "b@acme.test", allTabs...)
				errs := race(
					func() error { return act("a@acme.test", "b@acme.test", business) },
					func() error { return act("b@acme.test", "a@acme.test", business) },
				)
				managers := e.managers(t, business)
				if !slices.Contains(managers, "a@acme.test") && !slices.Contains(managers, "b@acme.test") {
					t.Fatalf("trial %d: neither a nor b is a manager any more; outcomes %v", trial, errs)
				}
				// Exactly one wins: the loser's right to act is gone by the
				// time its transaction commits, and it must not fail for any
				// other reason (such as an unretried transaction conflict).
				if got := codes(errs); got[""] != 1 || got[team.CodeForbidden] != 1 {
					t.Fatalf("trial %d: outcomes %v (%v), want one success and one forbidden", trial, got, errs)
				}
			}
		})
	}
}

// I1: two users moved onto the same new email at once: exactly one wins and
// there are never two records or none.
func TestConcurrentRenamesOntoOneEmail(t *testing.T) {
	e := newEnv(t)
	e.business(t, "acme", "owner@acme.test")
	for trial := range 10 {
		a, b := fmt.Sprintf("a%d@acme.test", trial), fmt.Sprintf("b%d@acme.test", trial)
		target := fmt.Sprintf("taken%d@acme.test", trial)
		e.invite(t, "acme", "owner@acme.test", a)
		e.invite(t, "acme", "owner@acme.test", b)
		rename := func(from string) func() error {
			return func() error {
				_, err := e.svc.UpdateContact(e.ctx, "owner@acme.test", "acme", from, team.ContactPatch{Email: &target}, team.AnyVersion)
				return err
			}
		}
		errs := race(rename(a), rename(b))
		if got := codes(errs); got[""] != 1 || got[team.CodeUserExists] != 1 {
			t.Fatalf("trial %d: outcomes %v (%v), want one success and one user_exists", trial, got, errs)
		}
		present := map[string]bool{}
		for _, u := range e.users(t, "acme") {
			present[u.Email] = true
		}
		if !present[target] || present[a] == present[b] {
			t.Fatalf("trial %d: after the race %s=%v %s=%v %s=%v; want the target and exactly one of the originals",
				trial, target, present[target], a, present[a], b, present[b])
		}
	}
}

// Racing edits of one user without If-Match both succeed: the loser of the
// version race re-reads and applies its change on top, so nothing is lost.
func TestConcurrentEditsOfOneUserAreBothApplied(t *testing.T) {
	e := newEnv(t)
	e.business(t, "acme", "owner@acme.test")
	e.invite(t, "acme", "owner@acme.test", "ann@acme.test", team.TabHome)
	first, phone := "Ann", "+14155550100"
	errs := race(
		func() error {
			_, err := e.svc.UpdateContact(e.ctx, "owner@acme.test", "acme", "ann@acme.test", team.ContactPatch{FirstName: &first}, team.AnyVersion)
			return err
		},
		func() error {
			_, err := e.svc.UpdateContact(e.ctx, "owner@acme.test", "acme", "ann@acme.test", team.ContactPatch{Phone: &phone}, team.AnyVersion)
			return err
		},
	)
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("racing edits: %v", err)
	}
	got, err := e.store.User(e.ctx, "acme", "ann@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if got.FirstName != first || got.Phone != phone || got.Version != 3 {
		t.Errorf("user = %s/%s v%d, want both edits applied at version 3", got.FirstName, got.Phone, got.Version)
	}
}

// SPEC §2.3: ten concurrent first requests of one invitee, to different
// routes, all succeed and activate them exactly once: one user.activated.
func TestConcurrentFirstRequestsActivateOnce(t *testing.T) {
	e := newEnv(t)
	e.business(t, "acme", "owner@acme.test")
	e.invite(t, "acme", "owner@acme.test", "ann@example.com", team.TabHome)
	var fns []func() error
	for i := range 10 {
		fns = append(fns, func() error {
			if i%2 == 0 {
				_, err := e.svc.GetUser(e.ctx, "ann@example.com", "acme", "ann@example.com")
				return err
			}
			_, err := e.svc.ListTabs(e.ctx, "ann@example.com", "acme")
			return err
		})
	}
	if got := codes(race(fns...)); got[""] != 10 {
		t.Errorf("outcomes = %v, want 10 successes", got)
	}
	page, err := e.store.Activity(e.ctx, "acme", team.ActivityFilter{Type: team.ActivityUserActivated}, team.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Activity) != 1 {
		t.Errorf("user.activated records = %d, want exactly 1", len(page.Activity))
	}
	ann, err := e.store.User(e.ctx, "acme", "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ann.Status != team.StatusActive || ann.ActivatedAt.IsZero() || ann.Version != 2 {
		t.Errorf("ann after her first requests: status %q, activatedAt %v, version %d; want active, set, 2", ann.Status, ann.ActivatedAt, ann.Version)
	}
}
