package delivery_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// outcomeLedger is the in-memory ledger that records an activity's
// outcomes in one call, as dynamo.Ledger does in one write. It notes each
// call and fails the calls fail says to.
type outcomeLedger struct {
	*ledger
	mu    sync.Mutex
	calls map[string][][]string // activity id → each call's outcomes, as "email kind:sent" or "event:put"
	fail  func(activityID string) error
}

func newOutcomeLedger() *outcomeLedger {
	return &outcomeLedger{ledger: newLedger(), calls: map[string][][]string{}}
}

var _ delivery.OutcomeRecorder = (*outcomeLedger)(nil)

func (l *outcomeLedger) RecordOutcomes(_ context.Context, _ team.BusinessID, id string, outcomes []delivery.Outcome) error {
	var call []string
	for _, o := range outcomes {
		what, status := "event", "put"
		if o.Email != "" {
			what, status = string(o.Email), "sent"
		}
		if o.Failed {
			status = "failed"
		}
		call = append(call, what+":"+status)
	}
	l.mu.Lock()
	l.calls[id] = append(l.calls[id], call)
	fail := l.fail
	l.mu.Unlock()
	if fail != nil {
		if err := fail(id); err != nil {
			return err
		}
	}
	for _, o := range outcomes {
		switch {
		case o.Email == "" && o.Failed:
			_ = l.set(l.events, id, "failed:"+o.Reason)
		case o.Email == "":
			_ = l.set(l.events, id, "put")
		case o.Failed:
			_ = l.set(l.emails, emailKey(id, o.Email), "failed:"+o.Reason)
		default:
			_ = l.set(l.emails, emailKey(id, o.Email), "sent:"+o.MessageID)
		}
	}
	return nil
}

// The single-outcome methods are not for the consumer when the ledger
// records outcomes together; each call of them is noted as one.
func (l *outcomeLedger) EmailSent(ctx context.Context, b team.BusinessID, id string, kind delivery.EmailKind, msg string, at time.Time) error {
	l.noteSingle(id)
	return l.ledger.EmailSent(ctx, b, id, kind, msg, at)
}

func (l *outcomeLedger) EventPut(ctx context.Context, b team.BusinessID, id string, at time.Time) error {
	l.noteSingle(id)
	return l.ledger.EventPut(ctx, b, id, at)
}

func (l *outcomeLedger) noteSingle(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[id] = append(l.calls[id], []string{"single"})
}

func (l *outcomeLedger) callsOf(id string) [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls[id])
}

func newOutcomeWorld() (*world, *outcomeLedger) {
	l := newOutcomeLedger()
	w := &world{ledger: l.ledger, mailer: &mailer{}, publisher: &publisher{}, log: &strings.Builder{}}
	w.consumer = delivery.New("https://app.example.test/", delivery.Deps{
		Ledger: l, Directory: directory{}, Mailer: w.mailer, Publisher: w.publisher,
		Clock: fixedClock{}, Log: slog.New(slog.NewTextHandler(w.log, nil)),
	})
	return w, l
}

