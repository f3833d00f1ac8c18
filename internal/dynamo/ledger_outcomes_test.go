package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/team"
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
	client := dynamotest.Client(t)
	table := dynamotest.NewTableWithoutStream(t, client)
	counting := &countingUpdates{LedgerClient: client}
	store, ledger := dynamo.NewStore(client, table), dynamo.NewLedger(counting, table)
	ctx := context.Background()
	now := time.Now().UTC()
	owner := team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: team.Permissions{team.TabUsers}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := store.CreateBusiness(ctx, team.Business{ID: "acme", Name: "Acme", Tabs: team.Permissions{team.TabUsers}, CreatedAt: now}, owner); err != nil {
		t.Fatal(err)
	}
	invite := func(email string) string {
		t.Helper()
		u := team.User{BusinessID: "acme", Email: email, Permissions: team.Permissions{}, CreatedAt: now, UpdatedAt: now, Version: 1}
		act := team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: owner.Email, At: now}
		if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: owner.Email, After: &u, Activity: act}); err != nil {
			t.Fatal(err)
		}
		return act.ID
	}
	item := func(id string) map[string]string {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "BUSINESS#acme"},
				"SK": &types.AttributeValueMemberS{Value: "ACTIVITY#" + id},
			}})
		if err != nil {
			t.Fatal(err)
		}
		marks := map[string]string{}
		for _, name := range []string{"emailStatus", "emailMessageId", "emailError", "eventStatus", "eventError"} {
			if s, ok := out.Item[name].(*types.AttributeValueMemberS); ok {
				marks[name] = s.Value
			}
		}
		return marks
	}
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
