package dynamo

import (
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

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

func insertRecord(t *testing.T, item map[string]types.AttributeValue) events.DynamoDBEventRecord {
	image := toStreamImage(t, item)
	return events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
		Keys: map[string]events.DynamoDBAttributeValue{AttrPK: image[AttrPK], AttrSK: image[AttrSK]}, NewImage: image,
	}}
}

func TestActivityFromStream(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 123e6, time.UTC)
	act := team.Activity{ID: "01JDXYZ", BusinessID: "acme", Type: team.ActivityContactChanged, Actor: "owner@acme.test",
		Target: team.Person{Email: "anne@acme.test", FirstName: "Anne", Phone: "+14155550100"}, At: at,
		Changes: team.Changes{
			Email:       &team.FieldChange{From: "ann@acme.test", To: "anne@acme.test"},
			Permissions: &team.PermissionsChange{From: team.Permissions{}, To: team.Permissions{team.TabCRM}},
		}}
	item, err := attributevalue.MarshalMap(toActivityRecord(act))
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := ActivityFromStream(insertRecord(t, item))
	if err != nil || !ok {
		t.Fatalf("ActivityFromStream = ok %v, %v", ok, err)
	}
	if diff := cmp.Diff(act, got); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}

	t.Run("other records are ignored", func(t *testing.T) {
		user, _ := attributevalue.MarshalMap(toUserRecord(team.User{BusinessID: "acme", Email: "ann@acme.test", Version: 1}))
		modify := insertRecord(t, item)
		modify.EventName = "MODIFY"
		for name, rec := range map[string]events.DynamoDBEventRecord{"user insert": insertRecord(t, user), "activity modify": modify} {
			if _, ok, err := ActivityFromStream(rec); ok || err != nil {
				t.Errorf("%s: ok %v, err %v; want ignored", name, ok, err)
			}
		}
	})

	t.Run("a damaged image is an error that names the record", func(t *testing.T) {
		damaged := insertRecord(t, item)
		delete(damaged.Change.NewImage, "type")
		got, ok, err := ActivityFromStream(damaged)
		if err == nil || ok || got.BusinessID != "acme" || got.ID != "01JDXYZ" {
			t.Errorf("got %+v ok %v err %v; want an error carrying business and id", got, ok, err)
		}
	})
}
