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

// ledgerWorld is a table holding business acme and its owner, for the
// ledger's tests: they record outcomes on the activities invites write.
type ledgerWorld struct {
	client *dynamodb.Client
	table  string
	store  *dynamo.Store
	owner  team.User
	now    time.Time
}

// newLedgerWorld makes a new table with business acme and its owner.
func newLedgerWorld(t *testing.T) *ledgerWorld {
	t.Helper()
	client := dynamotest.Client(t)
	w := &ledgerWorld{client: client, table: dynamotest.NewTableWithoutStream(t, client), now: time.Now().UTC()}
	w.store = dynamo.NewStore(client, w.table)
	w.owner = team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: team.Permissions{team.TabUsers}, CreatedAt: w.now, UpdatedAt: w.now, Version: 1}
	if err := w.store.CreateBusiness(context.Background(), team.Business{ID: "acme", Name: "Acme", Tabs: team.Permissions{team.TabUsers}, CreatedAt: w.now}, w.owner); err != nil {
		t.Fatal(err)
	}
	return w
}

// invite invites email to acme and returns the id of the activity it wrote.
func (w *ledgerWorld) invite(t *testing.T, email string) string {
	t.Helper()
	u := team.User{BusinessID: "acme", Email: email, Permissions: team.Permissions{}, CreatedAt: w.now, UpdatedAt: w.now, Version: 1}
	act := team.Activity{ID: team.ULIDSource{}.NewID(w.now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: w.owner.Email, At: w.now}
	if err := w.store.Apply(context.Background(), team.Mutation{BusinessID: "acme", Actor: w.owner.Email, After: &u, Activity: act}); err != nil {
		t.Fatal(err)
	}
	return act.ID
}

// activityMarks reads the delivery marks on an activity's record as they
// are stored: by the storage attribute names, which the tests hold to
// what the ledger's methods mean.
func (w *ledgerWorld) activityMarks(t *testing.T, activityID string) map[string]string {
	t.Helper()
	out, err := w.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(w.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "BUSINESS#acme"},
			"SK": &types.AttributeValueMemberS{Value: "ACTIVITY#" + activityID},
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

func TestLedgerRecordsFirstOutcomeOnce(t *testing.T) {
	w := newLedgerWorld(t)
	ledger, now := dynamo.NewLedger(w.client, w.table), w.now
	ctx := context.Background()
	id := w.invite(t, "ann@acme.test")
	st, err := ledger.State(ctx, "acme", id)
	if err != nil || st.EmailDone(delivery.EmailWelcomeToTarget) || st.EventDone {
		t.Fatalf("fresh state = %+v, %v; want nothing delivered", st, err)
	}
	for _, mark := range []func() error{
		func() error {
			return ledger.EmailSent(ctx, "acme", id, delivery.EmailWelcomeToTarget, "msg-1", now)
		},
		func() error {
			return ledger.EmailFailed(ctx, "acme", id, delivery.EmailWelcomeToTarget, "too late", now)
		},
		func() error { return ledger.EventPut(ctx, "acme", id, now) },
		func() error { return ledger.EventPut(ctx, "acme", id, now) },
	} {
		if err := mark(); err != nil {
			t.Fatalf("mark: %v (a repeated mark must succeed quietly)", err)
		}
	}
	st, err = ledger.State(ctx, "acme", id)
	if err != nil || !st.EmailDone(delivery.EmailWelcomeToTarget) || !st.EventDone {
		t.Fatalf("state = %+v, %v; want both done", st, err)
	}
	if got := w.activityMarks(t, id)["emailStatus"]; got != "sent" {
		t.Errorf("email status = %q, want the first outcome (sent) kept", got)
	}
	if _, err := ledger.State(ctx, "acme", "missing"); err == nil {
		t.Errorf("State of a missing record succeeded")
	}
}

// A batch's delivery states are read in one go, in the order asked, with
// the records that are gone told apart, however many keys and repeats.
func TestLedgerReadsABatchsStates(t *testing.T) {
	w := newLedgerWorld(t)
	client, table, store, owner, now := w.client, w.table, w.store, w.owner, w.now
	ledger := dynamo.NewLedger(client, table)
	ctx := context.Background()
	// 120 activities: more than one BatchGetItem holds.
	var refs []delivery.ActivityRef
	var want []delivery.State
	for i := range 120 {
		u := team.User{BusinessID: "acme", Email: fmt.Sprintf("u%d@acme.test", i), Permissions: team.Permissions{}, CreatedAt: now, UpdatedAt: now, Version: 1}
		act := team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: owner.Email, At: now}
		if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: owner.Email, After: &u, Activity: act}); err != nil {
			t.Fatal(err)
		}
		st := delivery.State{Emails: map[delivery.EmailKind]bool{}, EventDone: i%2 == 0}
		if i%3 == 0 {
			st.Emails[delivery.EmailWelcomeToTarget] = true
			if err := ledger.EmailSent(ctx, "acme", act.ID, delivery.EmailWelcomeToTarget, "m", now); err != nil {
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
	// What the consumer asks of a state: the invite's welcome email, the
	// event, and whether the record is gone.
	type view struct{ Welcome, Event, Gone bool }
	views := func(states []delivery.State) []view {
		out := make([]view, len(states))
		for i, st := range states {
			out[i] = view{st.EmailDone(delivery.EmailWelcomeToTarget), st.EventDone, st.Gone}
		}
		return out
	}
	if diff := cmp.Diff(views(want), views(got)); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

// The two emails of a change of email are recorded apart: the notice's
// mark neither hides nor is hidden by the welcome email's, so a retry after
// one of them failed sends only that one.
func TestLedgerRecordsEachEmailKindApart(t *testing.T) {
	w := newLedgerWorld(t)
	client, table, store, owner, now := w.client, w.table, w.store, w.owner, w.now
	ledger := dynamo.NewLedger(client, table)
	ctx := context.Background()
	u := team.User{BusinessID: "acme", ID: "usr_ann", Email: "ann@acme.test", Permissions: team.Permissions{}, CreatedAt: now, UpdatedAt: now, Version: 1}
	moved := u
	moved.Email, moved.Version = "anne@acme.test", 2
	act := team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityContactChanged, Actor: owner.Email, At: now,
		Changes: team.Changes{Email: &team.FieldChange{From: u.Email, To: moved.Email}}}
	if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: owner.Email, After: &u,
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: owner.Email, At: now}}); err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: owner.Email, Before: &u, After: &moved, Activity: act}); err != nil {
		t.Fatal(err)
	}
	if err := ledger.EmailSent(ctx, "acme", act.ID, delivery.EmailNoticeToOldAddress, "msg-notice", now); err != nil {
		t.Fatal(err)
	}
	st, err := ledger.State(ctx, "acme", act.ID)
	if err != nil || !st.EmailDone(delivery.EmailNoticeToOldAddress) || st.EmailDone(delivery.EmailWelcomeToNewAddress) {
		t.Fatalf("after the notice: %+v, %v; want the notice done and the welcome not", st, err)
	}
	if err := ledger.EmailFailed(ctx, "acme", act.ID, delivery.EmailWelcomeToNewAddress, "MessageRejected", now); err != nil {
		t.Fatal(err)
	}
	// A second outcome of the notice changes nothing.
	if err := ledger.EmailFailed(ctx, "acme", act.ID, delivery.EmailNoticeToOldAddress, "late", now); err != nil {
		t.Fatal(err)
	}
	st, err = ledger.State(ctx, "acme", act.ID)
	if err != nil || !st.EmailDone(delivery.EmailNoticeToOldAddress) || !st.EmailDone(delivery.EmailWelcomeToNewAddress) || st.EventDone {
		t.Fatalf("after both: %+v, %v; want both emails done and the event not", st, err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "BUSINESS#acme"},
			"SK": &types.AttributeValueMemberS{Value: "ACTIVITY#" + act.ID},
		}})
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]string{"noticeStatus": "sent", "noticeMessageId": "msg-notice", "emailStatus": "failed", "emailError": "MessageRejected"} {
		if s, _ := out.Item[attr].(*types.AttributeValueMemberS); s == nil || s.Value != want {
			t.Errorf("%s = %v, want %q", attr, out.Item[attr], want)
		}
	}
}
