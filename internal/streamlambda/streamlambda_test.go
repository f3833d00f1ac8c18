package streamlambda_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/team"
)

// toStreamValue converts an SDK attribute value to the Lambda event form,
// the way the stream delivers a committed item.
func toStreamValue(t *testing.T, av types.AttributeValue) events.DynamoDBAttributeValue {
	t.Helper()
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			list[i] = toStreamValue(t, e)
		}
		return events.NewListAttribute(list)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(toStreamImage(t, v.Value))
	default:
		t.Fatalf("unexpected attribute %T", av)
		return events.DynamoDBAttributeValue{}
	}
}

func toStreamImage(t *testing.T, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		out[k] = toStreamValue(t, v)
	}
	return out
}

func insertRecord(t *testing.T, seq string, item map[string]types.AttributeValue) events.DynamoDBEventRecord {
	image := toStreamImage(t, item)
	return events.DynamoDBEventRecord{EventID: "ev-" + seq, EventName: "INSERT", Change: events.DynamoDBStreamRecord{
		SequenceNumber: seq,
		Keys:           map[string]events.DynamoDBAttributeValue{dynamo.AttrPK: image[dynamo.AttrPK], dynamo.AttrSK: image[dynamo.AttrSK]},
		NewImage:       image,
	}}
}

var at = time.Date(2026, 11, 27, 10, 0, 0, 123e6, time.UTC)

func activityItem(t *testing.T, a team.Activity) map[string]types.AttributeValue {
	t.Helper()
	item, err := dynamo.ActivityItem(a)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// TestRecords checks that a Lambda batch becomes the consumer's records:
// activity insertions read as the activity committed, other records left
// out, and a damaged record kept with its keys and why.
func TestRecords(t *testing.T) {
	act := team.Activity{ID: "01JDXYZ", BusinessID: "acme", Type: team.ActivityContactChanged, Actor: "owner@acme.test",
		Target: team.Person{Email: "anne@acme.test", FirstName: "Anne", Phone: "+14155550100"}, At: at,
		Changes: team.Changes{
			Email:       &team.FieldChange{From: "ann@acme.test", To: "anne@acme.test"},
			Permissions: &team.PermissionsChange{From: team.Permissions{}, To: team.Permissions{team.TabCRM}},
		}}
	good := insertRecord(t, "1", activityItem(t, act))
	user, err := dynamo.UserItem(team.User{BusinessID: "acme", Email: "ann@acme.test", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	userInsert := insertRecord(t, "2", user)
	modify := insertRecord(t, "3", activityItem(t, act))
	modify.EventName = "MODIFY"
	damaged := insertRecord(t, "4", activityItem(t, team.Activity{ID: "01JDBAD", BusinessID: "acme", Type: team.ActivityUserAdded, At: at}))
	delete(damaged.Change.NewImage, "type")

	for name, tc := range map[string]struct {
		rec    events.DynamoDBEventRecord
		insert bool
	}{"activity insert": {good, true}, "user insert": {userInsert, false}, "activity modify": {modify, false}, "damaged activity insert": {damaged, true}} {
		if got := streamlambda.IsActivityInsert(tc.rec); got != tc.insert {
			t.Errorf("IsActivityInsert(%s) = %v, want %v", name, got, tc.insert)
		}
	}

	got := streamlambda.Records(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{good, userInsert, modify, damaged}})
	if len(got) != 2 {
		t.Fatalf("Records = %+v, want the activity and the damaged record", got)
	}
	if diff := cmp.Diff(delivery.Record{ID: "1", EventID: "ev-1", Activity: act}, got[0]); diff != "" {
		t.Errorf("activity record (-want +got):\n%s", diff)
	}
	if bad := got[1]; bad.ID != "4" || bad.Err == nil || bad.Activity.BusinessID != "acme" || bad.Activity.ID != "01JDBAD" {
		t.Errorf("damaged record = %+v; want an error carrying business and id", bad)
	}
}

// deliverer hands back the records whose ids it was told to fail.
type deliverer struct {
	fail map[string]bool
	got  []delivery.Record
}

func (d *deliverer) Deliver(_ context.Context, records []delivery.Record) []string {
	d.got = records
	var retry []string
	for _, r := range records {
		if d.fail[r.ID] {
			retry = append(retry, r.ID)
		}
	}
	return retry
}

func TestHandlerReportsRetriesAsBatchItemFailures(t *testing.T) {
	var recs []events.DynamoDBEventRecord
	for i, id := range []string{"a1", "a2", "a3"} {
		seq := string(rune('1' + i))
		recs = append(recs, insertRecord(t, seq, activityItem(t, team.Activity{ID: id, BusinessID: "acme", Type: team.ActivityUserRemoved, Actor: "owner@acme.test", At: at})))
	}
	d := &deliverer{fail: map[string]bool{"1": true, "3": true}}
	resp, err := streamlambda.Handler(d)(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatalf("the handler failed the whole batch: %v", err)
	}
	want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: "1"}, {ItemIdentifier: "3"}}
	if diff := cmp.Diff(want, resp.BatchItemFailures); diff != "" {
		t.Errorf("batch item failures (-want +got):\n%s", diff)
	}
	if len(d.got) != 3 {
		t.Errorf("the consumer got %d records, want 3", len(d.got))
	}
}
