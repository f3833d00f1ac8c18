package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// listing is a business whose users vary in every way the list filters and
// sorts by, with removals, email, name and permission changes and an
// activation applied, and the expected team kept beside it.
type listing struct {
	*fixture
	want map[string]team.User // email → user, as the store should hold it
}

// The users of the listing fixture: names that share prefixes across the
// email, first and last names, users with one name or none, both statuses,
// and several creation instants (some shared, to test the tie-break).
var listingSeed = []struct {
	email, first, last string
	status             team.UserStatus
	perms              team.Permissions
	minute             int
}{
	{"ann@acme.test", "Ann", "Lee", team.StatusInvited, team.Permissions{team.TabCRM}, 1},
	{"anna.k@acme.test", "Anna", "Karl", team.StatusActive, team.Permissions{team.TabCRM, team.TabUsers}, 2},
	{"lee@acme.test", "Bo", "Lee", team.StatusActive, team.Permissions{team.TabHome}, 2},
	{"zed@acme.test", "Zed", "", team.StatusInvited, team.Permissions{}, 3},
	{"noname@acme.test", "", "", team.StatusActive, team.Permissions{team.TabCRM}, 4},
	{"lonely@acme.test", "", "Annex", team.StatusInvited, team.Permissions{team.TabHome, team.TabUsers}, 5},
	{"carl@acme.test", "Carl", "Ann", team.StatusActive, team.Permissions{team.TabHome, team.TabCRM}, 6},
	{"dup1@acme.test", "Lee", "Lee", team.StatusInvited, team.Permissions{team.TabCRM}, 7},
	{"dup2@acme.test", "Lee", "Lee", team.StatusActive, team.Permissions{team.TabCRM}, 7},
	{"mary.ann@acme.test", "Mary Ann", "Ólafsdóttir", team.StatusActive, team.Permissions{team.TabConversations}, 8},
	{"gone@acme.test", "Ann", "Gone", team.StatusActive, team.Permissions{team.TabCRM}, 9},
	{"moved@acme.test", "Moe", "Ann", team.StatusActive, team.Permissions{team.TabCRM}, 10},
	{"renamed@acme.test", "Annie", "Old", team.StatusInvited, team.Permissions{team.TabCRM}, 11},
	{"regrant@acme.test", "Rita", "Grant", team.StatusInvited, team.Permissions{team.TabCRM}, 12},
}

func newListing(t *testing.T, store Store, businessID team.BusinessID) *listing {
	t.Helper()
	l := &listing{fixture: newFixture(t, store, businessID), want: map[string]team.User{}}
	l.want[l.owner.Email] = l.owner
	l.want[l.member.Email] = l.member
	for _, s := range listingSeed {
		u := l.newUser(team.User{Email: s.email, FirstName: s.first, LastName: s.last, Status: s.status, Permissions: s.perms})
		u.CreatedAt = t0.Add(time.Duration(s.minute) * time.Minute)
		l.apply(t, team.Mutation{Actor: ownerMail, After: &u, RequireTabs: u.Permissions,
			Activity: l.activity(team.ActivityUserAdded, ownerMail, u)})
	}
	// A removal, an email change, a name change, a permission change and
	// an activation: none may leave the user where they were.
	gone := l.want["gone@acme.test"]
	l.apply(t, team.Mutation{Actor: ownerMail, Before: &gone, Activity: l.activity(team.ActivityUserRemoved, ownerMail, gone)})
	moved := l.want["moved@acme.test"]
	l.apply(t, team.Mutation{Actor: ownerMail, Before: &moved, After: changed(moved, func(u *team.User) {
		u.Email, u.Status = "zz.moved@acme.test", team.StatusInvited
	}), Activity: l.activity(team.ActivityContactChanged, ownerMail, moved)})
	renamed := l.want["renamed@acme.test"]
	l.apply(t, team.Mutation{Actor: ownerMail, Before: &renamed, After: changed(renamed, func(u *team.User) {
		u.FirstName, u.LastName = "Rene", "Zola"
	}), Activity: l.activity(team.ActivityContactChanged, ownerMail, renamed)})
	regrant := l.want["regrant@acme.test"]
	l.apply(t, team.Mutation{Actor: ownerMail, Before: &regrant, After: changed(regrant, func(u *team.User) {
		u.Permissions = team.Permissions{team.TabHome, team.TabUsers}
	}), RequireTabs: team.Permissions{team.TabHome, team.TabUsers}, Activity: l.activity(team.ActivityPermissionsChanged, ownerMail, regrant)})
	ann := l.want["ann@acme.test"]
	l.apply(t, team.Mutation{Actor: ann.Email, Before: &ann, After: changed(ann, func(u *team.User) {
		u.Status = team.StatusActive
	}), Activity: l.activity(team.ActivityUserActivated, ann.Email, ann)})
	return l
}

