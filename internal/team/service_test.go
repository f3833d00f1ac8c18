package team_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/businessapp/usermanagement/internal/memstore"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// The fixture's world: business acme, with an owner holding every enabled
// tab, a second manager who lacks the administration tab, and a member; and
// business globex, whose manager is an outsider to acme.
const (
	acme          = "acme"
	globex        = "globex"
	ownerEmail    = "owner@acme.test"
	managerEmail  = "manager@acme.test"
	memberEmail   = "member@acme.test"
	outsiderEmail = "boss@globex.test"
	inviteeEmail  = "ann@example.com"
	missingEmail  = "nobody@acme.test"
)

var (
	seedTime = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	// changeTime is what the Service's clock says during a test, so that
	// a change is told apart from the seeded state by its timestamps.
	changeTime = seedTime.Add(time.Hour)
	// acmeTabs leaves store, automations and reports disabled, so that tests
	// can ask for a tab the catalogue knows but the business has not enabled.
	acmeTabs = team.Permissions{team.TabHome, team.TabConversations, team.TabCRM, team.TabAdministration, team.TabUsers}
)

// fixedClock is a Clock that says whatever the test sets.
type fixedClock struct{ at time.Time }

func (c *fixedClock) Now() time.Time { return c.at }

// sequentialIDs is an IDSource whose ids sort in the order they were made,
// as the real ULIDs do, and are the same on every run.
type sequentialIDs struct {
	mu   sync.Mutex
	made int
}

func (s *sequentialIDs) NewID(time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.made++
	return fmt.Sprintf("act-%06d", s.made)
}

// faultyStore is a memstore.Store whose Apply and User can be made to fail,
// or to lose a race against another writer, so that tests reach the
// Service's retry and error paths without a real database.
type faultyStore struct {
	*memstore.Store

	mu         sync.Mutex
	applyCalls int
	// failNextApplies are returned, one per call and in order, by the next
	// Apply calls instead of committing.
	failNextApplies []error
	// failEveryApply, when set, is returned by every Apply call.
	failEveryApply error
	// beforeNextApply runs once, just before the next Apply commits, as a
	// concurrent writer would between the Service's read and its commit.
	beforeNextApply func()
	// failUserReads, when set, is returned by every User read.
	failUserReads error
}

func (s *faultyStore) Apply(ctx context.Context, m team.Mutation) error {
	s.mu.Lock()
	s.applyCalls++
	var fault error
	switch {
	case s.failEveryApply != nil:
		fault = s.failEveryApply
	case len(s.failNextApplies) > 0:
		fault, s.failNextApplies = s.failNextApplies[0], s.failNextApplies[1:]
	}
	interleave := s.beforeNextApply
	s.beforeNextApply = nil
	s.mu.Unlock()
	if fault != nil {
		return fault
	}
	if interleave != nil {
		interleave()
	}
	return s.Store.Apply(ctx, m)
}

func (s *faultyStore) User(ctx context.Context, businessID team.BusinessID, email string) (team.User, error) {
	s.mu.Lock()
	fault := s.failUserReads
	s.mu.Unlock()
	if fault != nil {
		return team.User{}, fault
	}
	return s.Store.User(ctx, businessID, email)
}

func (s *faultyStore) appliesAttempted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyCalls
}

type fixture struct {
	ctx   context.Context
	mem   *memstore.Store
	store *faultyStore
	clock *fixedClock
	ids   *sequentialIDs
	svc   *team.Service
	// seeded holds the users as the fixture created them, by email.
	seeded map[string]team.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	mem := memstore.New()
	f := &fixture{
		ctx:    context.Background(),
		mem:    mem,
		store:  &faultyStore{Store: mem},
		clock:  &fixedClock{at: seedTime},
		ids:    &sequentialIDs{},
		seeded: map[string]team.User{},
	}
	f.svc = team.NewService(f.store, f.clock, f.ids, phone.Normalizer{})

	owner := team.User{BusinessID: acme, ID: seededID(ownerEmail), Email: ownerEmail, FirstName: "Olive", LastName: "Owner",
		Permissions: acmeTabs, CreatedAt: seedTime, UpdatedAt: seedTime, Version: 1}
	if err := mem.CreateBusiness(f.ctx, team.Business{ID: acme, Name: "Acme", Tabs: acmeTabs, CreatedAt: seedTime}, owner); err != nil {
		t.Fatalf("create business %s: %v", acme, err)
	}
	owner.IsOwner = true // CreateBusiness makes its first user the owner
	f.seeded[ownerEmail] = owner
	f.seed(t, team.User{Email: managerEmail, FirstName: "Max", LastName: "Manager", Phone: "+14155550101",
		Permissions: team.Permissions{team.TabCRM, team.TabUsers}})
	f.seed(t, team.User{Email: memberEmail, FirstName: "Mo", LastName: "Member", Phone: "+14155550100",
		Permissions: team.Permissions{team.TabConversations, team.TabCRM}})

	var everyTab team.Permissions
	for _, tab := range team.Catalogue() {
		everyTab = append(everyTab, tab.ID)
	}
	boss := team.User{BusinessID: globex, ID: seededID(outsiderEmail), Email: outsiderEmail, FirstName: "Gus", Permissions: everyTab,
		CreatedAt: seedTime, UpdatedAt: seedTime, Version: 1}
	if err := mem.CreateBusiness(f.ctx, team.Business{ID: globex, Name: "Globex", Tabs: everyTab, CreatedAt: seedTime}, boss); err != nil {
		t.Fatalf("create business %s: %v", globex, err)
	}
	boss.IsOwner = true
	f.seeded[outsiderEmail] = boss

	f.clock.at = changeTime
	return f
}

// seed adds a user to acme straight through the store, so that the
// fixture does not depend on the Service it is used to test.
func (f *fixture) seed(t *testing.T, u team.User) {
	t.Helper()
	u.BusinessID, u.InvitedBy, u.CreatedAt, u.UpdatedAt, u.Version = acme, ownerEmail, seedTime, seedTime, 1
	u.ID = seededID(u.Email)
	err := f.mem.Apply(f.ctx, team.Mutation{
		BusinessID: acme, Actor: ownerEmail, After: &u, RequireTabs: u.Permissions,
		Activity: team.Activity{ID: f.ids.NewID(seedTime), BusinessID: acme, Type: team.ActivityUserAdded,
			Actor: ownerEmail, Target: personOf(u), At: seedTime},
	})
	if err != nil {
		t.Fatalf("seed %s: %v", u.Email, err)
	}
	f.seeded[u.Email] = u
}

// seededID is the id the fixture gives a user it seeds.
func seededID(email string) string {
	return team.UserIDPrefix + strings.NewReplacer("@", "_", ".", "_").Replace(email)
}

// pin is the Precondition of an If-Match naming versions of the user the
// fixture seeded at email (the id it was seeded with).
func pin(email string, versions ...int64) team.Precondition {
	revs := make([]team.Revision, len(versions))
	for i, v := range versions {
		revs[i] = team.Revision{ID: seededID(email), Version: v}
	}
	return team.OnlyRevisions(revs...)
}

// stored returns the user as the store holds it, and whether it exists.
func (f *fixture) stored(t *testing.T, businessID team.BusinessID, email string) (team.User, bool) {
	t.Helper()
	u, err := f.mem.User(f.ctx, businessID, email)
	if errors.Is(err, team.ErrNotFound) {
		return team.User{}, false
	}
	if err != nil {
		t.Fatalf("read %s: %v", email, err)
	}
	return u, true
}

// teamState is everything a request could change.
type teamState struct {
	Users   []team.User
	Applied int
}

func (f *fixture) state(t *testing.T) teamState {
	t.Helper()
	var s teamState
	for _, businessID := range []team.BusinessID{acme, globex} {
		page, err := f.mem.Users(f.ctx, businessID, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize})
		if err != nil {
			t.Fatalf("list %s: %v", businessID, err)
		}
		s.Users = append(s.Users, page.Users...)
	}
	s.Applied = f.mem.AppliedCount()
	return s
}

// checkUnchanged asserts that a refused request wrote nothing at all: no user
// differs and no mutation was committed (I7: never a partial write).
func (f *fixture) checkUnchanged(t *testing.T, before teamState) {
	t.Helper()
	if diff := cmp.Diff(before, f.state(t), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("a refused request changed stored state (-before +after):\n%s", diff)
	}
}

// activity returns acme's activity newest first, as its owner sees it.
func (f *fixture) activity(t *testing.T) []team.Activity {
	t.Helper()
	page, err := f.svc.ListActivity(f.ctx, ownerEmail, acme, team.ActivityFilter{}, team.PageRequest{Limit: team.MaxPageSize})
	if err != nil {
		t.Fatalf("ListActivity: %v", err)
	}
	return page.Activity
}

