package delivery_test

import (
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// The welcome email of an invite and of a resend says until when the
// invitation is valid (SPEC §5), taken from the activity record, so that
// each email states the expiry committed with it; a resend's email is a
// welcome email like the invite's, recorded once in the ledger.
func TestWelcomeEmailsSayUntilWhenTheInvitationIsValid(t *testing.T) {
	expires := time.Date(2026, 12, 11, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		typ  team.ActivityType
		want delivery.DetailType
	}{
		{team.ActivityUserAdded, delivery.DetailUserAdded},
		{team.ActivityInvitationResent, delivery.DetailUserInvitationResent},
	} {
		t.Run(string(tt.typ), func(t *testing.T) {
			a := activity("a1", tt.typ, "ann@acme.test")
			a.InvitationExpiresAt = expires
			b := newBatch().add(a)
			w := newWorld()
			if got := w.handle(t, b); len(got) != 0 {
				t.Fatalf("failures = %v", got)
			}
			if len(w.mailer.sent) != 1 {
				t.Fatalf("%d emails sent, want one welcome email", len(w.mailer.sent))
			}
			email := w.mailer.sent[0]
			const when = "Friday 11 December 2026 at 10:00 UTC"
			if !strings.Contains(email.Text, "valid until "+when) {
				t.Errorf("the text part does not say the invitation is valid until %s:\n%s", when, email.Text)
			}
			if !strings.Contains(email.HTML, "valid until <strong>"+when+"</strong>") {
				t.Errorf("the HTML part does not say the invitation is valid until %s:\n%s", when, email.HTML)
			}
			if email.To != "ann@acme.test" || !strings.Contains(email.Subject, "Acme & Sons") {
				t.Errorf("email to %s with subject %q, want the welcome email to ann naming the business", email.To, email.Subject)
			}
			if len(w.publisher.accepted) != 1 || w.publisher.accepted[0].DetailType != tt.want {
				t.Errorf("events = %+v, want one %s", w.publisher.accepted, tt.want)
			}
			// Delivered again (Lambda's retry): the ledger keeps it to one.
			if got := w.handle(t, b); len(got) != 0 || len(w.mailer.sent) != 1 {
				t.Errorf("after a second delivery: failures %v, %d emails; want none and 1", got, len(w.mailer.sent))
			}
		})
	}
}

// An activity recorded before the expiry travelled with it still sends
// its welcome email, without the sentence.
func TestWelcomeEmailWithoutARecordedExpiry(t *testing.T) {
	w := newWorld()
	if got := w.handle(t, newBatch().add(activity("a1", team.ActivityUserAdded, "ann@acme.test"))); len(got) != 0 {
		t.Fatalf("failures = %v", got)
	}
	if len(w.mailer.sent) != 1 {
		t.Fatalf("%d emails sent, want 1", len(w.mailer.sent))
	}
	if e := w.mailer.sent[0]; strings.Contains(e.Text, "valid until") || strings.Contains(e.HTML, "valid until") {
		t.Errorf("the email states an expiry it was not given:\n%s", e.Text)
	}
}
