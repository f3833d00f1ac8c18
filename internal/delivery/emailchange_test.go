package delivery_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// emailChange is a manager's change of ann's email, as the service records
// it: the target at the new address, the old one in changes.email.
func emailChange(id string) team.Activity {
	a := activity(id, team.ActivityContactChanged, "ann@new.test")
	a.Changes = team.Changes{Email: &team.FieldChange{From: "ann@old.test", To: "ann@new.test"}}
	a.InvitationExpiresAt = t0.Add(14 * 24 * time.Hour)
	return a
}

func (m *mailer) to(address string) []delivery.WelcomeEmail {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []delivery.WelcomeEmail
	for _, e := range m.sent {
		if e.To == address {
			out = append(out, e)
		}
	}
	return out
}

// SPEC §2.5 and §5: the new address is invited (the welcome email) and the
// old one is told where access moved and who moved it, in both parts.
func TestEmailChangeSendsAWelcomeAndANotice(t *testing.T) {
	w := newWorld()
	if got := w.handle(t, newBatch().add(emailChange("a1"))); len(got) != 0 {
		t.Fatalf("failures = %v", got)
	}
	if len(w.mailer.sent) != 2 {
		t.Fatalf("%d emails sent, want 2: %+v", len(w.mailer.sent), w.mailer.sent)
	}
	welcome, notice := w.mailer.to("ann@new.test"), w.mailer.to("ann@old.test")
	if len(welcome) != 1 || len(notice) != 1 {
		t.Fatalf("%d emails to the new address and %d to the old, want one each", len(welcome), len(notice))
	}
	if want := "Olive Owner invited you to Acme & Sons on the Business App"; welcome[0].Subject != want {
		t.Errorf("welcome subject = %q, want %q", welcome[0].Subject, want)
	}
	n := notice[0]
	if !strings.Contains(n.Subject, "Acme & Sons") || strings.Contains(n.Subject, "Olive") {
		t.Errorf("notice subject = %q, want the business named and no typed name", n.Subject)
	}
	for _, part := range []struct{ name, body string }{{"text", n.Text}, {"html", n.HTML}} {
		for _, want := range []string{"Hi Ann", "Olive Owner (owner@acme.test)", "ann@new.test", "ann@old.test"} {
			if !strings.Contains(part.body, want) {
				t.Errorf("notice %s part lacks %q:\n%s", part.name, want, part.body)
			}
		}
		if strings.Contains(part.body, "https://") {
			t.Errorf("notice %s part holds a link; it needs none:\n%s", part.name, part.body)
		}
	}
	if !strings.Contains(n.HTML, "Acme &amp; Sons") {
		t.Errorf("notice html part does not escape the business name")
	}
	if w.ledger.email("a1", delivery.EmailWelcomeToNewAddress) == "" || w.ledger.email("a1", delivery.EmailNoticeToOldAddress) == "" {
		t.Errorf("marks = %v, want both emails recorded", w.ledger.emails)
	}

	// The same batch again sends nothing.
	w.handle(t, newBatch().add(emailChange("a1")))
	if len(w.mailer.sent) != 2 || len(w.publisher.accepted) != 1 {
		t.Errorf("after the batch twice: %d emails, %d events; want 2 and 1", len(w.mailer.sent), len(w.publisher.accepted))
	}
}

func TestNoticeEscapesNamesAndFallsBackToEmail(t *testing.T) {
	a := emailChange("a1")
	a.Actor = "gone@acme.test" // removed since: named by their email
	a.Target.FirstName = `<img src=x onerror=alert(1)>`
	w := newWorld()
	w.handle(t, newBatch().add(a))
	notice := w.mailer.to("ann@old.test")
	if len(notice) != 1 {
		t.Fatalf("%d notices, want 1", len(notice))
	}
	if strings.Contains(notice[0].HTML, "<img") {
		t.Errorf("html part holds a name unescaped:\n%s", notice[0].HTML)
	}
	if !strings.Contains(notice[0].Text, "gone@acme.test changed") {
		t.Errorf("text part does not name who changed it by email:\n%s", notice[0].Text)
	}
}

// A contact change that keeps the email sends no email at all.
func TestContactChangeWithoutANewEmailSendsNone(t *testing.T) {
	for name, change := range map[string]*team.FieldChange{
		"names only":     nil,
		"the same email": {From: "ann@acme.test", To: "ann@acme.test"},
	} {
		t.Run(name, func(t *testing.T) {
			a := activity("a1", team.ActivityContactChanged, "ann@acme.test")
			a.Changes.Email = change
			w := newWorld()
			if got := w.handle(t, newBatch().add(a)); len(got) != 0 {
				t.Fatalf("failures = %v", got)
			}
			if len(w.mailer.sent) != 0 || len(w.publisher.accepted) != 1 {
				t.Errorf("%d emails, %d events; want none and the event", len(w.mailer.sent), len(w.publisher.accepted))
			}
		})
	}
}

// When one of the two emails fails for a while, the record is retried
// until it goes out, and the other is never sent again (the ledger keeps
// each kind apart).
func TestOneFailedEmailOfAChangeIsRetriedAlone(t *testing.T) {
	for _, failing := range []string{"ann@new.test", "ann@old.test"} {
		t.Run("failing "+failing, func(t *testing.T) {
			w := newWorld()
			outage := 3
			w.mailer.refuse = func(e delivery.WelcomeEmail) error {
				if e.To == failing && outage > 0 {
					outage--
					return errors.New("TooManyRequestsException")
				}
				return nil
			}
			b := newBatch().add(emailChange("a1"))
			for attempt := 1; attempt <= 3; attempt++ {
				if got := w.handle(t, b); len(got) != 1 {
					t.Fatalf("attempt %d: failures = %v, want the record handed back", attempt, got)
				}
			}
			if got := w.handle(t, b); len(got) != 0 {
				t.Fatalf("after recovery: failures = %v", got)
			}
			w.handle(t, b)
			if n, m := len(w.mailer.to("ann@new.test")), len(w.mailer.to("ann@old.test")); n != 1 || m != 1 {
				t.Errorf("%d welcome emails and %d notices, want exactly one each", n, m)
			}
			if len(w.publisher.accepted) != 1 {
				t.Errorf("%d events, want 1", len(w.publisher.accepted))
			}
		})
	}
}

// A notice refused for good is recorded and not retried; the welcome email
// goes out regardless.
func TestPermanentlyRefusedNoticeDoesNotBlockTheWelcome(t *testing.T) {
	w := newWorld()
	w.mailer.refuse = func(e delivery.WelcomeEmail) error {
		if e.To == "ann@old.test" {
			return fmt.Errorf("sesmail: %w: MessageRejected", delivery.ErrPermanent)
		}
		return nil
	}
	b := newBatch().add(emailChange("a1"))
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("failures = %v, want none for a permanent refusal", got)
	}
	w.handle(t, b)
	if !strings.Contains(w.ledger.email("a1", delivery.EmailNoticeToOldAddress), "MessageRejected") {
		t.Errorf("notice mark = %q, want the refusal recorded", w.ledger.email("a1", delivery.EmailNoticeToOldAddress))
	}
	if len(w.mailer.to("ann@new.test")) != 1 || len(w.mailer.to("ann@old.test")) != 0 {
		t.Errorf("sent = %+v, want the welcome email once and no notice", w.mailer.sent)
	}
}
