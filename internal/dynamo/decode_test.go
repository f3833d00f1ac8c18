package dynamo

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// decodeUser must read exactly what attributevalue would, for every item
// the store writes and for items it never writes but could meet.
func TestDecodeUserMatchesAttributeValue(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 123_000_000, time.UTC)
	written := map[string]team.User{
		"full": {BusinessID: "acme", Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", Phone: "+14155550100",
			Permissions: team.Permissions{team.TabHome, team.TabCRM, team.TabUsers}, InvitedBy: "owner@acme.test",
			CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 42},
		"no optional fields": {BusinessID: "acme", Email: "bob@example.com", CreatedAt: at, UpdatedAt: at, Version: 1},
		"no permissions":     {BusinessID: "acme", Email: "cy@example.com", Permissions: team.Permissions{}, CreatedAt: at, UpdatedAt: at, Version: 2},
		"invited, with every field": {BusinessID: "acme", ID: "usr_01J0000000000000000000000G", Email: "gus@example.com",
			Phone: "+14155550100", PhoneDisplay: "+1 415-555-0100", Permissions: team.Permissions{team.TabCRM},
			CreatedAt: at, UpdatedAt: at, Version: 3, IsOwner: true, Status: team.StatusInvited,
			InvitationExpiresAt: at.Add(14 * 24 * time.Hour), InvitationSentAt: at, ActivatedAt: at.Add(-time.Hour),
			ProfileImageURL: "https://pics.example/gus.png"},
	}
	items := map[string]map[string]types.AttributeValue{}
	for name, u := range written {
		item, err := UserItem(u)
		if err != nil {
			t.Fatal(err)
		}
		items[name] = item
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	items["permissions as a list"] = map[string]types.AttributeValue{"email": s("d@example.com"),
		"permissions": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("crm"), s("users")}}}
	items["NULL attributes"] = map[string]types.AttributeValue{"email": s("e@example.com"),
		"firstName": &types.AttributeValueMemberNULL{Value: true}, "permissions": &types.AttributeValueMemberNULL{Value: true}}
	items["unix time"] = map[string]types.AttributeValue{"createdAt": &types.AttributeValueMemberN{Value: "1790000000"}}
	items["empty"] = map[string]types.AttributeValue{}
	items["NULL phoneDisplay"] = map[string]types.AttributeValue{"phone": s("+14155550100"), "phoneDisplay": &types.AttributeValueMemberNULL{Value: true}}
	items["numbers where strings are"] = map[string]types.AttributeValue{"email": &types.AttributeValueMemberN{Value: "1"},
		"permissions": &types.AttributeValueMemberNS{Value: []string{"2"}}}
	items["numbers in a list of tabs"] = map[string]types.AttributeValue{
		"permissions": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("crm"), &types.AttributeValueMemberN{Value: "3"}}}}

	for name, item := range items {
		t.Run(name, func(t *testing.T) {
			var want userRecord
			if err := attributevalue.UnmarshalMap(item, &want); err != nil {
				t.Fatal(err)
			}
			got, err := decodeUser(item)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decodeUser (-attributevalue +decodeUser):\n%s", diff)
			}
		})
	}
}

func TestDecodeUserRefusesWrongTypes(t *testing.T) {
	for name, item := range map[string]map[string]types.AttributeValue{
		"string as version":     {"version": &types.AttributeValueMemberS{Value: "1"}},
		"fractional version":    {"version": &types.AttributeValueMemberN{Value: "1.5"}},
		"bad time":              {"createdAt": &types.AttributeValueMemberS{Value: "yesterday"}},
		"bool as tabs":          {"permissions": &types.AttributeValueMemberBOOL{Value: true}},
		"map in a list of tabs": {"permissions": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{}}}},
		"map as a first name":   {"firstName": &types.AttributeValueMemberM{}},
	} {
		t.Run(name, func(t *testing.T) {
			var r userRecord
			if attributevalue.UnmarshalMap(item, &r) == nil {
				t.Fatal("attributevalue accepts it: this case is not a wrong type")
			}
			if _, err := decodeUser(item); err == nil {
				t.Error("decodeUser accepted it")
			}
		})
	}
}

