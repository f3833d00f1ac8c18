package local_test

import (
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// SPEC §2.5 and §5 end to end, through the local stream poller, kumo and
// the consumer: a manager's change of someone's email invites them again
// at the new address (exactly one welcome email there) and tells the old
// address (exactly one notice, beside the original invite's welcome).
func TestEmailChangeSendsOneWelcomeAndOneNotice(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	const oldAddress, newAddress = "mover@example.com", "moved@example.com"
	expect(t, "invite", c.do("POST", "/v1/businesses/demo/users", `{"email":"`+oldAddress+`","firstName":"Mo"}`, nil), 201)
	eventually(t, "the invite's welcome email", func() bool { return len(c.emailsTo(oldAddress)) == 1 })

	var moved struct {
		Email, Status       string
		InvitationExpiresAt *string
	}
	expect(t, "email change", c.do("PATCH", "/v1/businesses/demo/users/"+oldAddress, `{"email":"`+newAddress+`"}`, &moved), 200)
	if moved.Email != newAddress || moved.Status != "invited" || moved.InvitationExpiresAt == nil {
		t.Errorf("after the change: %+v, want %s, invited, with an expiry", moved, newAddress)
	}
	// The consumer sends a record's emails before it puts its event.
	eventually(t, "the welcome email, the notice and the event", func() bool {
		return len(c.emailsTo(newAddress)) >= 1 && len(c.emailsTo(oldAddress)) >= 2 && len(c.eventsFor("demo", newAddress)) >= 1
	})
	// Give a duplicate every chance to show up before counting.
	time.Sleep(500 * time.Millisecond)
	welcome := c.emailsTo(newAddress)
	if len(welcome) != 1 {
		t.Fatalf("%d emails to the new address, want exactly one welcome email: %+v", len(welcome), welcome)
	}
	if !strings.Contains(welcome[0].Subject, "invited you") || !strings.Contains(welcome[0].Text, stack.URL+"/demo") {
		t.Errorf("the new address's email is not a welcome email linking to the business: %+v", welcome[0])
	}
	toOld := c.emailsTo(oldAddress)
	var notices []local.SentEmail
	for _, e := range toOld {
		if !strings.Contains(e.Subject, "invited you") {
			notices = append(notices, e)
		}
	}
	if len(toOld) != 2 || len(notices) != 1 {
		t.Fatalf("%d emails to the old address (%d notices), want the invite's welcome and exactly one notice: %+v", len(toOld), len(notices), toOld)
	}
	for _, part := range []string{notices[0].Text, notices[0].HTML} {
		for _, want := range []string{newAddress, "Demo Owner", "Demo Business"} {
			if !strings.Contains(part, want) {
				t.Errorf("the notice does not name %q:\n%s", want, part)
			}
		}
	}
	if got := strings.Join(c.eventsFor("demo", newAddress), ","); got != "UserContactInfoChanged" {
		t.Errorf("events about the new address = %s, want one UserContactInfoChanged", got)
	}
}