// checkOneActivity asserts that exactly one record was added to the log since
// it had logLength entries, and that it describes the change as want does.
func (f *fixture) checkOneActivity(t *testing.T, logLength int, want team.Activity) {
	t.Helper()
	log := f.activity(t)
	added := log[:len(log)-logLength]
	if len(added) != 1 {
		t.Fatalf("the change recorded %d activity records, want exactly 1: %+v", len(added), added)
	}
	if added[0].ID == "" {
		t.Errorf("the activity record has no id")
	}
	if diff := cmp.Diff(want, added[0], cmpopts.IgnoreFields(team.Activity{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("activity mismatch (-want +got):\n%s", diff)
	}
}

func personOf(u team.User) team.Person {
	return team.Person{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone}
}

// wantErr is what a client must see of a refused request.
type wantErr struct {
	code team.Code
	// fields are the request fields the error blames, in any order.
	fields []string
	// mention must appear in the message or a field reason, so that the
	// person knows what to fix.
	mention string
	// conceal must appear nowhere a client can see, so that a refusal
	// reveals nothing about another business (I5).
	conceal string
}

// checkRefusal checks the code, that the message is one a person can act on,
// and the fields blamed.
func checkRefusal(t *testing.T, err error, want wantErr) {
	t.Helper()
	if err == nil {
		t.Fatalf("the request succeeded, want %s", want.code)
	}
	if got := team.ErrorCode(err); got != want.code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, want.code, err)
	}
	message := team.ErrorMessage(err)
	if strings.TrimSpace(message) == "" {
		t.Errorf("the error has no message for the person who made the request")
	}
	var fields map[string]string
	if e := (*team.Error)(nil); errors.As(err, &e) {
		fields = e.Fields
	}
	var blamed []string
	visible := message
	for name, reason := range fields {
		blamed = append(blamed, name)
		visible += "\n" + reason
		if strings.TrimSpace(reason) == "" {
			t.Errorf("field %q is blamed without a reason", name)
		}
	}
	slices.Sort(blamed)
	wantFields := slices.Sorted(slices.Values(want.fields))
	if diff := cmp.Diff(wantFields, blamed, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("fields blamed mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(visible, want.mention) {
		t.Errorf("the error does not mention %q: %q", want.mention, visible)
	}
	if want.conceal != "" && strings.Contains(visible, want.conceal) {
		t.Errorf("the error reveals %q: %q", want.conceal, visible)
	}
}

func strPtr(s string) *string { return &s }

// inBusiness parses a business id from a path, as the HTTP layer does before
// it calls the Service, and makes the call with it; a malformed id is
// refused there, and the Service is never reached.
func inBusiness[T any](raw string, call func(team.BusinessID) (T, error)) (T, error) {
	id, err := team.ParseBusinessID(raw)
	if err != nil {
		var zero T
		return zero, err
	}
	return call(id)
}

func TestListTabs(t *testing.T) {
	acmeTabList := []team.Tab{
		{ID: team.TabHome, Name: "Home"}, {ID: team.TabConversations, Name: "Conversations"}, {ID: team.TabCRM, Name: "CRM"},
		{ID: team.TabAdministration, Name: "Administration"}, {ID: team.TabUsers, Name: "Users"},
	}
	tests := []struct {
		name       string
		caller     string
		businessID string
		want       []team.Tab
		refusal    *wantErr
	}{
		{name: "a manager sees the enabled tabs in display order", caller: ownerEmail, businessID: acme, want: acmeTabList},
		{name: "a member may list them too", caller: memberEmail, businessID: acme, want: acmeTabList},
		{name: "a user of another business may not", caller: outsiderEmail, businessID: acme, refusal: &wantErr{code: team.CodeForbidden}},
		{name: "a business that does not exist", caller: ownerEmail, businessID: "initech", refusal: &wantErr{code: team.CodeForbidden}},
		{name: "a malformed business id", caller: ownerEmail, businessID: "acme/../globex", refusal: &wantErr{code: team.CodeInvalidRequest, mention: "business id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			got, err := inBusiness(tt.businessID, func(id team.BusinessID) ([]team.Tab, error) { return f.svc.ListTabs(f.ctx, tt.caller, id) })
			if tt.refusal != nil {
				checkRefusal(t, err, *tt.refusal)
				return
			}
			if err != nil {
				t.Fatalf("ListTabs: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListTabs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListUsersPagesThroughEveryoneSortedByEmail(t *testing.T) {
	f := newFixture(t)
	var emails []string
	page := team.PageRequest{Limit: 2}
	for pages := 1; ; pages++ {
		got, err := f.svc.ListUsers(f.ctx, ownerEmail, acme, team.UserQuery{}, page)
		if err != nil {
			t.Fatalf("ListUsers page %d: %v", pages, err)
		}
		if len(got.Users) > page.Limit {
			t.Fatalf("page %d has %d users, more than the limit %d", pages, len(got.Users), page.Limit)
		}
		for _, u := range got.Users {
			if diff := cmp.Diff(f.seeded[u.Email], u); diff != "" {
				t.Errorf("listed user %s mismatch (-want +got):\n%s", u.Email, diff)
			}
			emails = append(emails, u.Email)
		}
		if got.NextCursor == "" {
			break
		}
		if pages > 3 {
			t.Fatalf("paging did not end")
		}
		page.Cursor = got.NextCursor
	}
	want := []string{managerEmail, memberEmail, ownerEmail}
	if diff := cmp.Diff(want, emails); diff != "" {
		t.Errorf("listed emails mismatch (-want +got):\n%s", diff)
	}
}

func TestListUsersRefused(t *testing.T) {
	f := newFixture(t)
	first, err := f.svc.ListUsers(f.ctx, ownerEmail, acme, team.UserQuery{}, team.PageRequest{Limit: 1})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("ListUsers first page: cursor %q, error %v", first.NextCursor, err)
	}
	acmeCursor := first.NextCursor

	tests := []struct {
		name       string
		caller     string
		businessID string
		page       team.PageRequest
		want       wantErr
	}{
		{name: "a member is not a manager", caller: memberEmail, businessID: acme, page: team.PageRequest{Limit: 10},
			want: wantErr{code: team.CodeForbidden, mention: "User Management"}},
		{name: "a manager of another business", caller: outsiderEmail, businessID: acme, page: team.PageRequest{Limit: 10},
			want: wantErr{code: team.CodeForbidden}},
		{name: "another business's manager with a bad cursor is still forbidden", caller: outsiderEmail, businessID: acme,
			page: team.PageRequest{Limit: 10, Cursor: "garbage"}, want: wantErr{code: team.CodeForbidden}},
		{name: "a business that does not exist", caller: ownerEmail, businessID: "initech", page: team.PageRequest{Limit: 10},
			want: wantErr{code: team.CodeForbidden}},
		{name: "limit zero", caller: ownerEmail, businessID: acme, page: team.PageRequest{Limit: 0},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"limit"}, mention: "100"}},
		{name: "limit over 100", caller: ownerEmail, businessID: acme, page: team.PageRequest{Limit: 101},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"limit"}, mention: "100"}},
		{name: "negative limit", caller: ownerEmail, businessID: acme, page: team.PageRequest{Limit: -1},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"limit"}, mention: "100"}},
		{name: "a cursor that was never issued", caller: ownerEmail, businessID: acme, page: team.PageRequest{Limit: 10, Cursor: "garbage"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"cursor"}, mention: "first page"}},
		{name: "a cursor of another business", caller: outsiderEmail, businessID: globex, page: team.PageRequest{Limit: 10, Cursor: acmeCursor},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"cursor"}, conceal: managerEmail}},
		{name: "a malformed business id", caller: ownerEmail, businessID: "", page: team.PageRequest{Limit: 10},
			want: wantErr{code: team.CodeInvalidRequest, mention: "business id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inBusiness(tt.businessID, func(id team.BusinessID) (team.UserPage, error) {
				return f.svc.ListUsers(f.ctx, tt.caller, id, team.UserQuery{}, tt.page)
			})
			checkRefusal(t, err, tt.want)
			if len(got.Users) > 0 {
				t.Errorf("a refused list returned users: %v", got.Users)
			}
		})
	}
}

