package delivery_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// backlog is an in-memory delivery.Backlog over the test ledger: it
// finds, business by business in commit order, the activities whose event
// is not done or whose email is due and not done, in pages of pageSize.
type backlog struct {
	ledger     *ledger
	businesses [][]team.Activity // each business's activity, oldest first
	pageSize   int
	queries    []delivery.BacklogQuery
}

func (b *backlog) Undelivered(_ context.Context, q delivery.BacklogQuery, page func([]delivery.Record) error) error {
	b.queries = append(b.queries, q)
	for _, activities := range b.businesses {
		var due []delivery.Record
		for _, a := range activities {
			if q.BusinessID != "" && a.BusinessID != q.BusinessID {
				continue
			}
			st, _ := b.ledger.State(context.Background(), a.BusinessID, a.ID)
			if !st.EventDone || (slices.Contains(q.EmailTypes, a.Type) && !st.EmailDone(delivery.EmailWelcomeToTarget)) {
				due = append(due, delivery.Record{ID: a.ID, Activity: a})
			}
		}
		for p := range slices.Chunk(due, b.pageSize) {
			if err := page(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func inBusiness(biz team.BusinessID, a team.Activity) team.Activity {
	a.BusinessID = biz
	return a
}

// SES is down for the first invite of acme: acme's later pages wait for
// the next run while other businesses are delivered; the next run delivers
// the rest, and a third run finds nothing to send.
func TestRedeliverSendsWhatIsMissingOnceAndInOrder(t *testing.T) {
	w := newWorld()
	acme := []team.Activity{
		activity("a1", team.ActivityUserAdded, "ann@acme.test"),
		activity("a2", team.ActivityPermissionsChanged, "ann@acme.test"),
		activity("a3", team.ActivityUserAdded, "bo@acme.test"),
	}
	// Globex's business is gone: its email is refused for good (the
	// business does not exist), its event still goes out.
	globex := []team.Activity{inBusiness("globex", activity("g1", team.ActivityUserAdded, "cy@globex.test"))}
	bl := &backlog{ledger: w.ledger, businesses: [][]team.Activity{acme, globex}, pageSize: 1}
	// a2's event was delivered by the stream already: the backlog does not
	// find it.
	w.ledger.events["a2"] = "put"
	w.mailer.script = []error{errors.New("SES: throttled")}

	first, err := w.consumer.Redeliver(context.Background(), bl, delivery.BacklogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := delivery.Redelivery{Businesses: 2, Records: 3, EmailsSent: 0, EventsPut: 1, Refused: 1, Skipped: 1,
		Failed: []delivery.FailedRecord{{BusinessID: "acme", ActivityID: "a1"}}}
	if diff := cmp.Diff(want, first, cmpopts.IgnoreFields(delivery.FailedRecord{}, "Err")); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if first.Done() {
		t.Error("the first run says it is done with a record left")
	}

	second, err := w.consumer.Redeliver(context.Background(), bl, delivery.BacklogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want = delivery.Redelivery{Businesses: 1, Records: 2, EmailsSent: 2, EventsPut: 2}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if got := recipients(w.mailer.sent); !cmp.Equal(got, []string{"ann@acme.test", "bo@acme.test"}) {
		t.Errorf("emails went to %v, want ann then bo, once each", got)
	}
	if got, want := w.publisher.ids(), []string{"g1", "a1", "a3"}; !cmp.Equal(got, want) {
		t.Errorf("events put %v, want %v: acme's in commit order, none twice", got, want)
	}

	third, err := w.consumer.Redeliver(context.Background(), bl, delivery.BacklogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(delivery.Redelivery{}, third); diff != "" {
		t.Errorf("third run found work (-want +got):\n%s", diff)
	}
	if len(w.mailer.sent) != 2 || len(w.publisher.ids()) != 3 {
		t.Errorf("the third run sent something: %d emails, %d events", len(w.mailer.sent), len(w.publisher.ids()))
	}
}

// The backlog is asked for exactly the activity types whose downstream row
// welcomes their target (a change of email's two emails are found by its
// changes.email), with the operator's business and time range.
func TestRedeliverAsksForTheEmailsTheDownstreamTableSends(t *testing.T) {
	w := newWorld()
	bl := &backlog{ledger: w.ledger, pageSize: 10}
	q := delivery.BacklogQuery{BusinessID: "acme", Since: t0, Until: t0.Add(48 * 60 * 60 * 1e9)}
	if _, err := w.consumer.Redeliver(context.Background(), bl, q); err != nil {
		t.Fatal(err)
	}
	want := q
	for _, typ := range team.ActivityTypes() {
		if row, _ := delivery.DownstreamOf(typ); slices.Contains(row.Emails, delivery.EmailWelcomeToTarget) {
			want.EmailTypes = append(want.EmailTypes, typ)
		}
	}
	if diff := cmp.Diff([]delivery.BacklogQuery{want}, bl.queries, cmpopts.SortSlices(func(a, b team.ActivityType) bool { return a < b })); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestRedeliverReportsTheBacklogsError(t *testing.T) {
	w := newWorld()
	_, err := w.consumer.Redeliver(context.Background(), failingBacklog{}, delivery.BacklogQuery{})
	if !errors.Is(err, errBacklog) {
		t.Errorf("err = %v, want the backlog's", err)
	}
}

var errBacklog = errors.New("table unavailable")

type failingBacklog struct{}

func (failingBacklog) Undelivered(context.Context, delivery.BacklogQuery, func([]delivery.Record) error) error {
	return errBacklog
}

func recipients(emails []delivery.WelcomeEmail) []string {
	var out []string
	for _, e := range emails {
		out = append(out, e.To)
	}
	return out
}
