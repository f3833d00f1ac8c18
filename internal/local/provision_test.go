package local_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/local/localtest"
)

func platformEvent(detailType, detail string) string {
	return fmt.Sprintf(`{"version":"0","id":"e1","source":"businessapp.platform","detail-type":%q,"detail":%s}`, detailType, detail)
}

// TestPlatformEvents plays SPEC §7 through POST /dev/platform-events, the
// handler the provisioning Lambda runs: the owner named by a
// BusinessUpserted gets exactly one welcome email however often the event
// comes, an older revision changes nothing, and a BusinessDeleted ends
// every user's access.
func TestPlatformEvents(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	upsert := func(rev int, owner string) string {
		return platformEvent("BusinessUpserted", fmt.Sprintf(
			`{"businessId":"initech","name":"Initech","enabledTabs":["crm","users"],"owner":{"email":%q,"firstName":"Peter"},"revision":%d}`, owner, rev))
	}
	var out struct{ Outcome string }
	expect(t, "upsert", c.do("POST", "/dev/platform-events", upsert(1, "Peter@Initech.test"), &out), 200)
	if out.Outcome != "applied" {
		t.Errorf("first upsert: outcome %q, want applied", out.Outcome)
	}
	expect(t, "same upsert again", c.do("POST", "/dev/platform-events", upsert(1, "peter@initech.test"), &out), 200)
	if out.Outcome != "ignored" {
		t.Errorf("repeated upsert: outcome %q, want ignored", out.Outcome)
	}
	// /dev/businesses is the same event at revision 1: not newer.
	expect(t, "dev/businesses of the same id", c.do("POST", "/dev/businesses",
		`{"id":"initech","tabs":["users"],"owner":{"email":"other@initech.test"}}`, nil), 409)

	eventually(t, "the owner's welcome email", func() bool { return len(c.emailsTo("peter@initech.test")) > 0 })
	// Give a wrongly sent second email time to arrive before counting.
	time.Sleep(time.Second)
	if got := c.emailsTo("peter@initech.test"); len(got) != 1 {
		t.Errorf("the owner got %d welcome emails, want exactly 1", len(got))
	} else if want := "The Business App invited you to Initech on the Business App"; got[0].Subject != want {
		t.Errorf("welcome email subject %q, want %q", got[0].Subject, want)
	}

	// The owner signs in and invites a colleague.
	c.signIn("peter@initech.test")
	expect(t, "owner lists users", c.do("GET", "/v1/businesses/initech/users", "", nil), 200)
	expect(t, "owner invites", c.do("POST", "/v1/businesses/initech/users", `{"email":"milton@initech.test","permissions":["crm"]}`, nil), 201)

	// A newer revision names another owner: ownership moves.
	expect(t, "new owner", c.do("POST", "/dev/platform-events", upsert(2, "bill@initech.test"), &out), 200)
	var biz struct{ Owner struct{ Email string } }
	expect(t, "business", c.do("GET", "/v1/businesses/initech", "", &biz), 200)
	if biz.Owner.Email != "bill@initech.test" {
		t.Errorf("owner after revision 2 = %+v, want bill", biz.Owner)
	}
	// An older revision changes nothing.
	expect(t, "older", c.do("POST", "/dev/platform-events", upsert(1, "peter@initech.test"), &out), 200)
	if out.Outcome != "ignored" {
		t.Errorf("older upsert: outcome %q, want ignored", out.Outcome)
	}

	// Deletion: every user's next request is refused.
	expect(t, "delete", c.do("POST", "/dev/platform-events", platformEvent("BusinessDeleted", `{"businessId":"initech","revision":3}`), &out), 200)
	for _, who := range []string{"peter@initech.test", "milton@initech.test", "bill@initech.test"} {
		c.signIn(who)
		expect(t, who+" after deletion", c.do("GET", "/v1/businesses/initech/users", "", nil), 403)
	}

	// Malformed events are refused with a reason.
	c.token = ""
	expect(t, "other source", c.do("POST", "/dev/platform-events", `{"source":"x","detail-type":"BusinessDeleted","detail":{"businessId":"a","revision":1}}`, nil), 400)
	expect(t, "no revision", c.do("POST", "/dev/platform-events", platformEvent("BusinessDeleted", `{"businessId":"a"}`), nil), 400)
	expect(t, "unknown type", c.do("POST", "/dev/platform-events", platformEvent("BusinessRenamed", `{}`), nil), 400)
}