func TestListActivity(t *testing.T) {
	f := newFixture(t)
	seededLog := len(f.activity(t))
	if _, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: inviteeEmail}); err != nil {
		t.Fatalf("InviteUser: %v", err)
	}
	if _, err := f.svc.SetPermissions(f.ctx, managerEmail, acme, inviteeEmail, []string{"crm"}, team.AnyVersion); err != nil {
		t.Fatalf("SetPermissions: %v", err)
	}
	if err := f.svc.RemoveUser(f.ctx, ownerEmail, acme, inviteeEmail, team.AnyVersion); err != nil {
		t.Fatalf("RemoveUser: %v", err)
	}

	t.Run("newest first, with who did what", func(t *testing.T) {
		log := f.activity(t)
		if len(log) != seededLog+3 {
			t.Fatalf("the log has %d records, want %d", len(log), seededLog+3)
		}
		type summary struct {
			Type   team.ActivityType
			Actor  string
			Target string
		}
		var got []summary
		for _, a := range log[:3] {
			got = append(got, summary{a.Type, a.Actor, a.Target.Email})
		}
		want := []summary{
			{team.ActivityUserRemoved, ownerEmail, inviteeEmail},
			{team.ActivityPermissionsChanged, managerEmail, inviteeEmail},
			{team.ActivityUserAdded, ownerEmail, inviteeEmail},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("newest activity mismatch (-want +got):\n%s", diff)
		}
		ids := map[string]bool{}
		for _, a := range log {
			if a.ID == "" || ids[a.ID] {
				t.Errorf("activity id %q is empty or repeated", a.ID)
			}
			ids[a.ID] = true
		}
	})

	t.Run("pages of one give the same records in the same order", func(t *testing.T) {
		want := f.activity(t)
		var got []team.Activity
		page := team.PageRequest{Limit: 1}
		for range len(want) + 1 {
			p, err := f.svc.ListActivity(f.ctx, managerEmail, acme, team.ActivityFilter{}, page)
			if err != nil {
				t.Fatalf("ListActivity: %v", err)
			}
			got = append(got, p.Activity...)
			if p.NextCursor == "" {
				break
			}
			page.Cursor = p.NextCursor
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("paged activity mismatch (-want +got):\n%s", diff)
		}
	})

	refusals := []struct {
		name       string
		caller     string
		businessID team.BusinessID
		page       team.PageRequest
		want       wantErr
	}{
		{name: "a member is not a manager", caller: memberEmail, businessID: acme, page: team.PageRequest{Limit: 10},
			want: wantErr{code: team.CodeForbidden}},
		{name: "a manager of another business", caller: outsiderEmail, businessID: acme, page: team.PageRequest{Limit: 10},
			want: wantErr{code: team.CodeForbidden, conceal: inviteeEmail}},
		{name: "limit over 100", caller: ownerEmail, businessID: acme, page: team.PageRequest{Limit: 101},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"limit"}}},
		{name: "a cursor that was never issued", caller: ownerEmail, businessID: acme, page: team.PageRequest{Limit: 10, Cursor: "!!"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"cursor"}}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.ListActivity(f.ctx, tt.caller, tt.businessID, team.ActivityFilter{}, tt.page)
			checkRefusal(t, err, tt.want)
			if len(got.Activity) > 0 {
				t.Errorf("a refused list returned activity: %v", got.Activity)
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	tests := []struct {
		name     string
		caller   string
		business string
		email    string
		want     string // email of the seeded user expected back
		refusal  *wantErr
	}{
		{name: "a manager reads another user", caller: ownerEmail, business: acme, email: memberEmail, want: memberEmail},
		{name: "a manager without the administration tab reads another user", caller: managerEmail, business: acme, email: ownerEmail, want: ownerEmail},
		{name: "the path email is matched whatever its case", caller: ownerEmail, business: acme, email: " Member@ACME.test", want: memberEmail},
		{name: "a member reads themselves", caller: memberEmail, business: acme, email: memberEmail, want: memberEmail},
		{name: "a member reads themselves, typed in another case", caller: memberEmail, business: acme, email: "MEMBER@acme.test", want: memberEmail},

		{name: "a member cannot read another user", caller: memberEmail, business: acme, email: ownerEmail,
			refusal: &wantErr{code: team.CodeForbidden}},
		{name: "a member asking for a user that does not exist", caller: memberEmail, business: acme, email: missingEmail,
			refusal: &wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "a manager asking for a user that does not exist", caller: ownerEmail, business: acme, email: missingEmail,
			refusal: &wantErr{code: team.CodeNotFound, mention: missingEmail}},
		{name: "another business's manager, existing user", caller: outsiderEmail, business: acme, email: memberEmail,
			refusal: &wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, user that does not exist", caller: outsiderEmail, business: acme, email: missingEmail,
			refusal: &wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "another business's manager asking for themselves", caller: outsiderEmail, business: acme, email: outsiderEmail,
			refusal: &wantErr{code: team.CodeForbidden}},
		{name: "a malformed email", caller: ownerEmail, business: acme, email: "Mo <member@acme.test>",
			refusal: &wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}, mention: "name@example.com"}},
		{name: "a malformed business id", caller: ownerEmail, business: "acme corp", email: memberEmail,
			refusal: &wantErr{code: team.CodeInvalidRequest, mention: "business id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			got, err := inBusiness(tt.business, func(id team.BusinessID) (team.User, error) { return f.svc.GetUser(f.ctx, tt.caller, id, tt.email) })
			if tt.refusal != nil {
				checkRefusal(t, err, *tt.refusal)
				if !cmp.Equal(got, team.User{}) {
					t.Errorf("a refused read returned a user: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if diff := cmp.Diff(f.seeded[tt.want], got); diff != "" {
				t.Errorf("GetUser mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInviteUser(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		in     team.Invitation
		want   team.User
	}{
		{
			name:   "permissions omitted grant every enabled tab; input is normalised",
			caller: ownerEmail,
			in:     team.Invitation{Email: " Ann@Example.COM ", FirstName: "  Ann ", LastName: "Lee", Phone: "+1 (415) 555-0100"},
			want: team.User{Email: inviteeEmail, FirstName: "Ann", LastName: "Lee", Phone: "+14155550100", PhoneDisplay: "+1 415-555-0100",
				Permissions: acmeTabs},
		},
		{
			name:   "explicit permissions are kept in display order without duplicates",
			caller: ownerEmail,
			in:     team.Invitation{Email: inviteeEmail, Permissions: []string{"users", "crm", "crm", "home"}},
			want:   team.User{Email: inviteeEmail, Permissions: team.Permissions{team.TabHome, team.TabCRM, team.TabUsers}},
		},
		{
			name:   "an empty permission list invites a user who sees no tabs",
			caller: ownerEmail,
			in:     team.Invitation{Email: inviteeEmail, Permissions: []string{}},
			want:   team.User{Email: inviteeEmail, Permissions: team.Permissions{}},
		},
		{
			name:   "a manager without the administration tab may invite",
			caller: managerEmail,
			in:     team.Invitation{Email: inviteeEmail, Phone: "415 555 0199", Permissions: []string{"conversations"}},
			want:   team.User{Email: inviteeEmail, Phone: "+14155550199", PhoneDisplay: "+1 415-555-0199", Permissions: team.Permissions{team.TabConversations}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			logLength := len(f.activity(t))
			applied := f.mem.AppliedCount()

			got, err := f.svc.InviteUser(f.ctx, tt.caller, acme, tt.in)
			if err != nil {
				t.Fatalf("InviteUser: %v", err)
			}
			want := tt.want
			want.BusinessID, want.InvitedBy, want.CreatedAt, want.UpdatedAt, want.Version = acme, tt.caller, changeTime, changeTime, 1
			if !strings.HasPrefix(got.ID, team.UserIDPrefix) || len(got.ID) <= len(team.UserIDPrefix) {
				t.Errorf("the invited user's id is %q, want %q and a unique part", got.ID, team.UserIDPrefix)
			}
			want.ID = got.ID
			// Invited until their first request, for the default 14 days.
			want.Status, want.InvitationSentAt, want.InvitationExpiresAt = team.StatusInvited, changeTime, changeTime.Add(14*24*time.Hour)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("returned user mismatch (-want +got):\n%s", diff)
			}
			stored, ok := f.stored(t, acme, want.Email)
			if !ok {
				t.Fatalf("the invited user was not stored")
			}
			if diff := cmp.Diff(want, stored, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored user mismatch (-want +got):\n%s", diff)
			}
			if n := f.mem.AppliedCount() - applied; n != 1 {
				t.Errorf("the invite committed %d mutations, want 1", n)
			}
			// The record carries the expiry, for the welcome email.
			f.checkOneActivity(t, logLength, team.Activity{
				BusinessID: acme, Type: team.ActivityUserAdded, Actor: tt.caller, ActorID: seededID(tt.caller), Target: personOf(want), At: changeTime,
				Changes: team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: want.Permissions}},
				// The welcome email says until when the invitation is valid (SPEC §5).
				InvitationExpiresAt: want.InvitationExpiresAt,
			})
		})
	}
}

func TestInviteUserRefused(t *testing.T) {
	tests := []struct {
		name     string
		caller   string
		business string
		in       team.Invitation
		want     wantErr
	}{
		{name: "email missing", caller: ownerEmail, business: acme, in: team.Invitation{FirstName: "Ann"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}, mention: "Enter an email address"}},
		{name: "email with a display name", caller: ownerEmail, business: acme, in: team.Invitation{Email: "Ann <ann@example.com>"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}, mention: "name@example.com"}},
		{name: "email domain without a dot", caller: ownerEmail, business: acme, in: team.Invitation{Email: "ann@gmail"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}, mention: "gmail"}},
		{name: "first name with a right-to-left override", caller: ownerEmail, business: acme,
			in:   team.Invitation{Email: inviteeEmail, FirstName: "Ann\u202e"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"firstName"}, mention: "control"}},
		{name: "last name of 101 characters", caller: ownerEmail, business: acme,
			in:   team.Invitation{Email: inviteeEmail, LastName: strings.Repeat("é", 101)},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"lastName"}, mention: "100"}},
		{name: "phone in words", caller: ownerEmail, business: acme, in: team.Invitation{Email: inviteeEmail, Phone: "call me"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"phone"}, mention: "+1 415 555 0100"}},
		{name: "unknown tab", caller: ownerEmail, business: acme, in: team.Invitation{Email: inviteeEmail, Permissions: []string{"home", "billing"}},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: "billing"}},
		{name: "every bad field is reported at once", caller: ownerEmail, business: acme,
			in:   team.Invitation{Email: "ann", FirstName: "A\x00", LastName: strings.Repeat("x", 101), Phone: "abc", Permissions: []string{"billing"}},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email", "firstName", "lastName", "permissions", "phone"}}},
		{name: "a tab the business has not enabled", caller: ownerEmail, business: acme,
			in:   team.Invitation{Email: inviteeEmail, Permissions: []string{"crm", "store"}},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: "store"}},
		{name: "an email of an existing user, typed in another case", caller: ownerEmail, business: acme,
			in:   team.Invitation{Email: "  MEMBER@Acme.Test ", FirstName: "Someone", LastName: "Else"},
			want: wantErr{code: team.CodeUserExists, fields: []string{"email"}, mention: memberEmail}},
		{name: "a manager inviting their own email", caller: ownerEmail, business: acme, in: team.Invitation{Email: ownerEmail},
			want: wantErr{code: team.CodeUserExists, fields: []string{"email"}, mention: ownerEmail}},
		{name: "a member cannot invite", caller: memberEmail, business: acme, in: team.Invitation{Email: inviteeEmail},
			want: wantErr{code: team.CodeForbidden, mention: "User Management"}},
		{name: "a member inviting an existing email learns nothing", caller: memberEmail, business: acme, in: team.Invitation{Email: ownerEmail},
			want: wantErr{code: team.CodeForbidden, conceal: ownerEmail}},
		{name: "a member inviting their own email", caller: memberEmail, business: acme, in: team.Invitation{Email: memberEmail},
			want: wantErr{code: team.CodeForbidden}},
		{name: "another business's manager, new email", caller: outsiderEmail, business: acme, in: team.Invitation{Email: inviteeEmail},
			want: wantErr{code: team.CodeForbidden}},
		{name: "another business's manager, existing email", caller: outsiderEmail, business: acme, in: team.Invitation{Email: memberEmail},
			want: wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, explicit permissions", caller: outsiderEmail, business: acme,
			in:   team.Invitation{Email: memberEmail, Permissions: []string{"store"}},
			want: wantErr{code: team.CodeForbidden, conceal: "store"}},
		{name: "another business's manager inviting their own email", caller: outsiderEmail, business: acme, in: team.Invitation{Email: outsiderEmail},
			want: wantErr{code: team.CodeForbidden}},
		{name: "a business that does not exist", caller: ownerEmail, business: "initech", in: team.Invitation{Email: inviteeEmail},
			want: wantErr{code: team.CodeForbidden}},
		{name: "a malformed business id", caller: ownerEmail, business: "acme/../globex", in: team.Invitation{Email: inviteeEmail},
			want: wantErr{code: team.CodeInvalidRequest, mention: "business id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			got, err := inBusiness(tt.business, func(id team.BusinessID) (team.User, error) { return f.svc.InviteUser(f.ctx, tt.caller, id, tt.in) })
			checkRefusal(t, err, tt.want)
			if !cmp.Equal(got, team.User{}) {
				t.Errorf("a refused invite returned a user: %+v", got)
			}
			f.checkUnchanged(t, before)
		})
	}
}

