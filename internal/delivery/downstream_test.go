package delivery_test

import (
	"slices"
	"testing"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// sendableEmails are the email kinds the consumer knows how to send.
var sendableEmails = []delivery.EmailKind{delivery.EmailWelcomeToTarget}

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
			if len(row.Emails) > 1 {
				t.Errorf("the row of %s sends %d emails; the ledger records one email per activity", typ, len(row.Emails))
			}
			for _, kind := range row.Emails {
				if !slices.Contains(sendableEmails, kind) {
					t.Errorf("the row of %s sends %q, which the consumer cannot send", typ, kind)
				}
			}
		})
	}
}

// TestConsumerFollowsTheDownstreamTable delivers one activity of every type
// and checks that the consumer puts the event and sends the emails its row
// names, and nothing else.
func TestConsumerFollowsTheDownstreamTable(t *testing.T) {
	for _, typ := range team.ActivityTypes() {
		t.Run(string(typ), func(t *testing.T) {
			row, ok := delivery.DownstreamOf(typ)
			if !ok {
				t.Fatalf("no row for %s", typ)
			}
			b := newBatch().add(activity("a1", typ, "ann@acme.test"))
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
			for i, kind := range row.Emails {
				if kind == delivery.EmailWelcomeToTarget && w.mailer.sent[i].To != "ann@acme.test" {
					t.Errorf("the welcome email went to %s, want the target ann@acme.test", w.mailer.sent[i].To)
				}
			}
			if st := w.ledger.emails["a1"]; (st != "") != (len(row.Emails) > 0) {
				t.Errorf("email mark = %q with %d emails to send", st, len(row.Emails))
			}
		})
	}
}