// decodeActivity must read exactly what attributevalue would.
func TestDecodeActivityMatchesAttributeValue(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 5_000_000, time.UTC)
	ann := team.Person{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", Phone: "+14155550100"}
	written := map[string]team.Activity{
		"added": {ID: "01J0000000000000000000000A", BusinessID: "acme", Type: team.ActivityUserAdded, Actor: "owner@acme.test",
			Target: ann, At: at, Changes: team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: team.Permissions{team.TabCRM}}}},
		"removed": {ID: "01J0000000000000000000000B", BusinessID: "acme", Type: team.ActivityUserRemoved, Actor: "owner@acme.test",
			Target: team.Person{Email: "bob@example.com"}, At: at},
		"permissions": {ID: "01J0000000000000000000000C", BusinessID: "acme", Type: team.ActivityPermissionsChanged, Actor: "owner@acme.test",
			Target: ann, At: at, Changes: team.Changes{Permissions: &team.PermissionsChange{
				From: team.Permissions{team.TabCRM}, To: team.Permissions{team.TabHome, team.TabCRM}}}},
		"contact": {ID: "01J0000000000000000000000D", BusinessID: "acme", Type: team.ActivityContactChanged, Actor: "ann@example.com",
			Target: ann, At: at, Changes: team.Changes{
				Email: &team.FieldChange{From: "anne@example.com", To: "ann@example.com"}, FirstName: &team.FieldChange{From: "", To: "Ann"},
				LastName: &team.FieldChange{From: "Li", To: "Lee"}, Phone: &team.FieldChange{From: "+14155550100", To: ""}}},
		// With the target's id, the record carries the ByUser index key too.
		"target with an id": {ID: "01J0000000000000000000000E", BusinessID: "acme", Type: team.ActivityUserAdded, Actor: "owner@acme.test",
			Target: team.Person{ID: "usr_01J0000000000000000000000F", Email: "cy@example.com"}, At: at},
		// An email change invites again: the record says until when.
		"email change with an expiry": {ID: "01J0000000000000000000000H", BusinessID: "acme", Type: team.ActivityContactChanged, Actor: "owner@acme.test",
			Target: ann, At: at, Changes: team.Changes{Email: &team.FieldChange{From: "anne@example.com", To: "ann@example.com"}},
			InvitationExpiresAt: at.Add(14 * 24 * time.Hour)},
	}
	items := map[string]map[string]types.AttributeValue{}
	for name, a := range written {
		item, err := ActivityItem(a)
		if err != nil {
			t.Fatal(err)
		}
		items[name] = item
	}
	null := &types.AttributeValueMemberNULL{Value: true}
	items["NULL target and changes"] = map[string]types.AttributeValue{"target": null, "changes": null}
	items["empty changes"] = map[string]types.AttributeValue{"changes": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}
	items["empty"] = map[string]types.AttributeValue{}

	for name, item := range items {
		t.Run(name, func(t *testing.T) {
			var want activityRecord
			if err := attributevalue.UnmarshalMap(item, &want); err != nil {
				t.Fatal(err)
			}
			got, err := decodeActivity(item)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decodeActivity (-attributevalue +decodeActivity):\n%s", diff)
			}
		})
	}
}

func TestDecodeActivityRefusesWrongTypes(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for name, item := range map[string]map[string]types.AttributeValue{
		"string as target":      {"target": s("ann@example.com")},
		"bad time":              {"at": s("now")},
		"bad expiry":            {"invitationExpiresAt": s("soon")},
		"map as a target email": {"target": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"email": &types.AttributeValueMemberM{}}}},
		"string as a change":    {"changes": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"email": s("x")}}},
		"bool in permissions": {"changes": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"permissions": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"to": &types.AttributeValueMemberBOOL{}}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			var r activityRecord
			if attributevalue.UnmarshalMap(item, &r) == nil {
				t.Fatal("attributevalue accepts it: this case is not a wrong type")
			}
			if _, err := decodeActivity(item); err == nil {
				t.Error("decodeActivity accepted it")
			}
		})
	}
}
