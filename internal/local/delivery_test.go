package local_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// eventually polls until check is satisfied or a generous deadline passes.
// It asserts an outcome, not a speed: the lag is measured by a benchmark.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Errorf("%s did not happen", what)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *client) emailsTo(to string) []local.SentEmail {
	c.t.Helper()
	var all []local.SentEmail
	c.do("GET", "/dev/emails", "", &all)
	var out []local.SentEmail
	for _, e := range all {
		if e.To == to {
			out = append(out, e)
		}
	}
	return out
}

type detail struct {
	EventID    string
	BusinessID string
	User       struct{ Email string }
}

// eventsFor lists the events about a user of a business, by detail-type.
func (c *client) eventsFor(businessID, email string) []string {
	c.t.Helper()
	var all []local.PutEvent
	c.do("GET", "/dev/events", "", &all)
	var out []string
	for _, e := range all {
		var d detail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			c.t.Fatalf("event detail is not JSON: %s", e.Detail)
		}
		if e.Source != "businessapp.users" {
			c.t.Errorf("event source = %q", e.Source)
		}
		if d.BusinessID == businessID && d.User.Email == email {
			out = append(out, e.DetailType)
		}
	}
	return out
}

// The whole life of a user reaches the CRM as events, and the invite as one
// welcome email, through the local stream poller, kumo and the same
// consumer code the stream Lambda runs.
func TestEveryChangeIsDelivered(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	expect(t, "invite", c.do("POST", "/v1/businesses/demo/users", `{"email":"life@example.com","firstName":"Liv"}`, nil), 201)
	eventually(t, "the welcome email", func() bool { return len(c.emailsTo("life@example.com")) == 1 })
	email := c.emailsTo("life@example.com")[0]
	for _, want := range []string{"Demo Owner", "Demo Business"} {
		if !strings.Contains(email.Subject, want) || !strings.Contains(email.Text, want) || !strings.Contains(email.HTML, want) {
			t.Errorf("welcome email does not name %q: %+v", want, email)
		}
	}
	if !strings.Contains(email.Text, stack.URL+"/demo") {
		t.Errorf("welcome email does not link to the business: %s", email.Text)
	}

	expect(t, "permissions", c.do("PUT", "/v1/businesses/demo/users/life@example.com/permissions", `{"permissions":["crm"]}`, nil), 200)
	expect(t, "contact", c.do("PATCH", "/v1/businesses/demo/users/life@example.com", `{"lastName":"Long"}`, nil), 200)
	expect(t, "remove", c.do("DELETE", "/v1/businesses/demo/users/life@example.com", "", nil), 204)
	want := "UserAdded,UserPermissionsChanged,UserContactInfoChanged,UserRemoved"
	eventually(t, "the four events", func() bool {
		got := c.eventsFor("demo", "life@example.com")
		return len(got) >= 4
	})
	if got := strings.Join(c.eventsFor("demo", "life@example.com"), ","); got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	if n := len(c.emailsTo("life@example.com")); n != 1 {
		t.Errorf("welcome emails = %d, want 1", n)
	}
}

// I1 and I6 end to end: 20 concurrent invites of one address make one user,
// one welcome email and one UserAdded.
func TestConcurrentInvitesMakeOneEmailAndOneEvent(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			spelling := "Race@Example.com"
			if i%2 == 1 {
				spelling = " race@EXAMPLE.com "
			}
			statuses[i] = c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":%q}`, spelling), nil).StatusCode
		})
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 409:
		default:
			t.Errorf("invite answered %d", s)
		}
	}
	if created != 1 {
		t.Fatalf("%d invites succeeded, want exactly 1 (statuses %v)", created, statuses)
	}
	eventually(t, "the welcome email and the event", func() bool {
		return len(c.emailsTo("race@example.com")) >= 1 && len(c.eventsFor("demo", "race@example.com")) >= 1
	})
	// Give a duplicate every chance to show up before counting.
	time.Sleep(500 * time.Millisecond)
	if n := len(c.emailsTo("race@example.com")); n != 1 {
		t.Errorf("welcome emails = %d, want 1", n)
	}
	if got := c.eventsFor("demo", "race@example.com"); len(got) != 1 || got[0] != "UserAdded" {
		t.Errorf("events = %v, want one UserAdded", got)
	}
}

// GET /dev/events says when each change committed (its transaction
// answered) and when the bus accepted its event, for make load's lags: a
// change made through the API and one made by provisioning (a business's
// owner), in order: occurredAt, then the commit, before the API's answer,
// then the bus.
func TestDevEventsTellWhenEachChangeCommitted(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	expect(t, "create a business", c.do("POST", "/dev/businesses", `{"id":"initech","name":"Initech","tabs":["users"],"owner":{"email":"bill@initech.test"}}`, nil), 201)
	provisioned := time.Now()
	c.signIn(local.DemoOwner)
	expect(t, "invite", c.do("POST", "/v1/businesses/demo/users", `{"email":"timed@example.com"}`, nil), 201)
	answered := time.Now()

	for _, tc := range []struct {
		business, email string
		answered        time.Time
	}{{"initech", "bill@initech.test", provisioned}, {"demo", "timed@example.com", answered}} {
		var event *local.PutEvent
		eventually(t, "the UserAdded event of "+tc.email, func() bool {
			var all []local.PutEvent
			c.do("GET", "/dev/events", "", &all)
			for _, e := range all {
				var d detail
				if json.Unmarshal(e.Detail, &d) == nil && e.DetailType == "UserAdded" && d.BusinessID == tc.business && d.User.Email == tc.email {
					event = &e
				}
			}
			return event != nil
		})
		if event == nil {
			continue
		}
		var d struct{ OccurredAt time.Time }
		if err := json.Unmarshal(event.Detail, &d); err != nil {
			t.Fatal(err)
		}
		switch {
		case event.CommittedAt == nil || event.AcceptedAt == nil:
			t.Errorf("%s: committedAt %v, acceptedAt %v: want both", tc.email, event.CommittedAt, event.AcceptedAt)
		case event.CommittedAt.Before(d.OccurredAt) || event.CommittedAt.After(tc.answered):
			t.Errorf("%s: committed at %s, want between occurredAt %s and the answer %s", tc.email, event.CommittedAt, d.OccurredAt, tc.answered)
		case event.AcceptedAt.Before(*event.CommittedAt):
			t.Errorf("%s: accepted at %s, before its commit at %s", tc.email, event.AcceptedAt, event.CommittedAt)
		}
	}
}
