package dynamo_test

import (
	"context"
	"fmt"
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

func TestLedgerRecordsFirstOutcomeOnce(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.NewTable(t, client)
	store, ledger := dynamo.NewStore(client, table), dynamo.NewLedger(client, table)
	ctx := context.Background()
	now := time.Now().UTC()
	owner := team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: team.Permissions{team.TabUsers}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := store.CreateBusiness(ctx, team.Business{ID: "acme", Name: "Acme", Tabs: team.Permissions{team.TabUsers}, CreatedAt: now}, owner); err != nil {
		t.Fatal(err)
	}
	u := team.User{BusinessID: "acme", Email: "ann@acme.test", Permissions: team.Permissions{}, CreatedAt: now, UpdatedAt: now, Version: 1}
	act := team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: owner.Email, At: now}
	if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: owner.Email, After: &u, Activity: act}); err != nil {
		t.Fatal(err)
	}
	st, err := ledger.State(ctx, "acme", act.ID)
	if err != nil || st.EmailDone || st.EventDone {
		t.Fatalf("fresh state = %+v, %v; want nothing delivered", st, err)
	}
	for _, mark := range []func() error{
		func() error { return ledger.EmailSent(ctx, "acme", act.ID, "msg-1", now) },
		func() error { return ledger.EmailFailed(ctx, "acme", act.ID, "too late", now) },
		func() error { return ledger.EventPut(ctx, "acme", act.ID, now) },
		func() error { return ledger.EventPut(ctx, "acme", act.ID, now) },
	} {
		if err := mark(); err != nil {
			t.Fatalf("mark: %v (a repeated mark must succeed quietly)", err)
		}
	}
	st, err = ledger.State(ctx, "acme", act.ID)
	if err != nil || !st.EmailDone || !st.EventDone {
		t.Fatalf("state = %+v, %v; want both done", st, err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "BUSINESS#acme"},
			"SK": &types.AttributeValueMemberS{Value: "ACTIVITY#" + act.ID},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := out.Item["emailStatus"].(*types.AttributeValueMemberS); s == nil || s.Value != "sent" {
		t.Errorf("email status = %v, want the first outcome (sent) kept", out.Item["emailStatus"])
	}
	if _, err := ledger.State(ctx, "acme", "missing"); err == nil {
		t.Errorf("State of a missing record succeeded")
	}
}

// A batch's delivery states are read in one go, in the order asked, with
// the records that are gone told apart, however many keys and repeats.
func TestLedgerReadsABatchsStates(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.NewTable(t, client)
	store, ledger := dynamo.NewStore(client, table), dynamo.NewLedger(client, table)
	ctx := context.Background()
	now := time.Now().UTC()
	owner := team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: team.Permissions{team.TabUsers}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := store.CreateBusiness(ctx, team.Business{ID: "acme", Name: "Acme", Tabs: team.Permissions{team.TabUsers}, CreatedAt: now}, owner); err != nil {
		t.Fatal(err)
	}
	// 120 activities: more than one BatchGetItem holds.
	var refs []delivery.ActivityRef
	var want []delivery.State
	for i := range 120 {
		u := team.User{BusinessID: "acme", Email: fmt.Sprintf("u%d@acme.test", i), Permissions: team.Permissions{}, CreatedAt: now, UpdatedAt: now, Version: 1}
		act := team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: owner.Email, At: now}
		if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: owner.Email, After: &u, Activity: act}); err != nil {
			t.Fatal(err)
		}
		st := delivery.State{EmailDone: i%3 == 0, EventDone: i%2 == 0}
		if st.EmailDone {
			if err := ledger.EmailSent(ctx, "acme", act.ID, "m", now); err != nil {
				t.Fatal(err)
			}
		}
		if st.EventDone {
			if err := ledger.EventPut(ctx, "acme", act.ID, now); err != nil {
				t.Fatal(err)
			}
		}
		refs, want = append(refs, delivery.ActivityRef{BusinessID: "acme", ActivityID: act.ID}), append(want, st)
	}
	// A record that is gone, one of another business, and a repeat.
	refs = append(refs, delivery.ActivityRef{BusinessID: "acme", ActivityID: "01NOSUCHACTIVITY000000000"},
		delivery.ActivityRef{BusinessID: "globex", ActivityID: refs[0].ActivityID}, refs[0])
	want = append(want, delivery.State{Gone: true}, delivery.State{Gone: true}, want[0])
	got, err := ledger.States(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}
