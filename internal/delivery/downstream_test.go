package delivery_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// sendableEmails are the email kinds the consumer knows how to send.
var sendableEmails = []delivery.EmailKind{delivery.EmailWelcomeToTarget, delivery.EmailWelcomeToNewAddress, delivery.EmailNoticeToOldAddress}

// TestEveryActivityTypeHasADownstreamRow enumerates every activity type the
// domain can record (team.ActivityTypes, which team's tests hold to the
// declared constants) and fails for any type whose row in the downstream
// table is missing or incomplete: without one, every event of the type would
// fail for good in production.
func TestEveryActivityTypeHasADownstreamRow(t *testing.T) {
	s := schemasForTest(t)
	byDetailType := map[delivery.DetailType]team.ActivityType{}
	for _, typ := range team.ActivityTypes() {
		t.Run(string(typ), func(t *testing.T) {
			row, ok := delivery.DownstreamOf(typ)
			if !ok {
				t.Fatalf("the downstream table has no row for %s: say its detail-type, its schema and its emails", typ)
			}
			if row.DetailType == "" {
				t.Errorf("the row of %s has no detail-type", typ)
			}
			if other, taken := byDetailType[row.DetailType]; taken {
				t.Errorf("%s and %s share the detail-type %s; every activity type has its own (SPEC §5)", other, typ, row.DetailType)
			}
			byDetailType[row.DetailType] = typ
			if row.Schema == "" {
				t.Errorf("the row of %s names no schema", typ)
			} else if _, ok := s.byType[row.DetailType]; !ok {
				t.Errorf("the schema %s of %s was not loaded", row.Schema, typ)
			}
			if row.Emails == nil {
				t.Errorf("the row of %s does not say which emails it sends (use an empty list for none)", typ)
			}
			welcomes := 0
			for _, kind := range row.Emails {
				if kind.IsWelcome() {
					welcomes++
				}
			}
			if welcomes > 1 {
				t.Errorf("the row of %s sends %d welcome emails; an activity invites its target once", typ, welcomes)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(row.Emails)))) != len(row.Emails) {
				t.Errorf("the row of %s names an email twice: %v", typ, row.Emails)
			}
			for _, kind := range row.Emails {
				if !slices.Contains(sendableEmails, kind) {
					t.Errorf("the row of %s sends %q, which the consumer cannot send", typ, kind)
				}
			}
		})
	}
}

// TestConsumerFollowsTheDownstreamTable delivers the fullest activity of
// every type (a contact change that changes the email) and checks that the
// consumer puts the event and sends the emails its row names, each to its
// recipient and recorded under its own kind, and nothing else.
func TestConsumerFollowsTheDownstreamTable(t *testing.T) {
	for _, typ := range team.ActivityTypes() {
		t.Run(string(typ), func(t *testing.T) {
			row, ok := delivery.DownstreamOf(typ)
			if !ok {
				t.Fatalf("no row for %s", typ)
			}
			a := activity("a1", typ, "ann@acme.test")
			if typ == team.ActivityContactChanged {
				a.Changes.Email = &team.FieldChange{From: "ann@old.test", To: "ann@acme.test"}
			}
			b := newBatch().add(a)
			w := newWorld()
			if got := w.handle(t, b); len(got) != 0 {
				t.Fatalf("failures = %v", got)
			}
			if len(w.publisher.accepted) != 1 || w.publisher.accepted[0].DetailType != row.DetailType {
				t.Errorf("events = %+v, want one %s event", w.publisher.accepted, row.DetailType)
			}
			if len(w.mailer.sent) != len(row.Emails) {
				t.Fatalf("%d emails sent, want %d (%v)", len(w.mailer.sent), len(row.Emails), row.Emails)
			}
			// The emails go out concurrently: compare recipients as sets.
			var want, got []string
			for _, kind := range row.Emails {
				to := "ann@acme.test"
				if kind == delivery.EmailNoticeToOldAddress {
					to = "ann@old.test"
				}
				want = append(want, to)
				if mark := w.ledger.email("a1", kind); !strings.HasPrefix(mark, "sent:") {
					t.Errorf("the %s email's mark = %q, want it recorded as sent", kind, mark)
				}
			}
			for _, e := range w.mailer.sent {
				got = append(got, e.To)
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}