func TestInviteUserConcurrentInvitesOfOneAddress(t *testing.T) {
	// I1: however the address is typed, exactly one of many simultaneous
	// invites creates the user and every other one is told it exists.
	f := newFixture(t)
	spellings := []string{"ann@example.com", "Ann@Example.com", " ANN@EXAMPLE.COM", "ann@EXAMPLE.com ",
		"aNN@example.COM", "ann@example.com\t", "Ann@example.com", "ANN@example.com"}
	errs := make([]error, len(spellings))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, email := range spellings {
		wg.Go(func() {
			<-start
			_, errs[i] = f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: email})
		})
	}
	applied := f.mem.AppliedCount()
	close(start)
	wg.Wait()

	succeeded := 0
	for i, err := range errs {
		switch team.ErrorCode(err) {
		case "":
			succeeded++
		case team.CodeUserExists:
		default:
			t.Errorf("invite of %q: %v, want success or user_exists", spellings[i], err)
		}
	}
	if succeeded != 1 {
		t.Errorf("%d invites succeeded, want exactly 1", succeeded)
	}
	if n := f.mem.AppliedCount() - applied; n != 1 {
		t.Errorf("%d mutations committed, want 1", n)
	}
	if _, ok := f.stored(t, acme, inviteeEmail); !ok {
		t.Errorf("no user %s was stored", inviteeEmail)
	}
}

func TestInviteUserAfterRemovalGivesAFreshUser(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.RemoveUser(f.ctx, ownerEmail, acme, memberEmail, team.AnyVersion); err != nil {
		t.Fatalf("RemoveUser: %v", err)
	}
	f.clock.at = changeTime.Add(time.Minute)
	logLength := len(f.activity(t))
	got, err := f.svc.InviteUser(f.ctx, managerEmail, acme, team.Invitation{Email: memberEmail, Permissions: []string{"crm"}})
	if err != nil {
		t.Fatalf("inviting a removed user again: %v", err)
	}
	// The person invited again is a new user: a new id, so that nothing
	// pinned to the removed user (an ETag, a history filter) reaches them.
	if got.ID == seededID(memberEmail) || !strings.HasPrefix(got.ID, team.UserIDPrefix) {
		t.Errorf("the re-invited user's id is %q, want a new %s id (the removed user's was %q)", got.ID, team.UserIDPrefix, seededID(memberEmail))
	}
	want := team.User{BusinessID: acme, ID: got.ID, Email: memberEmail, Permissions: team.Permissions{team.TabCRM}, InvitedBy: managerEmail,
		CreatedAt: f.clock.at, UpdatedAt: f.clock.at, Version: 1,
		Status: team.StatusInvited, InvitationSentAt: f.clock.at, InvitationExpiresAt: f.clock.at.Add(team.DefaultInvitationTTL)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("re-invited user mismatch (-want +got):\n%s", diff)
	}
	// The new user.added record is what sends the new welcome email (SPEC §2.2).
	f.checkOneActivity(t, logLength, team.Activity{
		BusinessID: acme, Type: team.ActivityUserAdded, Actor: managerEmail, ActorID: seededID(managerEmail), Target: personOf(want), At: f.clock.at,
		Changes:             team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: want.Permissions}},
		InvitationExpiresAt: want.InvitationExpiresAt,
	})
}

func TestSetPermissions(t *testing.T) {
	tests := []struct {
		name    string
		caller  string
		target  string // as typed in the path
		tabs    []string
		ifMatch team.Precondition
		want    team.Permissions
	}{
		{name: "a manager changes a member's permissions", caller: ownerEmail, target: memberEmail,
			tabs: []string{"crm", "home", "conversations"}, want: team.Permissions{team.TabHome, team.TabConversations, team.TabCRM}},
		{name: "a manager makes a member a manager", caller: managerEmail, target: memberEmail,
			tabs: []string{"users", "crm"}, want: team.Permissions{team.TabCRM, team.TabUsers}},
		{name: "a manager takes every permission away from another user", caller: ownerEmail, target: memberEmail,
			tabs: []string{}, want: team.Permissions{}},
		{name: "a manager takes the users permission from another manager", caller: ownerEmail, target: managerEmail,
			tabs: []string{"crm"}, want: team.Permissions{team.TabCRM}},
		{name: "a manager changes their own other permissions", caller: ownerEmail, target: ownerEmail,
			tabs: []string{"users", "administration", "home"}, want: team.Permissions{team.TabHome, team.TabAdministration, team.TabUsers}},
		{name: "a manager without the administration tab saves their own without it", caller: managerEmail, target: managerEmail,
			tabs: []string{"home", "users"}, want: team.Permissions{team.TabHome, team.TabUsers}},
		{name: "the path email is matched whatever its case", caller: ownerEmail, target: "Member@Acme.TEST",
			tabs: []string{"home"}, want: team.Permissions{team.TabHome}},
		{name: "If-Match with the current version", caller: ownerEmail, target: memberEmail,
			tabs: []string{"home"}, ifMatch: pin(memberEmail, 1), want: team.Permissions{team.TabHome}},
		{name: "If-Match listing the current version among others", caller: ownerEmail, target: memberEmail,
			tabs: []string{"home"}, ifMatch: pin(memberEmail, 7, 1), want: team.Permissions{team.TabHome}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			targetEmail := strings.ToLower(strings.TrimSpace(tt.target))
			before := f.seeded[targetEmail]
			logLength := len(f.activity(t))

			got, err := f.svc.SetPermissions(f.ctx, tt.caller, acme, tt.target, tt.tabs, tt.ifMatch)
			if err != nil {
				t.Fatalf("SetPermissions: %v", err)
			}
			want := before
			want.Permissions, want.UpdatedAt, want.Version = tt.want, changeTime, before.Version+1
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("returned user mismatch (-want +got):\n%s", diff)
			}
			stored, _ := f.stored(t, acme, targetEmail)
			if diff := cmp.Diff(want, stored, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored user mismatch (-want +got):\n%s", diff)
			}
			f.checkOneActivity(t, logLength, team.Activity{
				BusinessID: acme, Type: team.ActivityPermissionsChanged, Actor: tt.caller, ActorID: seededID(tt.caller), Target: personOf(want), At: changeTime,
				Changes: team.Changes{Permissions: &team.PermissionsChange{From: before.Permissions, To: tt.want}},
			})
		})
	}
}

func TestSetPermissionsRefused(t *testing.T) {
	tests := []struct {
		name    string
		caller  string
		target  string
		tabs    []string
		ifMatch team.Precondition
		want    wantErr
	}{
		{name: "a manager removing their own users permission", caller: ownerEmail, target: ownerEmail,
			tabs: []string{"home", "administration"},
			want: wantErr{code: team.CodeSelfLockout, fields: []string{"permissions"}, mention: "users"}},
		{name: "a manager removing their own administration permission", caller: ownerEmail, target: ownerEmail,
			tabs: []string{"home", "users"},
			want: wantErr{code: team.CodeSelfLockout, fields: []string{"permissions"}, mention: "administration"}},
		{name: "a manager removing all their own permissions", caller: ownerEmail, target: "Owner@acme.test",
			tabs: []string{},
			want: wantErr{code: team.CodeSelfLockout, fields: []string{"permissions"}}},
		{name: "a manager without the administration tab removing their own users permission", caller: managerEmail, target: managerEmail,
			tabs: []string{"crm"},
			want: wantErr{code: team.CodeSelfLockout, fields: []string{"permissions"}, mention: "users"}},
		{name: "a member changing their own permissions", caller: memberEmail, target: memberEmail,
			tabs: []string{"crm", "users"}, want: wantErr{code: team.CodeForbidden, mention: "User Management"}},
		{name: "a member changing another user's permissions", caller: memberEmail, target: managerEmail,
			tabs: []string{"crm"}, want: wantErr{code: team.CodeForbidden}},
		{name: "a member sending another user's current permissions", caller: memberEmail, target: managerEmail,
			tabs: []string{"crm", "users"}, want: wantErr{code: team.CodeForbidden}},
		{name: "a member with a stale If-Match on another user", caller: memberEmail, target: managerEmail,
			tabs: []string{"crm"}, ifMatch: pin(managerEmail, 9), want: wantErr{code: team.CodeForbidden}},
		{name: "a member naming a user that does not exist", caller: memberEmail, target: missingEmail,
			tabs: []string{"crm"}, want: wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "no permission list at all", caller: ownerEmail, target: memberEmail,
			tabs: nil, want: wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}}},
		{name: "an unknown tab", caller: ownerEmail, target: memberEmail,
			tabs: []string{"crm", "billing"}, want: wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: "billing"}},
		{name: "a tab the business has not enabled", caller: ownerEmail, target: memberEmail,
			tabs: []string{"crm", "store"}, want: wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: "store"}},
		{name: "a manager granting themselves a tab the business has not enabled", caller: ownerEmail, target: ownerEmail,
			tabs: []string{"home", "conversations", "crm", "reports", "administration", "users"},
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: "reports"}},
		{name: "a user that does not exist", caller: ownerEmail, target: missingEmail,
			tabs: []string{"crm"}, want: wantErr{code: team.CodeNotFound, mention: missingEmail}},
		{name: "a stale If-Match", caller: ownerEmail, target: memberEmail,
			tabs: []string{"home"}, ifMatch: pin(memberEmail, 2), want: wantErr{code: team.CodePreconditionFailed, mention: "reload"}},
		{name: "a malformed email", caller: ownerEmail, target: "member@acme",
			tabs: []string{"home"}, want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}}},
		{name: "another business's manager, existing user", caller: outsiderEmail, target: memberEmail,
			tabs: []string{"home"}, want: wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, the user's current permissions", caller: outsiderEmail, target: memberEmail,
			tabs: []string{"conversations", "crm"}, want: wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, user that does not exist", caller: outsiderEmail, target: missingEmail,
			tabs: []string{"home"}, want: wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "another business's manager, stale If-Match", caller: outsiderEmail, target: memberEmail,
			tabs: []string{"home"}, ifMatch: pin(memberEmail, 5), want: wantErr{code: team.CodeForbidden, conceal: "version"}},
		{name: "another business's manager, a tab acme has not enabled", caller: outsiderEmail, target: memberEmail,
			tabs: []string{"store"}, want: wantErr{code: team.CodeForbidden, conceal: "store"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			_, err := f.svc.SetPermissions(f.ctx, tt.caller, acme, tt.target, tt.tabs, tt.ifMatch)
			checkRefusal(t, err, tt.want)
			f.checkUnchanged(t, before)
		})
	}
}

