package dynamo

import (
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// insertRecord is the stream record of an item's insertion. How Lambda's
// stream events become StreamRecords is tested in internal/streamlambda.
func insertRecord(item map[string]types.AttributeValue) StreamRecord {
	return StreamRecord{Inserted: true,
		Keys: map[string]types.AttributeValue{AttrPK: item[AttrPK], AttrSK: item[AttrSK]}, NewImage: maps.Clone(item)}
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
	got, ok, err := ActivityFromStream(insertRecord(item))
	if err != nil || !ok {
		t.Fatalf("ActivityFromStream = ok %v, %v", ok, err)
	}
	if diff := cmp.Diff(act, got); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}
	if !IsActivityInsert(insertRecord(item)) {
		t.Error("IsActivityInsert refuses the insertion of an activity record")
	}

	t.Run("other records are ignored", func(t *testing.T) {
		user, _ := attributevalue.MarshalMap(toUserRecord(team.User{BusinessID: "acme", Email: "ann@acme.test", Version: 1}))
		modify := insertRecord(item)
		modify.Inserted = false
		for name, rec := range map[string]StreamRecord{"user insert": insertRecord(user), "activity modify": modify} {
			if _, ok, err := ActivityFromStream(rec); ok || err != nil {
				t.Errorf("%s: ok %v, err %v; want ignored", name, ok, err)
			}
			if IsActivityInsert(rec) {
				t.Errorf("%s: IsActivityInsert accepts it", name)
			}
		}
	})

	t.Run("a damaged image is an error that names the record", func(t *testing.T) {
		damaged := insertRecord(item)
		delete(damaged.NewImage, attrType)
		got, ok, err := ActivityFromStream(damaged)
		if err == nil || ok || got.BusinessID != "acme" || got.ID != "01JDXYZ" {
			t.Errorf("got %+v ok %v err %v; want an error carrying business and id", got, ok, err)
		}
	})

	t.Run("a record without its new image is an error that names the record", func(t *testing.T) {
		bare := insertRecord(item)
		bare.NewImage = nil
		got, ok, err := ActivityFromStream(bare)
		if err == nil || ok || got.BusinessID != "acme" || got.ID != "01JDXYZ" {
			t.Errorf("got %+v ok %v err %v; want an error carrying business and id", got, ok, err)
		}
	})
}
