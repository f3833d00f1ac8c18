package bench

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/team"
)

// handful is how many users of each business of BenchmarkScale the
// selective listing shapes find: a name no one else has, a tab no one else
// holds, the invited status (the other seeded users are active).
const handful = 5

// listingShapes are the list requests of issue 11, each a query string of
// GET /v1/businesses/{id}/users: the plain page and the other sorts over
// everyone, and filters that match a handful of users, or everyone.
var listingShapes = []struct{ name, query string }{
	{"plain", ""},
	{"sort=name", "sort=name"},
	{"sort=newest", "sort=newest"},
	{"q=handful", "q=quin"},
	{"q=handful-by-last-name", "q=zeph"},
	{"q=everyone", "q=ann"},
	{"tab=handful", "tab=reports"},
	{"tab=handful&sort=name", "tab=reports&sort=name"},
	{"tab=everyone&sort=newest", "tab=crm&sort=newest"},
	{"status=handful", "status=invited"},
	{"status=handful&sort=newest", "status=invited&sort=newest"},
	{"status=handful&tab=everyone", "status=invited&tab=crm"},
}

// seedHandful adds the handful of users the selective shapes find: named
// Quincy Zephyr, holding the reports tab and crm (which everyone holds),
// invited.
func (f *fixture) seedHandful(tb testing.TB, businessID string) {
	tb.Helper()
	f.seedExact(tb, handful, func(i int) team.User {
		u := f.user(businessID, fmt.Sprintf("handful%d@%s.test", i, businessID))
		u.FirstName, u.LastName, u.Status = "Quincy", "Zephyr", team.StatusInvited
		u.Permissions = team.Permissions{team.TabCRM, team.TabReports}
		return u
	})
}

// compareListing measures one listing shape through the full path in the
// small and the large business, interleaved, and reports, besides the
// times and their ratio, how many items one request reads in each (the
// caller, the business with its counters, and the page), counted on the
// store's own requests.
func compareListing(b *testing.B, f *fixture, shape, query string) {
	path := func(businessID string) string {
		p := "/v1/businesses/" + businessID + "/users?limit=" + fmt.Sprint(pageSize)
		if query != "" {
			p += "&" + query
		}
		return p
	}
	side := func(businessID string) prepare {
		return func(tb testing.TB, f *fixture, n int) func(int) error {
			return func(int) error { return f.serve(ownerOf(businessID), "GET", path(businessID), "", 200) }
		}
	}
	small, large := side(teamOf(smallTeam)), side(teamOf(largeTeam))
	b.Run(fmt.Sprintf("op=ListUsers/shape=%s/path=full/small=%d/large=%d", shape, smallTeam, largeTeam), func(b *testing.B) {
		itemsSmall, itemsLarge := itemsRead(b, f, teamOf(smallTeam), query), itemsRead(b, f, teamOf(largeTeam), query)
		for _, prep := range []prepare{small, large} {
			step := prep(b, f, 20)
			for i := range 20 {
				if err := step(i); err != nil {
					b.Fatalf("warm up %s: %v", shape, err)
				}
			}
		}
		t := measureSides(b, f, small, large)
		atSmall, atLarge := t[0], t[1]
		atLarge.report(b, "")
		b.ReportMetric(atSmall.nsPerOp(), "small-ns/op")
		b.ReportMetric(atLarge.ratio(atSmall), "large/small")
		b.ReportMetric(atLarge.medianRatio(atSmall), "p50-large/small")
		b.ReportMetric(float64(itemsLarge), "items/op")
		b.ReportMetric(float64(itemsSmall), "small-items/op")
	})
}

// itemsRead is how many items the request of a listing shape reads: the
// caller's item, the business's profile and counters, and the first page,
// counted on a store over the fixture's table whose client counts.
func itemsRead(tb testing.TB, f *fixture, businessID, query string) int64 {
	tb.Helper()
	values, err := url.ParseQuery(query)
	if err != nil {
		tb.Fatal(err)
	}
	q, err := team.ParseUserQuery(values.Get("q"), values.Get("status"), values.Get("tab"), values.Get("sort"))
	if err != nil {
		tb.Fatal(err)
	}
	counter := &dynamotest.ReadCounter{Client: f.client}
	store := dynamo.NewStore(counter, f.table)
	ctx := context.Background()
	if _, err := store.User(ctx, team.BusinessID(businessID), ownerOf(businessID)); err != nil {
		tb.Fatal(err)
	}
	if _, err := store.Business(ctx, team.BusinessID(businessID)); err != nil {
		tb.Fatal(err)
	}
	page, err := store.Users(ctx, team.BusinessID(businessID), q, team.PageRequest{Limit: pageSize})
	if err != nil {
		tb.Fatal(err)
	}
	if len(page.Users) == 0 {
		tb.Fatalf("%s in %s: the first page is empty", query, businessID)
	}
	return counter.Take()
}