func TestPermissionChangesApplyToTheVeryNextRequest(t *testing.T) {
	// I4: nothing caches authorisation, so the affected user's next request
	// already sees the change.
	f := newFixture(t)
	if _, err := f.svc.ListUsers(f.ctx, managerEmail, acme, team.UserQuery{}, team.PageRequest{Limit: 10}); err != nil {
		t.Fatalf("a manager could not list users before the change: %v", err)
	}
	if _, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, managerEmail, []string{"crm"}, team.AnyVersion); err != nil {
		t.Fatalf("SetPermissions: %v", err)
	}
	_, err := f.svc.ListUsers(f.ctx, managerEmail, acme, team.UserQuery{}, team.PageRequest{Limit: 10})
	checkRefusal(t, err, wantErr{code: team.CodeForbidden})
	before := f.state(t)
	_, err = f.svc.InviteUser(f.ctx, managerEmail, acme, team.Invitation{Email: inviteeEmail})
	checkRefusal(t, err, wantErr{code: team.CodeForbidden})
	f.checkUnchanged(t, before)

	// The former manager is still a user and still reads their own record.
	self, err := f.svc.GetUser(f.ctx, managerEmail, acme, managerEmail)
	if err != nil {
		t.Fatalf("the former manager could not read themselves: %v", err)
	}
	if diff := cmp.Diff(team.Permissions{team.TabCRM}, self.Permissions); diff != "" {
		t.Errorf("the former manager's permissions mismatch (-want +got):\n%s", diff)
	}

	// Granting works the same way round.
	if _, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, memberEmail, []string{"crm", "users"}, team.AnyVersion); err != nil {
		t.Fatalf("SetPermissions: %v", err)
	}
	if _, err := f.svc.ListUsers(f.ctx, memberEmail, acme, team.UserQuery{}, team.PageRequest{Limit: 10}); err != nil {
		t.Errorf("a member just made a manager could not list users: %v", err)
	}
}

func TestUpdateContact(t *testing.T) {
	tests := []struct {
		name    string
		caller  string
		target  string
		patch   team.ContactPatch
		ifMatch team.Precondition
		// edit applies the expected change to the user as seeded.
		edit    func(u *team.User)
		changes team.Changes
		// expiresAt is the invitation expiry the activity carries (an
		// email change invites the user again).
		expiresAt time.Time
		// activeTarget makes the target active, with a picture, first.
		activeTarget bool
	}{
		{
			name: "a manager edits another user's names and phone", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{FirstName: strPtr(" Morgan "), LastName: strPtr("Member"), Phone: strPtr("(415) 555-0199")},
			edit:  func(u *team.User) { u.FirstName, u.Phone, u.PhoneDisplay = "Morgan", "+14155550199", "+1 415-555-0199" },
			changes: team.Changes{
				FirstName: &team.FieldChange{From: "Mo", To: "Morgan"},
				Phone:     &team.FieldChange{From: "+14155550100", To: "+14155550199"},
			},
		},
		{
			name: "a member edits their own contact info", caller: memberEmail, target: memberEmail,
			patch: team.ContactPatch{LastName: strPtr("Moore")},
			// The seeded user predates phoneDisplay: any change stores it.
			edit:    func(u *team.User) { u.LastName, u.PhoneDisplay = "Moore", "+1 415-555-0100" },
			changes: team.Changes{LastName: &team.FieldChange{From: "Member", To: "Moore"}},
		},
		{
			name: "an empty string clears an optional field", caller: ownerEmail, target: memberEmail,
			patch:   team.ContactPatch{Phone: strPtr(""), FirstName: strPtr("")},
			edit:    func(u *team.User) { u.Phone, u.FirstName = "", "" },
			changes: team.Changes{Phone: &team.FieldChange{From: "+14155550100", To: ""}, FirstName: &team.FieldChange{From: "Mo", To: ""}},
		},
		{
			name: "a manager edits their own contact info", caller: managerEmail, target: managerEmail,
			patch:   team.ContactPatch{FirstName: strPtr("Maxine")},
			edit:    func(u *team.User) { u.FirstName, u.PhoneDisplay = "Maxine", "+1 415-555-0101" },
			changes: team.Changes{FirstName: &team.FieldChange{From: "Max", To: "Maxine"}},
		},
		{
			name: "the path email is matched whatever its case", caller: ownerEmail, target: "MEMBER@acme.test ",
			patch:   team.ContactPatch{LastName: strPtr("Moore")},
			edit:    func(u *team.User) { u.LastName, u.PhoneDisplay = "Moore", "+1 415-555-0100" },
			changes: team.Changes{LastName: &team.FieldChange{From: "Member", To: "Moore"}},
		},
		{
			name: "If-Match with the current version", caller: memberEmail, target: memberEmail, ifMatch: pin(memberEmail, 1),
			patch:   team.ContactPatch{LastName: strPtr("Moore")},
			edit:    func(u *team.User) { u.LastName, u.PhoneDisplay = "Moore", "+1 415-555-0100" },
			changes: team.Changes{LastName: &team.FieldChange{From: "Member", To: "Moore"}},
		},
		{
			// SPEC §2.5: the user is invited again at the new address, as
			// the same person (same id), with a new invitation.
			name: "a manager changes another user's email", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr(" Mo@New.Example ")},
			edit: func(u *team.User) {
				u.Email, u.PhoneDisplay = "mo@new.example", "+1 415-555-0100"
				u.Status, u.InvitationSentAt, u.InvitationExpiresAt = team.StatusInvited, changeTime, changeTime.Add(team.DefaultInvitationTTL)
			},
			changes:   team.Changes{Email: &team.FieldChange{From: memberEmail, To: "mo@new.example"}},
			expiresAt: changeTime.Add(team.DefaultInvitationTTL),
		},
		{
			name: "a manager changes an active user's email and names at once", caller: managerEmail, target: memberEmail, activeTarget: true,
			patch: team.ContactPatch{Email: strPtr("mo@new.example"), LastName: strPtr("Moore")},
			edit: func(u *team.User) {
				u.Email, u.LastName, u.PhoneDisplay = "mo@new.example", "Moore", "+1 415-555-0100"
				u.Status, u.InvitationSentAt, u.InvitationExpiresAt = team.StatusInvited, changeTime, changeTime.Add(team.DefaultInvitationTTL)
				u.ActivatedAt, u.ProfileImageURL = time.Time{}, ""
			},
			changes: team.Changes{Email: &team.FieldChange{From: memberEmail, To: "mo@new.example"},
				LastName: &team.FieldChange{From: "Member", To: "Moore"}},
			expiresAt: changeTime.Add(team.DefaultInvitationTTL),
		},
		{
			// Your own email is your sign-in identity (I2), but sending it
			// unchanged, in any spelling, is no change of it.
			name: "a member sends their own email back with a new name", caller: memberEmail, target: memberEmail,
			patch:   team.ContactPatch{Email: strPtr(" Member@ACME.test"), FirstName: strPtr("Mona")},
			edit:    func(u *team.User) { u.FirstName, u.PhoneDisplay = "Mona", "+1 415-555-0100" },
			changes: team.Changes{FirstName: &team.FieldChange{From: "Mo", To: "Mona"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			targetEmail := strings.ToLower(strings.TrimSpace(tt.target))
			before := f.seeded[targetEmail]
			if tt.activeTarget {
				before = f.activate(t, targetEmail, "https://pics.example/mo.png")
			}
			logLength := len(f.activity(t))
			applied := f.mem.AppliedCount()

			got, err := f.svc.UpdateContact(f.ctx, tt.caller, acme, tt.target, tt.patch, tt.ifMatch)
			if err != nil {
				t.Fatalf("UpdateContact: %v", err)
			}
			want := before
			tt.edit(&want)
			want.UpdatedAt, want.Version = changeTime, before.Version+1
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("returned user mismatch (-want +got):\n%s", diff)
			}
			stored, ok := f.stored(t, acme, want.Email)
			if !ok {
				t.Fatalf("no user is stored under %s", want.Email)
			}
			if diff := cmp.Diff(want, stored); diff != "" {
				t.Errorf("stored user mismatch (-want +got):\n%s", diff)
			}
			if want.Email != before.Email {
				// I1: the rename moves the one record; it never leaves two.
				if _, ok := f.stored(t, acme, before.Email); ok {
					t.Errorf("the old email %s still has a user after the change", before.Email)
				}
			}
			if n := f.mem.AppliedCount() - applied; n != 1 {
				t.Errorf("the change committed %d mutations, want 1", n)
			}
			f.checkOneActivity(t, logLength, team.Activity{
				BusinessID: acme, Type: team.ActivityContactChanged, Actor: tt.caller, ActorID: seededID(tt.caller), Target: personOf(want), At: changeTime,
				Changes: tt.changes, InvitationExpiresAt: tt.expiresAt,
			})
		})
	}
}

