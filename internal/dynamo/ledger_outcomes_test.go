package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
)

// countingUpdates counts the UpdateItem calls that reach DynamoDB.
type countingUpdates struct {
	dynamo.LedgerClient
	updates int
}

func (c *countingUpdates) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.updates++
	return c.LedgerClient.UpdateItem(ctx, in, opts...)
}

// An activity's outcomes are recorded in one write, with the same marks
// the single-outcome methods write; a mark set before keeps its first
// outcome while the others are still recorded; and a record that is gone
// is no error.
func TestLedgerRecordsAnActivitysOutcomesInOneWrite(t *testing.T) {
	w := newLedgerWorld(t)
	counting := &countingUpdates{LedgerClient: w.client}
	ledger := dynamo.NewLedger(counting, w.table)
	ctx := context.Background()
	now := w.now
	invite := func(email string) string { return w.invite(t, email) }
	item := func(id string) map[string]string { return w.activityMarks(t, id) }
	sent := delivery.Outcome{Email: delivery.EmailWelcomeToTarget, MessageID: "msg-1", At: now}
	put := delivery.Outcome{At: now}

	fresh := invite("ann@acme.test")
	if err := ledger.RecordOutcomes(ctx, "acme", fresh, []delivery.Outcome{sent, put}); err != nil {
		t.Fatal(err)
	}
	if counting.updates != 1 {
		t.Errorf("%d UpdateItem calls for an email and an event, want 1", counting.updates)
	}
	if diff := cmp.Diff(map[string]string{"emailStatus": "sent", "emailMessageId": "msg-1", "eventStatus": "put"}, item(fresh)); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	st, err := ledger.State(ctx, "acme", fresh)
	if err != nil || !st.EmailDone(delivery.EmailWelcomeToTarget) || !st.EventDone {
		t.Errorf("state = %+v, %v; want the email and the event done", st, err)
	}

	// The email was recorded by an earlier delivery; this one's outcome
	// for it is not kept, and the event is still recorded.
	half := invite("bo@acme.test")
	if err := ledger.EmailSent(ctx, "acme", half, delivery.EmailWelcomeToTarget, "msg-first", now); err != nil {
		t.Fatal(err)
	}
	refused := delivery.Outcome{Email: delivery.EmailWelcomeToTarget, Failed: true, Reason: "MessageRejected", At: now}
	if err := ledger.RecordOutcomes(ctx, "acme", half, []delivery.Outcome{refused, {Failed: true, Reason: "malformed", At: now}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"emailStatus": "sent", "emailMessageId": "msg-first", "eventStatus": "failed", "eventError": "malformed"}, item(half)); diff != "" {
		t.Errorf("marks after an earlier delivery (-want +got):\n%s", diff)
	}

	// A record deleted by hand: there is nothing to record on.
	if err := ledger.RecordOutcomes(ctx, "acme", "01NOSUCHACTIVITY000000000", []delivery.Outcome{sent, put}); err != nil {
		t.Errorf("RecordOutcomes on a record that is gone: %v, want nil", err)
	}
}