// With a ledger that records outcomes together, each activity's emails
// and event are recorded in one write, after both went out, and a batch
// delivered again writes and sends nothing.
func TestAnActivitysOutcomesAreRecordedInOneWrite(t *testing.T) {
	b := newBatch().
		add(activity("a1", team.ActivityUserAdded, "ann@acme.test")).
		add(activity("a2", team.ActivityPermissionsChanged, "ann@acme.test")).
		add(emailChange("a3"))
	w, l := newOutcomeWorld()
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("failures = %v, want none", got)
	}
	sortCalls := cmp.Transformer("sorted", func(calls [][]string) [][]string {
		out := [][]string{}
		for _, c := range calls {
			out = append(out, slices.Sorted(slices.Values(c)))
		}
		return out
	})
	want := map[string][][]string{
		"a1": {{"event:put", string(delivery.EmailWelcomeToTarget) + ":sent"}},
		"a2": {{"event:put"}},
		"a3": {{"event:put", string(delivery.EmailNoticeToOldAddress) + ":sent", string(delivery.EmailWelcomeToNewAddress) + ":sent"}},
	}
	for id, calls := range want {
		if diff := cmp.Diff(calls, l.callsOf(id), sortCalls); diff != "" {
			t.Errorf("ledger writes of %s (-want +got):\n%s", id, diff)
		}
	}
	if len(w.mailer.sent) != 3 || len(w.publisher.accepted) != 3 {
		t.Errorf("%d emails and %d events, want 3 and 3", len(w.mailer.sent), len(w.publisher.accepted))
	}

	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("second delivery failures = %v", got)
	}
	for id, calls := range want {
		if diff := cmp.Diff(calls, l.callsOf(id), sortCalls); diff != "" {
			t.Errorf("ledger writes of %s after the same batch again (-want +got):\n%s", id, diff)
		}
	}
	if len(w.mailer.sent) != 3 || len(w.publisher.accepted) != 3 {
		t.Errorf("after the same batch twice: %d emails and %d events, want 3 and 3", len(w.mailer.sent), len(w.publisher.accepted))
	}
}

// An email to be retried still holds its activity's event back when the
// outcomes are recorded together: nothing of the activity is recorded,
// and the retry sends the email and the event once each, in one write.
func TestAnEmailToRetryHoldsItsEventBackWhenRecordedTogether(t *testing.T) {
	b := newBatch().add(activity("a1", team.ActivityUserAdded, "ann@acme.test"))
	w, l := newOutcomeWorld()
	w.mailer.script = []error{errors.New("TooManyRequestsException: maximum sending rate exceeded")}
	if got := w.handle(t, b); len(got) != 1 {
		t.Fatalf("failures = %v, want the record handed back for retry", got)
	}
	if len(w.publisher.accepted) != 0 || len(l.callsOf("a1")) != 0 {
		t.Fatalf("after the throttled email: %d events put and ledger writes %v, want none", len(w.publisher.accepted), l.callsOf("a1"))
	}
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("retry failures = %v", got)
	}
	if diff := cmp.Diff([][]string{{string(delivery.EmailWelcomeToTarget) + ":sent", "event:put"}}, l.callsOf("a1")); diff != "" {
		t.Errorf("ledger writes (-want +got):\n%s", diff)
	}
	if len(w.mailer.sent) != 1 || len(w.publisher.accepted) != 1 {
		t.Errorf("%d emails and %d events, want 1 and 1", len(w.mailer.sent), len(w.publisher.accepted))
	}
}

// A write of the outcomes that fails hands the record back, and the retry
// records them; only the activity whose write failed is retried.
func TestAFailedOutcomeWriteRetriesTheRecord(t *testing.T) {
	b := newBatch().
		add(activity("a1", team.ActivityUserAdded, "ann@acme.test")).
		add(activity("a2", team.ActivityUserAdded, "bo@acme.test"))
	w, l := newOutcomeWorld()
	failed := false
	l.fail = func(id string) error {
		if id == "a2" && !failed {
			failed = true
			return errors.New("ProvisionedThroughputExceededException")
		}
		return nil
	}
	got := w.handle(t, b)
	if diff := cmp.Diff([]string{b.records[1].ID}, got); diff != "" {
		t.Fatalf("records handed back (-want +got):\n%s", diff)
	}
	if got := w.handle(t, newBatch().add(b.activities[b.records[1].ID])); len(got) != 0 {
		t.Fatalf("retry failures = %v", got)
	}
	if w.ledger.email("a2", delivery.EmailWelcomeToTarget) == "" {
		t.Errorf("a2's welcome email is not recorded after the retry")
	}
	if diff := cmp.Diff([]string{"a1", "a2", "a2"}, w.publisher.ids()); diff != "" {
		t.Errorf("events (-want +got):\n%s (a2's event goes again: its mark was not written, and subscribers drop the repeat by eventId)", diff)
	}
}