func TestUpdateContactEmailChangeIsSeenEverywhere(t *testing.T) {
	f := newFixture(t)
	const renamed = "mo@new.example"
	got, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{Email: strPtr("MO@new.example")}, team.AnyVersion)
	if err != nil {
		t.Fatalf("UpdateContact: %v", err)
	}
	if got.Email != renamed {
		t.Errorf("UpdateContact returned the user under %q, want the new email %q", got.Email, renamed)
	}
	if _, err := f.svc.GetUser(f.ctx, ownerEmail, acme, memberEmail); team.ErrorCode(err) != team.CodeNotFound {
		t.Errorf("GetUser of the old email: %v, want not_found", err)
	}
	fetched, err := f.svc.GetUser(f.ctx, ownerEmail, acme, renamed)
	if err != nil {
		t.Fatalf("GetUser of the new email: %v", err)
	}
	if diff := cmp.Diff(got, fetched); diff != "" {
		t.Errorf("the user read back differs from the one returned (-returned +read):\n%s", diff)
	}
	page, err := f.svc.ListUsers(f.ctx, ownerEmail, acme, team.UserQuery{}, team.PageRequest{Limit: 10})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	var emails []string
	for _, u := range page.Users {
		emails = append(emails, u.Email)
	}
	if diff := cmp.Diff([]string{managerEmail, renamed, ownerEmail}, emails); diff != "" {
		t.Errorf("listed emails mismatch (-want +got):\n%s", diff)
	}
	// The old address can be invited again as somebody new.
	if _, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: memberEmail}); err != nil {
		t.Errorf("inviting the freed old email: %v", err)
	}
}

func TestUpdateContactRefused(t *testing.T) {
	tests := []struct {
		name    string
		caller  string
		target  string
		patch   team.ContactPatch
		ifMatch team.Precondition
		want    wantErr
	}{
		{name: "renaming onto an existing user, typed in another case", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr(" Manager@ACME.test")},
			want:  wantErr{code: team.CodeUserExists, fields: []string{"email"}, mention: managerEmail}},
		{name: "renaming another user onto your own email", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr(ownerEmail)},
			want:  wantErr{code: team.CodeUserExists, fields: []string{"email"}, mention: ownerEmail}},
		// SPEC v2 (I2): your own email cannot be changed at all, so renaming
		// yourself onto another user's address is self_lockout, no longer
		// user_exists.
		{name: "renaming yourself onto an existing user", caller: memberEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr(managerEmail), LastName: strPtr("Moore")},
			want:  wantErr{code: team.CodeSelfLockout, fields: []string{"email"}, mention: "sign in"}},
		{name: "a member changing their own email", caller: memberEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr("mo@new.example"), FirstName: strPtr("Mo")},
			want:  wantErr{code: team.CodeSelfLockout, fields: []string{"email"}, mention: "sign in"}},
		{name: "a manager changing their own email", caller: managerEmail, target: managerEmail,
			patch: team.ContactPatch{Email: strPtr("max@new.example")},
			want:  wantErr{code: team.CodeSelfLockout, fields: []string{"email"}, mention: "sign in"}},
		{name: "the owner changing their own email", caller: ownerEmail, target: ownerEmail,
			patch: team.ContactPatch{Email: strPtr("olive@new.example")},
			want:  wantErr{code: team.CodeSelfLockout, fields: []string{"email"}, mention: "sign in"}},
		{name: "another manager changing the owner's email", caller: managerEmail, target: ownerEmail,
			patch: team.ContactPatch{Email: strPtr("olive@new.example")},
			want:  wantErr{code: team.CodeOwnerProtected, mention: "owner"}},
		{name: "a manager editing a user that does not exist", caller: ownerEmail, target: missingEmail,
			patch: team.ContactPatch{FirstName: strPtr("Nobody")},
			want:  wantErr{code: team.CodeNotFound, mention: missingEmail}},
		{name: "a stale If-Match", caller: ownerEmail, target: memberEmail, ifMatch: pin(memberEmail, 3),
			patch: team.ContactPatch{FirstName: strPtr("Morgan")},
			want:  wantErr{code: team.CodePreconditionFailed, mention: "reload"}},
		{name: "a stale If-Match on your own record", caller: memberEmail, target: memberEmail, ifMatch: pin(memberEmail, 3),
			patch: team.ContactPatch{FirstName: strPtr("Morgan")},
			want:  wantErr{code: team.CodePreconditionFailed, mention: "reload"}},
		{name: "a member editing another user", caller: memberEmail, target: managerEmail,
			patch: team.ContactPatch{FirstName: strPtr("Maxine")},
			want:  wantErr{code: team.CodeForbidden}},
		{name: "a member sending another user's current values", caller: memberEmail, target: managerEmail,
			patch: team.ContactPatch{FirstName: strPtr("Max")},
			want:  wantErr{code: team.CodeForbidden}},
		{name: "a member with a stale If-Match on another user", caller: memberEmail, target: managerEmail, ifMatch: pin(managerEmail, 3),
			patch: team.ContactPatch{FirstName: strPtr("Maxine")},
			want:  wantErr{code: team.CodeForbidden, conceal: "version"}},
		{name: "a member editing a user that does not exist", caller: memberEmail, target: missingEmail,
			patch: team.ContactPatch{FirstName: strPtr("Nobody")},
			want:  wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "a member renaming another user onto the member's own email", caller: memberEmail, target: managerEmail,
			patch: team.ContactPatch{Email: strPtr(memberEmail)},
			want:  wantErr{code: team.CodeForbidden}},
		{name: "another business's manager, existing user", caller: outsiderEmail, target: memberEmail,
			patch: team.ContactPatch{FirstName: strPtr("Hacked")},
			want:  wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, the user's current values", caller: outsiderEmail, target: memberEmail,
			patch: team.ContactPatch{FirstName: strPtr("Mo")},
			want:  wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, user that does not exist", caller: outsiderEmail, target: missingEmail,
			patch: team.ContactPatch{FirstName: strPtr("Nobody")},
			want:  wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "another business's manager, stale If-Match", caller: outsiderEmail, target: memberEmail, ifMatch: pin(memberEmail, 4),
			patch: team.ContactPatch{FirstName: strPtr("Hacked")},
			want:  wantErr{code: team.CodeForbidden, conceal: "version"}},
		{name: "another business's manager renaming onto an existing email", caller: outsiderEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr(ownerEmail)},
			want:  wantErr{code: team.CodeForbidden, conceal: ownerEmail}},
		{name: "another business's manager renaming onto their own email", caller: outsiderEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr(outsiderEmail)},
			want:  wantErr{code: team.CodeForbidden}},
		{name: "a new email with a display name", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr("Mo <mo@new.example>")},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}, mention: "name@example.com"}},
		{name: "an empty new email", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr("")},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}, mention: "Enter an email address"}},
		{name: "a phone in words", caller: memberEmail, target: memberEmail,
			patch: team.ContactPatch{Phone: strPtr("my cell")},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"phone"}}},
		{name: "a name of 101 characters", caller: memberEmail, target: memberEmail,
			patch: team.ContactPatch{LastName: strPtr(strings.Repeat("é", 101))},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"lastName"}, mention: "100"}},
		{name: "a name with a control character", caller: memberEmail, target: memberEmail,
			patch: team.ContactPatch{FirstName: strPtr("Mo\x1b[31m")},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"firstName"}, mention: "control"}},
		{name: "every bad field is reported at once", caller: ownerEmail, target: memberEmail,
			patch: team.ContactPatch{Email: strPtr("mo@new"), FirstName: strPtr("\u202eoM"), LastName: strPtr(strings.Repeat("x", 101)), Phone: strPtr("12")},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"email", "firstName", "lastName", "phone"}}},
		{name: "a malformed path email", caller: ownerEmail, target: "member",
			patch: team.ContactPatch{FirstName: strPtr("Morgan")},
			want:  wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			_, err := f.svc.UpdateContact(f.ctx, tt.caller, acme, tt.target, tt.patch, tt.ifMatch)
			checkRefusal(t, err, tt.want)
			// I1: a refused rename leaves both records exactly as they were.
			f.checkUnchanged(t, before)
		})
	}
}