// apply commits m in the listing's business and records its outcome in
// want.
func (l *listing) apply(t *testing.T, m team.Mutation) {
	t.Helper()
	m.BusinessID = l.biz.ID
	if err := l.store.Apply(l.ctx, m); err != nil {
		t.Fatalf("apply %s: %v", m.Activity.Type, err)
	}
	if m.Before != nil {
		delete(l.want, m.Before.Email)
	}
	if m.After != nil {
		l.want[m.After.Email] = *m.After
	}
}

// expected is the brute-force answer to a query: every user it keeps, in
// its order.
func (l *listing) expected(q team.UserQuery) []string {
	var users []team.User
	for _, u := range l.want {
		if q.Matches(u) {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, q.Compare)
	emails := make([]string, len(users))
	for i, u := range users {
		emails[i] = u.Email
	}
	return emails
}

// pageUsers pages the query to its end, failing on a repeated cursor or a
// page larger than the limit, and returns the users in the order served.
func pageUsers(t *testing.T, store Store, businessID team.BusinessID, q team.UserQuery, limit int) []team.User {
	t.Helper()
	var all []team.User
	seen := map[string]bool{}
	cursor := ""
	for range 1000 {
		page, err := store.Users(t.Context(), businessID, q, team.PageRequest{Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("Users(%s, cursor %q): %v", q.Key(), cursor, err)
		}
		if len(page.Users) > limit {
			t.Fatalf("Users(%s): %d users on a page of %d", q.Key(), len(page.Users), limit)
		}
		all = append(all, page.Users...)
		if page.NextCursor == "" {
			return all
		}
		if seen[page.NextCursor] {
			t.Fatalf("Users(%s): cursor %q served twice", q.Key(), page.NextCursor)
		}
		seen[page.NextCursor] = true
		cursor = page.NextCursor
	}
	t.Fatalf("Users(%s): no end after 1000 pages", q.Key())
	return nil
}

// ListingQueries returns every combination of the listing filters and
// sorts that the contract (and the DynamoDB store's brute-force test)
// pages through: searches that match by email, by first, last and full
// name, by several ways at once and not at all, with each status, tab and
// sort.
func ListingQueries(t *testing.T, searches []string, tabs []team.TabID) []team.UserQuery {
	t.Helper()
	var out []team.UserQuery
	for _, q := range searches {
		for _, status := range []string{"", "invited", "active"} {
			for _, tab := range tabs {
				for _, sort := range []string{"", "name", "newest"} {
					query, err := team.ParseUserQuery(q, status, string(tab), sort)
					if err != nil {
						t.Fatalf("ParseUserQuery(%q, %q, %q, %q): %v", q, status, tab, sort, err)
					}
					out = append(out, query)
				}
			}
		}
	}
	return out
}

// RunListing runs the listing contract: every filter and sort, paged to its
// end in small pages, returns exactly the users a brute-force filter and
// sort of the team returns, each once, in order; cursors work only for the
// business and query they were issued for; the business counts its invited
// users exactly.
func RunListing(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("every filter and sort pages to exactly the matching users", func(t *testing.T) {
		l := newListing(t, newStore(t), "acme")
		searches := []string{"", "ann", "Ann L", "lee", "lee lee", "  ANNEX ", "z", "ól", "nobody", "mo"}
		for _, q := range ListingQueries(t, searches, []team.TabID{"", team.TabCRM, team.TabUsers}) {
			want := l.expected(q)
			got := pageUsers(t, l.store, l.biz.ID, q, 2)
			emails := make([]string, len(got))
			for i, u := range got {
				emails[i] = u.Email
				if diff := cmp.Diff(l.want[u.Email], u); diff != "" {
					t.Errorf("%s: user %s (-want +got):\n%s", q.Key(), u.Email, diff)
				}
			}
			if diff := cmp.Diff(want, emails); diff != "" {
				t.Errorf("%s: paged users (-want +got):\n%s", q.Key(), diff)
			}
		}
	})

	t.Run("the business counts its users and its invited users", func(t *testing.T) {
		l := newListing(t, newStore(t), "acme")
		var invited int64
		for _, u := range l.want {
			if !u.IsActive() {
				invited++
			}
		}
		b, err := l.store.Business(l.ctx, l.biz.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Total != int64(len(l.want)) || b.Invited != invited {
			t.Errorf("Business = total %d, invited %d; want %d, %d", b.Total, b.Invited, len(l.want), invited)
		}
		// Removing an invited user takes one off both counts.
		zed := l.want["zed@acme.test"]
		l.apply(t, team.Mutation{Actor: ownerMail, Before: &zed, Activity: l.activity(team.ActivityUserRemoved, ownerMail, zed)})
		if b, err = l.store.Business(l.ctx, l.biz.ID); err != nil {
			t.Fatal(err)
		}
		if b.Total != int64(len(l.want)) || b.Invited != invited-1 {
			t.Errorf("after removing an invited user: total %d, invited %d; want %d, %d", b.Total, b.Invited, len(l.want), invited-1)
		}
	})

	t.Run("a cursor works only for its business, filters and sort", func(t *testing.T) {
		store := newStore(t)
		l := newListing(t, store, "acme")
		other := newListing(t, store, "globex")
		queries := ListingQueries(t, []string{"", "ann"}, []team.TabID{"", team.TabCRM})
		for _, q := range queries {
			page, err := store.Users(l.ctx, l.biz.ID, q, team.PageRequest{Limit: 1})
			if err != nil {
				t.Fatalf("%s: %v", q.Key(), err)
			}
			if page.NextCursor == "" {
				continue
			}
			for _, o := range queries {
				if o == q {
					continue
				}
				if _, err := store.Users(l.ctx, l.biz.ID, o, team.PageRequest{Limit: 1, Cursor: page.NextCursor}); !errors.Is(err, team.ErrInvalidCursor) {
					t.Errorf("cursor of %s used with %s: %v, want ErrInvalidCursor", q.Key(), o.Key(), err)
				}
			}
			if _, err := store.Users(l.ctx, other.biz.ID, q, team.PageRequest{Limit: 1, Cursor: page.NextCursor}); !errors.Is(err, team.ErrInvalidCursor) {
				t.Errorf("acme cursor of %s used on globex: %v, want ErrInvalidCursor", q.Key(), err)
			}
		}
		for _, bad := range []string{"garbage!", "e30", fmt.Sprintf("%x", "x")} {
			q := team.UserQuery{Sort: team.SortName}
			if _, err := store.Users(l.ctx, l.biz.ID, q, team.PageRequest{Limit: 1, Cursor: bad}); !errors.Is(err, team.ErrInvalidCursor) {
				t.Errorf("cursor %q = %v, want ErrInvalidCursor", bad, err)
			}
		}
	})
}