func TestRemoveUser(t *testing.T) {
	tests := []struct {
		name    string
		caller  string
		target  string
		ifMatch team.Precondition
	}{
		{name: "a manager removes a member", caller: ownerEmail, target: memberEmail},
		{name: "a manager without the administration tab removes a member", caller: managerEmail, target: memberEmail},
		// The owner cannot be removed (I9): the target is another manager.
		{name: "a manager removes another manager", caller: ownerEmail, target: managerEmail},
		{name: "the path email is matched whatever its case", caller: ownerEmail, target: " Member@ACME.test"},
		{name: "If-Match with the current version", caller: ownerEmail, target: memberEmail, ifMatch: pin(memberEmail, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			targetEmail := strings.ToLower(strings.TrimSpace(tt.target))
			removed := f.seeded[targetEmail]
			logLength := len(f.activity(t))

			if err := f.svc.RemoveUser(f.ctx, tt.caller, acme, tt.target, tt.ifMatch); err != nil {
				t.Fatalf("RemoveUser: %v", err)
			}
			if _, ok := f.stored(t, acme, targetEmail); ok {
				t.Errorf("%s is still stored after removal", targetEmail)
			}
			_, err := f.svc.GetUser(f.ctx, tt.caller, acme, targetEmail)
			checkRefusal(t, err, wantErr{code: team.CodeNotFound, mention: targetEmail})
			// The removed user loses access on their very next request.
			_, err = f.svc.GetUser(f.ctx, targetEmail, acme, targetEmail)
			checkRefusal(t, err, wantErr{code: team.CodeForbidden})
			// Activity would be read by a manager who remains; the owner may
			// be the one removed.
			log, err := f.svc.ListActivity(f.ctx, tt.caller, acme, team.ActivityFilter{}, team.PageRequest{Limit: team.MaxPageSize})
			if err != nil {
				t.Fatalf("ListActivity: %v", err)
			}
			added := log.Activity[:len(log.Activity)-logLength]
			want := []team.Activity{{BusinessID: acme, Type: team.ActivityUserRemoved, Actor: tt.caller, ActorID: seededID(tt.caller), Target: personOf(removed), At: changeTime}}
			if diff := cmp.Diff(want, added, cmpopts.IgnoreFields(team.Activity{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("activity of the removal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRemoveUserRefused(t *testing.T) {
	tests := []struct {
		name     string
		caller   string
		business string // acme when empty
		target   string
		ifMatch  team.Precondition
		want     wantErr
	}{
		{name: "a manager removing themselves", caller: ownerEmail, target: ownerEmail,
			want: wantErr{code: team.CodeSelfLockout, mention: "yourself"}},
		{name: "a manager removing themselves, typed in another case", caller: managerEmail, target: "MANAGER@acme.test",
			want: wantErr{code: team.CodeSelfLockout, mention: "yourself"}},
		{name: "a member removing another user", caller: memberEmail, target: managerEmail,
			want: wantErr{code: team.CodeForbidden}},
		{name: "a member removing a user that does not exist", caller: memberEmail, target: missingEmail,
			want: wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "a user that does not exist", caller: ownerEmail, target: missingEmail,
			want: wantErr{code: team.CodeNotFound, mention: missingEmail}},
		{name: "a stale If-Match", caller: ownerEmail, target: memberEmail, ifMatch: pin(memberEmail, 2),
			want: wantErr{code: team.CodePreconditionFailed, mention: "reload"}},
		{name: "another business's manager, existing user", caller: outsiderEmail, target: memberEmail,
			want: wantErr{code: team.CodeForbidden, conceal: memberEmail}},
		{name: "another business's manager, user that does not exist", caller: outsiderEmail, target: missingEmail,
			want: wantErr{code: team.CodeForbidden, conceal: missingEmail}},
		{name: "another business's manager, stale If-Match", caller: outsiderEmail, target: memberEmail, ifMatch: pin(memberEmail, 2),
			want: wantErr{code: team.CodeForbidden, conceal: "version"}},
		{name: "a malformed email", caller: ownerEmail, target: "member@@acme.test",
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}}},
		{name: "a malformed business id", caller: ownerEmail, business: "acme!", target: memberEmail,
			want: wantErr{code: team.CodeInvalidRequest, mention: "business id"}},
		{name: "a business that does not exist", caller: ownerEmail, business: "initech", target: memberEmail,
			want: wantErr{code: team.CodeForbidden}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			business := tt.business
			if business == "" {
				business = acme
			}
			before := f.state(t)
			_, err := inBusiness(business, func(id team.BusinessID) (struct{}, error) {
				return struct{}{}, f.svc.RemoveUser(f.ctx, tt.caller, id, tt.target, tt.ifMatch)
			})
			checkRefusal(t, err, tt.want)
			f.checkUnchanged(t, before)
		})
	}
}

func TestRemovedManagerCannotWrite(t *testing.T) {
	// I3: authorisation is checked with each write, so a manager removed a
	// moment ago cannot act on what they read before.
	f := newFixture(t)
	if err := f.svc.RemoveUser(f.ctx, ownerEmail, acme, managerEmail, team.AnyVersion); err != nil {
		t.Fatalf("RemoveUser: %v", err)
	}
	writes := []struct {
		name  string
		write func() error
	}{
		{"invite", func() error {
			_, err := f.svc.InviteUser(f.ctx, managerEmail, acme, team.Invitation{Email: inviteeEmail})
			return err
		}},
		{"invite with explicit permissions", func() error {
			_, err := f.svc.InviteUser(f.ctx, managerEmail, acme, team.Invitation{Email: inviteeEmail, Permissions: []string{"crm"}})
			return err
		}},
		{"set another user's permissions", func() error {
			_, err := f.svc.SetPermissions(f.ctx, managerEmail, acme, memberEmail, []string{"home"}, team.AnyVersion)
			return err
		}},
		{"set their own permissions", func() error {
			_, err := f.svc.SetPermissions(f.ctx, managerEmail, acme, managerEmail, []string{"crm", "users"}, team.AnyVersion)
			return err
		}},
		{"edit another user's contact info", func() error {
			_, err := f.svc.UpdateContact(f.ctx, managerEmail, acme, memberEmail, team.ContactPatch{FirstName: strPtr("X")}, team.AnyVersion)
			return err
		}},
		{"edit their own contact info", func() error {
			_, err := f.svc.UpdateContact(f.ctx, managerEmail, acme, managerEmail, team.ContactPatch{FirstName: strPtr("X")}, team.AnyVersion)
			return err
		}},
		{"remove a member", func() error { return f.svc.RemoveUser(f.ctx, managerEmail, acme, memberEmail, team.AnyVersion) }},
		{"remove the owner", func() error { return f.svc.RemoveUser(f.ctx, managerEmail, acme, ownerEmail, team.AnyVersion) }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			before := f.state(t)
			checkRefusal(t, w.write(), wantErr{code: team.CodeForbidden})
			f.checkUnchanged(t, before)
		})
	}
}

func TestManagersRemovingEachOtherAtOnceLeaveOne(t *testing.T) {
	// I3: two managers removing each other at the same instant must leave at
	// least one of them. Several rounds give the scheduler several orders.
	for round := range 20 {
		// The owner cannot be removed at all (I9), so the two are managers
		// who are not the owner.
		f := newFixture(t)
		const secondEmail = "second@acme.test"
		f.seed(t, team.User{Email: secondEmail, Permissions: team.Permissions{team.TabUsers}})
		var ownerErr, managerErr error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-start; ownerErr = f.svc.RemoveUser(f.ctx, secondEmail, acme, managerEmail, team.AnyVersion) })
		wg.Go(func() {
			<-start
			managerErr = f.svc.RemoveUser(f.ctx, managerEmail, acme, secondEmail, team.AnyVersion)
		})
		close(start)
		wg.Wait()

		_, ownerStays := f.stored(t, acme, secondEmail)
		_, managerStays := f.stored(t, acme, managerEmail)
		if !ownerStays && !managerStays {
			t.Fatalf("round %d: both managers were removed (errors: %v, %v)", round, ownerErr, managerErr)
		}
		if (ownerErr == nil) == (managerErr == nil) {
			t.Fatalf("round %d: want exactly one removal to succeed, got errors %v and %v", round, ownerErr, managerErr)
		}
		for _, err := range []error{ownerErr, managerErr} {
			if err != nil && team.ErrorCode(err) != team.CodeForbidden {
				t.Errorf("round %d: the losing removal failed with %v, want forbidden", round, err)
			}
		}
	}
}

func TestNoOpChangesWriteNothing(t *testing.T) {
	// Saving a form without changing anything must not bump the version,
	// which would make other people's If-Match fail, nor record activity.
	tests := []struct {
		name   string
		caller string
		target string
		change func(f *fixture) (team.User, error)
	}{
		{name: "the same permissions in another order", caller: ownerEmail, target: memberEmail,
			change: func(f *fixture) (team.User, error) {
				return f.svc.SetPermissions(f.ctx, ownerEmail, acme, memberEmail, []string{"crm", "conversations", "crm"}, team.AnyVersion)
			}},
		{name: "a manager saving their own permissions unchanged", caller: ownerEmail, target: ownerEmail,
			change: func(f *fixture) (team.User, error) {
				return f.svc.SetPermissions(f.ctx, ownerEmail, acme, ownerEmail, acmeTabs.Strings(), pin(ownerEmail, 1))
			}},
		{name: "the same contact values, as typed differently", caller: ownerEmail, target: memberEmail,
			change: func(f *fixture) (team.User, error) {
				return f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{
					Email: strPtr(" MEMBER@acme.test"), FirstName: strPtr(" Mo "), LastName: strPtr("Member"), Phone: strPtr("+1 (415) 555-0100"),
				}, team.AnyVersion)
			}},
		{name: "an empty patch", caller: ownerEmail, target: memberEmail,
			change: func(f *fixture) (team.User, error) {
				return f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{}, team.AnyVersion)
			}},
		{name: "a member saving their own contact info unchanged", caller: memberEmail, target: memberEmail,
			change: func(f *fixture) (team.User, error) {
				return f.svc.UpdateContact(f.ctx, memberEmail, acme, memberEmail, team.ContactPatch{FirstName: strPtr("Mo")}, pin(memberEmail, 1))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			logLength := len(f.activity(t))
			got, err := tt.change(f)
			if err != nil {
				t.Fatalf("the unchanged save was refused: %v", err)
			}
			if diff := cmp.Diff(f.seeded[tt.target], got); diff != "" {
				t.Errorf("returned user mismatch (-want +got):\n%s", diff)
			}
			f.checkUnchanged(t, before)
			if n := len(f.activity(t)) - logLength; n != 0 {
				t.Errorf("an unchanged save recorded %d activity records, want 0", n)
			}
		})
	}
}

func TestVersionCountsChanges(t *testing.T) {
	f := newFixture(t)
	steps := []struct {
		name  string
		write func(ifMatch team.Precondition) (team.User, error)
	}{
		{"permissions", func(m team.Precondition) (team.User, error) {
			return f.svc.SetPermissions(f.ctx, ownerEmail, acme, memberEmail, []string{"home"}, m)
		}},
		{"contact info", func(m team.Precondition) (team.User, error) {
			return f.svc.UpdateContact(f.ctx, memberEmail, acme, memberEmail, team.ContactPatch{LastName: strPtr("Moore")}, m)
		}},
		{"email", func(m team.Precondition) (team.User, error) {
			return f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{Email: strPtr("mo@new.example")}, m)
		}},
	}
	version := f.seeded[memberEmail].Version
	for _, step := range steps {
		got, err := step.write(pin(memberEmail, version))
		if err != nil {
			t.Fatalf("%s change with If-Match %d: %v", step.name, version, err)
		}
		if got.Version != version+1 {
			t.Errorf("after the %s change the version is %d, want %d", step.name, got.Version, version+1)
		}
		version = got.Version
	}
	// A client still holding the first version is told to reload.
	_, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, "mo@new.example", []string{"crm"}, pin(memberEmail, 1))
	checkRefusal(t, err, wantErr{code: team.CodePreconditionFailed, mention: fmt.Sprint(version)})
}

func TestWritesRetryWhenTheUserChangedUnderThem(t *testing.T) {
	writes := []struct {
		name string
		// write changes the member, pinned to a version when ifMatch is set.
		write func(f *fixture, ifMatch team.Precondition) error
		// activity is the type the write records.
		activity team.ActivityType
	}{
		{"set permissions", func(f *fixture, m team.Precondition) error {
			_, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, memberEmail, []string{"home"}, m)
			return err
		}, team.ActivityPermissionsChanged},
		{"update contact", func(f *fixture, m team.Precondition) error {
			_, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{LastName: strPtr("Moore")}, m)
			return err
		}, team.ActivityContactChanged},
		{"remove", func(f *fixture, m team.Precondition) error {
			return f.svc.RemoveUser(f.ctx, ownerEmail, acme, memberEmail, m)
		}, team.ActivityUserRemoved},
	}
	for _, w := range writes {
		t.Run(w.name+": stale once without If-Match is retried", func(t *testing.T) {
			f := newFixture(t)
			logLength := len(f.activity(t))
			applied := f.mem.AppliedCount()
			f.store.failNextApplies = []error{fmt.Errorf("conditional check failed: %w", team.ErrStale)}
			if err := w.write(f, team.AnyVersion); err != nil {
				t.Fatalf("the write was not retried: %v", err)
			}
			if n := f.store.appliesAttempted(); n != 2 {
				t.Errorf("Apply was called %d times, want 2 (the stale attempt and the retry)", n)
			}
			if n := f.mem.AppliedCount() - applied; n != 1 {
				t.Errorf("%d mutations committed, want 1", n)
			}
			log := f.activity(t)
			if added := log[:len(log)-logLength]; len(added) != 1 || added[0].Type != w.activity {
				t.Errorf("activity after the retry: %+v, want one %s record", added, w.activity)
			}
			if w.activity != team.ActivityUserRemoved {
				if u, _ := f.stored(t, acme, memberEmail); u.Version != 2 {
					t.Errorf("the version is %d after one change, want 2", u.Version)
				}
			}
		})
		t.Run(w.name+": stale with If-Match is a precondition failure", func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			f.store.failNextApplies = []error{fmt.Errorf("conditional check failed: %w", team.ErrStale)}
			checkRefusal(t, w.write(f, pin(memberEmail, 1)), wantErr{code: team.CodePreconditionFailed, mention: "reload"})
			if n := f.store.appliesAttempted(); n != 1 {
				t.Errorf("Apply was called %d times, want 1: a pinned version must not be retried", n)
			}
			f.checkUnchanged(t, before)
		})
		t.Run(w.name+": a store that is always stale is given up on", func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			f.store.failEveryApply = fmt.Errorf("conditional check failed: %w", team.ErrStale)
			if err := w.write(f, team.AnyVersion); err == nil {
				t.Fatalf("the write succeeded although nothing was committed")
			}
			if n := f.store.appliesAttempted(); n < 2 || n > 10 {
				t.Errorf("Apply was called %d times, want a few retries and then an answer", n)
			}
			f.checkUnchanged(t, before)
		})
	}
}

func TestRetryAfterAConcurrentWriteKeepsBothChanges(t *testing.T) {
	// Another manager renames the member between the Service's read and its
	// commit; the retried permission change is recomputed on the new record
	// instead of overwriting the rename.
	f := newFixture(t)
	f.store.beforeNextApply = func() {
		before := f.seeded[memberEmail]
		after := before
		after.LastName, after.Version = "Moore", 2
		err := f.mem.Apply(f.ctx, team.Mutation{BusinessID: acme, Actor: managerEmail, Before: &before, After: &after,
			Activity: team.Activity{ID: f.ids.NewID(changeTime), BusinessID: acme, Type: team.ActivityContactChanged, Actor: managerEmail,
				Target: personOf(after), At: changeTime, Changes: team.Changes{LastName: &team.FieldChange{From: "Member", To: "Moore"}}}})
		if err != nil {
			t.Errorf("the concurrent rename failed: %v", err)
		}
	}
	got, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, memberEmail, []string{"home"}, team.AnyVersion)
	if err != nil {
		t.Fatalf("SetPermissions: %v", err)
	}
	want := f.seeded[memberEmail]
	want.LastName, want.Permissions, want.UpdatedAt, want.Version = "Moore", team.Permissions{team.TabHome}, changeTime, 3
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("returned user mismatch (-want +got):\n%s", diff)
	}
	stored, _ := f.stored(t, acme, memberEmail)
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored user mismatch (-want +got):\n%s", diff)
	}
	log := f.activity(t)
	if log[0].Type != team.ActivityPermissionsChanged || log[0].Target.LastName != "Moore" {
		t.Errorf("the newest activity is %+v, want the permission change of the renamed user", log[0])
	}
}

func TestStoreFailuresAreReportedWithoutInternals(t *testing.T) {
	const cause = "dial tcp 10.0.0.7:443: connection refused"
	tests := []struct {
		name       string
		breakStore func(s *faultyStore)
		want       wantErr
	}{
		{name: "a write fails", breakStore: func(s *faultyStore) { s.failEveryApply = errors.New(cause) },
			want: wantErr{code: team.CodeInternal, mention: "try again", conceal: "10.0.0.7"}},
		{name: "a read fails", breakStore: func(s *faultyStore) { s.failUserReads = errors.New(cause) },
			want: wantErr{code: team.CodeInternal, mention: "try again", conceal: "10.0.0.7"}},
		{name: "the database throttles", breakStore: func(s *faultyStore) { s.failEveryApply = fmt.Errorf("throttled: %w", team.ErrRateLimited) },
			want: wantErr{code: team.CodeRateLimited, mention: "retry", conceal: "throttled"}},
	}
	calls := []struct {
		name string
		call func(f *fixture) error
	}{
		{"invite", func(f *fixture) error {
			_, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: inviteeEmail, Permissions: []string{"crm"}})
			return err
		}},
		{"set permissions", func(f *fixture) error {
			_, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, memberEmail, []string{"home"}, team.AnyVersion)
			return err
		}},
		{"update contact", func(f *fixture) error {
			_, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{FirstName: strPtr("Morgan")}, team.AnyVersion)
			return err
		}},
		{"remove", func(f *fixture) error { return f.svc.RemoveUser(f.ctx, ownerEmail, acme, memberEmail, team.AnyVersion) }},
	}
	for _, tt := range tests {
		for _, c := range calls {
			if tt.name == "a read fails" && c.name == "invite" {
				// An invite by a manager reads no user on its way to the commit.
				continue
			}
			t.Run(tt.name+": "+c.name, func(t *testing.T) {
				f := newFixture(t)
				before := f.state(t)
				tt.breakStore(f.store)
				checkRefusal(t, c.call(f), tt.want)
				f.store.failUserReads = nil
				f.checkUnchanged(t, before)
			})
		}
	}
}

// TestETagOfARemovedUserNeverMatchesTheUserInvitedAgain is the exploit of
// issue 10 (invariant I8): a client holding gus's revision from before his
// removal must not change or remove the gus invited again at the address,
// although both are at version 1.
func TestETagOfARemovedUserNeverMatchesTheUserInvitedAgain(t *testing.T) {
	f := newFixture(t)
	const gus = "gus@example.com"
	first, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: gus, Permissions: []string{"crm"}})
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	stale := team.OnlyRevisions(team.RevisionOf(first))
	if err := f.svc.RemoveUser(f.ctx, ownerEmail, acme, gus, stale); err != nil {
		t.Fatalf("remove: %v", err)
	}
	again, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: gus, Permissions: []string{"crm"}})
	if err != nil {
		t.Fatalf("invite again: %v", err)
	}
	if again.Version != first.Version {
		t.Fatalf("the re-invited user is at version %d, want %d (the case the id must tell apart)", again.Version, first.Version)
	}
	before := f.state(t)
	_, err = f.svc.SetPermissions(f.ctx, ownerEmail, acme, gus, []string{"crm", "users"}, stale)
	checkRefusal(t, err, wantErr{code: team.CodePreconditionFailed})
	checkRefusal(t, f.svc.RemoveUser(f.ctx, ownerEmail, acme, gus, stale), wantErr{code: team.CodePreconditionFailed})
	f.checkUnchanged(t, before)
	if _, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, gus, []string{"home"}, team.OnlyRevisions(team.RevisionOf(again))); err != nil {
		t.Errorf("the re-invited user's own revision was refused: %v", err)
	}
}

// TestInviteUserKeepsToTheEmailBudget: with a budget of 3 a business's
// fourth invite within the hour is refused with rate_limited, a
// RetryAfter in whole seconds rounded up to when the oldest send leaves
// the window, and nothing written; once the hour has passed it succeeds.
func TestInviteUserKeepsToTheEmailBudget(t *testing.T) {
	f := newFixture(t)
	f.svc = team.NewService(f.store, f.clock, f.ids, phone.Normalizer{}, team.WithEmailBudget(3))
	start := f.clock.at
	for i := range 3 {
		f.clock.at = start.Add(time.Duration(i) * time.Minute)
		if _, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: fmt.Sprintf("new%d@example.com", i)}); err != nil {
			t.Fatalf("invite %d of a budget of 3: %v", i+1, err)
		}
	}
	writes := f.mem.AppliedCount()
	f.clock.at = start.Add(30*time.Minute + 500*time.Millisecond)
	_, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: "fourth@example.com"})
	var e *team.Error
	if !errors.As(err, &e) || e.Code != team.CodeRateLimited {
		t.Fatalf("fourth invite within the hour = %v, want rate_limited", err)
	}
	if want := 30 * time.Minute; e.RetryAfter != want {
		t.Errorf("RetryAfter = %s, want %s (29m59.5s rounded up to whole seconds)", e.RetryAfter, want)
	}
	if got := f.mem.AppliedCount(); got != writes {
		t.Errorf("the refused invite committed %d writes", got-writes)
	}
	f.clock.at = start.Add(time.Hour)
	if _, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: "fourth@example.com"}); err != nil {
		t.Fatalf("invite an hour after the oldest: %v", err)
	}
}
