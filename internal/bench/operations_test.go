package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/team"
)

// prepare sets up n iterations of one side of an operation (before the
// timer) and returns the step to time. Steps of different prepare calls
// never touch each other's users, so rounds and sides are independent.
type prepare func(tb testing.TB, f *fixture, n int) (step func(i int) error)

// An operation is measured twice: through the full path, and as its floor,
// the DynamoDB requests the full path sends, with equivalent items, sent
// bare with the SDK (concurrently where the service sends them
// concurrently). TestFloorSendsWhatTheFullPathSends keeps the two in step.
type operation struct {
	name  string
	full  prepare
	floor prepare
}

// The page size of every list the benchmarks read: the API's default.
const pageSize = team.DefaultPageSize

// operations are the operations of SPEC §4, in a business with enough
// users and activity for a full page of each.
func operations(businessID string) []operation {
	owner := ownerOf(businessID)
	base := "/v1/businesses/" + businessID
	get := func(path string) prepare {
		return func(tb testing.TB, f *fixture, n int) func(int) error {
			return func(int) error { return f.serve(owner, "GET", path, "", 200) }
		}
	}
	return []operation{
		{name: "GetBusiness", full: get(base), floor: floorReadPair(businessID, func(f *fixture) any {
			return businessQuery(f.table, businessID)
		})},
		{name: "ListTabs", full: get(base + "/tabs"), floor: floorReadPair(businessID, func(f *fixture) any {
			return businessQuery(f.table, businessID)
		})},
		{name: "ListUsers", full: get(base + "/users?limit=" + strconv.Itoa(pageSize)), floor: floorReadPair(businessID, func(f *fixture) any {
			pk, prefix := dynamo.UsersRange(team.BusinessID(businessID))
			return pageQuery(f.table, pk, prefix, true)
		}, func(f *fixture) any { return businessQuery(f.table, businessID) })},
		{name: "GetUser", full: get(base + "/users/" + seededEmail(businessID, 1)), floor: floorReadPair(businessID, func(f *fixture) any {
			return getInput(f.table, dynamo.UserKey(team.BusinessID(businessID), seededEmail(businessID, 1)))
		})},
		{name: "InviteUser", full: fullInvite(businessID), floor: floorInvite(businessID)},
		{name: "SetPermissions", full: fullSetPermissions(businessID), floor: floorSetPermissions(businessID)},
		{name: "UpdateContact", full: fullUpdateContact(businessID), floor: floorUpdateContact(businessID)},
		{name: "RemoveUser", full: fullRemove(businessID), floor: floorRemove(businessID)},
		{name: "ListActivity", full: get(base + "/activity?limit=" + strconv.Itoa(pageSize)), floor: floorReadPair(businessID, func(f *fixture) any {
			pk, prefix := dynamo.ActivityRange(team.BusinessID(businessID))
			return pageQuery(f.table, pk, prefix, false)
		})},
		{name: "ListUserActivity", full: get(base + "/activity?userId=" + historyUserID + "&limit=" + strconv.Itoa(pageSize)), floor: floorReadPair(businessID, func(f *fixture) any {
			return historyQuery(f.table, team.BusinessID(businessID), historyUserID)
		})},
	}
}

// --- The full path: HTTP requests to the API's mux. ---

// inviteBody is an invite as the web page sends it: names, a phone to
// normalise, and two tabs, which the transaction checks on the profile.
const inviteBody = `{"email":%q,"firstName":"Ann","lastName":"Lee","phone":"+1 (415) 555-0100","permissions":["conversations","crm"]}`

func fullInvite(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		bodies := make([]string, n)
		for i, email := range f.newEmails(businessID, "invite", n) {
			bodies[i] = fmt.Sprintf(inviteBody, email)
		}
		return func(i int) error {
			return f.serve(ownerOf(businessID), "POST", "/v1/businesses/"+businessID+"/users", bodies[i], 201)
		}
	}
}

// permissionsAt alternates between granting and revoking home, so every
// iteration changes something and every other one grants a tab (which the
// transaction checks against the profile).
func permissionsAt(i int) team.Permissions {
	if i%2 == 0 {
		return team.Permissions{team.TabHome, team.TabCRM}
	}
	return team.Permissions{team.TabCRM}
}

func fullSetPermissions(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		email := f.newEmails(businessID, "perms", 1)[0]
		f.seedUsers(tb, businessID, 1, func(int) string { return email })
		path := "/v1/businesses/" + businessID + "/users/" + email + "/permissions"
		var bodies [2]string
		for i := range bodies {
			list, _ := json.Marshal(permissionsAt(i).Strings())
			bodies[i] = `{"permissions":` + string(list) + `}`
		}
		return func(i int) error {
			return f.serve(ownerOf(businessID), "PUT", path, bodies[i%2], 200)
		}
	}
}

// firstNameAt alternates the first name, so every iteration changes it.
func firstNameAt(i int) string {
	if i%2 == 0 {
		return "Anna"
	}
	return "Ann"
}

func fullUpdateContact(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		email := f.newEmails(businessID, "contact", 1)[0]
		f.seedUsers(tb, businessID, 1, func(int) string { return email })
		path := "/v1/businesses/" + businessID + "/users/" + email
		return func(i int) error {
			return f.serve(ownerOf(businessID), "PATCH", path, `{"firstName":"`+firstNameAt(i)+`"}`, 200)
		}
	}
}

func fullRemove(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		emails := f.newEmails(businessID, "remove", n)
		f.seedUsers(tb, businessID, n, func(i int) string { return emails[i] })
		return func(i int) error {
			return f.serve(ownerOf(businessID), "DELETE", "/v1/businesses/"+businessID+"/users/"+emails[i], "", 204)
		}
	}
}

// newEmails returns n emails no other call returns.
func (f *fixture) newEmails(businessID, kind string, n int) []string {
	round := f.next()
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d-%d@%s.test", kind, round, i, businessID)
	}
	return out
}

// --- The floor: the same DynamoDB requests, sent bare. ---

// Everything a floor step sends is built before the timer starts; a step
// only fills in the version it read, sends the requests and checks that
// they succeeded. Expressions are written out as the store's expression
// builder produces them (TestFloorSendsWhatTheFullPathSends compares them).

func getInput(table string, key map[string]types.AttributeValue) *dynamodb.GetItemInput {
	return &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)}
}

func pageQuery(table, pk, prefix string, ascending bool) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("(#0 = :0) AND (begins_with (#1, :1))"),
		ExpressionAttributeNames:  map[string]string{"#0": dynamo.AttrPK, "#1": dynamo.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":0": str(pk), ":1": str(prefix)},
		ScanIndexForward:          aws.Bool(ascending),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(pageSize + 1), // one more than the page: is there a next one?
	}
}

// historyQuery is the first page of one user's history: a Query on the
// user's partition of the ByUser index, which cannot be read consistently.
func historyQuery(table string, businessID team.BusinessID, userID string) *dynamodb.QueryInput {
	index, pkAttr, pk, prefix := dynamo.UserHistoryRange(businessID, userID)
	return &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("(#0 = :0) AND (begins_with (#1, :1))"),
		ExpressionAttributeNames:  map[string]string{"#0": pkAttr, "#1": dynamo.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":0": str(pk), ":1": str(prefix)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(pageSize + 1),
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// floorReadPair is the floor of a read: the caller's GetItem and the reads
// of the data (each a *GetItemInput or *QueryInput), sent concurrently (a
// list of users also reads the business, for its total).
func floorReadPair(businessID string, data ...func(f *fixture) any) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		me := getInput(f.table, dynamo.UserKey(team.BusinessID(businessID), ownerOf(businessID)))
		others := make([]any, len(data))
		for i, d := range data {
			others[i] = d(f)
		}
		ctx := context.Background()
		return func(int) error {
			var wg sync.WaitGroup
			errs := make([]error, len(others)+1)
			wg.Go(func() { errs[0] = found(f.client.GetItem(ctx, me)) })
			for k, other := range others[1:] {
				wg.Go(func() { errs[k+2] = read(ctx, f, other) })
			}
			errs[1] = read(ctx, f, others[0])
			wg.Wait()
			return errors.Join(errs...)
		}
	}
}

// read sends one read of a floor and requires it to find something.
func read(ctx context.Context, f *fixture, in any) error {
	switch in := in.(type) {
	case *dynamodb.GetItemInput:
		return found(f.client.GetItem(ctx, in))
	case *dynamodb.QueryInput:
		out, err := f.client.Query(ctx, in)
		if err == nil && len(out.Items) == 0 {
			err = errors.New("query found nothing")
		}
		return err
	}
	return fmt.Errorf("not a read: %T", in)
}

func found(out *dynamodb.GetItemOutput, err error) error {
	if err == nil && out.Item == nil {
		return errors.New("item not found")
	}
	return err
}

// actorCheck is the check that the caller still manages users and is
// active (or predates the lifecycle, as the seeded owners do).
func actorCheck(table, businessID string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(table), Key: dynamo.UserKey(team.BusinessID(businessID), ownerOf(businessID)),
		ConditionExpression:       aws.String("(contains (#0, :0)) AND ((attribute_not_exists (#1)) OR (#1 = :1))"),
		ExpressionAttributeNames:  map[string]string{"#0": "permissions", "#1": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":0": str(string(team.TabUsers)), ":1": str(string(team.StatusActive))},
	}}
}

// tabsCheck is the check that the tabs granted are enabled.
func tabsCheck(table, businessID string, tabs team.Permissions) types.TransactWriteItem {
	var conds []string
	values := map[string]types.AttributeValue{}
	for i, t := range tabs {
		conds = append(conds, fmt.Sprintf("contains (#0, :%d)", i))
		values[fmt.Sprintf(":%d", i)] = str(string(t))
	}
	cond := conds[0]
	if len(conds) > 1 {
		cond = "(" + strings.Join(conds, ") AND (") + ")"
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(table), Key: dynamo.ProfileKey(team.BusinessID(businessID)),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#0": "tabs"}, ExpressionAttributeValues: values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

func putNew(table string, item map[string]types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(table), Item: item, ConditionExpression: aws.String("attribute_not_exists(" + dynamo.AttrPK + ")"),
	}}
}

// versioned is the condition that the item is still the user read (its
// id) at the version read.
func versioned(item map[string]types.AttributeValue) (*string, map[string]string, map[string]types.AttributeValue) {
	return aws.String("(#0 = :0) AND (#1 = :1)"), map[string]string{"#0": "version", "#1": "id"},
		map[string]types.AttributeValue{":0": item["version"], ":1": item["id"]}
}

// versionedNotOwner is versioned, and that the user is not the owner: a
// removal or an email change never deletes the owner's item (I9).
func versionedNotOwner(item map[string]types.AttributeValue) (*string, map[string]string, map[string]types.AttributeValue) {
	return aws.String("((#0 = :0) AND (#1 = :1)) AND (attribute_not_exists (#2))"), map[string]string{"#0": "version", "#1": "id", "#2": "owner"},
		map[string]types.AttributeValue{":0": item["version"], ":1": item["id"]}
}

// businessQuery is the Query that reads a business: its profile and its
// user-count shards.
func businessQuery(table, businessID string) *dynamodb.QueryInput {
	in, err := dynamo.BusinessQuery(table, team.BusinessID(businessID))
	if err != nil {
		panic(err) // a fixed expression: it cannot fail to build
	}
	return in
}

// readCallerAnd reads the caller and the target concurrently, as every
// write of the service does before it commits, and returns the target.
func readCallerAnd(ctx context.Context, f *fixture, businessID string, target *dynamodb.GetItemInput) (map[string]types.AttributeValue, error) {
	me := getInput(f.table, dynamo.UserKey(team.BusinessID(businessID), ownerOf(businessID)))
	var (
		wg    sync.WaitGroup
		meErr error
	)
	wg.Go(func() { meErr = found(f.client.GetItem(ctx, me)) })
	out, err := f.client.GetItem(ctx, target)
	err = found(out, err)
	wg.Wait()
	if err := errors.Join(meErr, err); err != nil {
		return nil, err
	}
	return out.Item, nil
}

// activity builds the activity item of a change, as the service would. An
// activity that sends a welcome email (an invite) carries the invitation's
// expiry, which the email states: the user's, as u gives it (zero for the
// others).
func (f *fixture) activity(tb testing.TB, kind team.ActivityType, u team.User, changes team.Changes) (id string, item map[string]types.AttributeValue) {
	tb.Helper()
	id = f.ids.NewID(f.now)
	a := team.Activity{ID: id, BusinessID: u.BusinessID, Type: kind, Actor: ownerOf(u.BusinessID.String()),
		ActorID: "usr_owner_" + u.BusinessID.String(),
		Target:  team.Person{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone}, At: f.now, Changes: changes}
	if kind == team.ActivityUserAdded {
		a.InvitationExpiresAt = u.InvitationExpiresAt // for the welcome email
	}
	item, err := dynamo.ActivityItem(a)
	if err != nil {
		tb.Fatal(err)
	}
	return id, item
}

// indexWrites are the writes of the user list's index items that a change
// of the user from before to after sends, as the store builds them.
func indexWrites(tb testing.TB, table string, before, after *team.User) []types.TransactWriteItem {
	tb.Helper()
	writes, err := dynamo.UserIndexWrites(table, before, after)
	if err != nil {
		tb.Fatal(err)
	}
	return writes
}

func userItem(tb testing.TB, u team.User) map[string]types.AttributeValue {
	tb.Helper()
	item, err := dynamo.UserItem(u)
	if err != nil {
		tb.Fatal(err)
	}
	return item
}

// transactInput is one prebuilt TransactWriteItems with its idempotency
// token, as the store sends it on a first attempt.
func transactInput(activityID string, items ...types.TransactWriteItem) *dynamodb.TransactWriteItemsInput {
	return &dynamodb.TransactWriteItemsInput{TransactItems: items, ClientRequestToken: aws.String(activityID + "-1")}
}

func floorInvite(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		granted := team.Permissions{team.TabConversations, team.TabCRM}
		inputs := make([]*dynamodb.TransactWriteItemsInput, n)
		for i, email := range f.newEmails(businessID, "invite", n) {
			u := f.user(businessID, email)
			u.Permissions = granted
			u.Status, u.InvitationSentAt, u.InvitationExpiresAt = team.StatusInvited, f.now, f.now.Add(team.DefaultInvitationTTL)
			id, act := f.activity(tb, team.ActivityUserAdded, u, team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: granted}})
			items := []types.TransactWriteItem{actorCheck(f.table, businessID), tabsCheck(f.table, businessID, granted), putNew(f.table, userItem(tb, u))}
			items = append(items, indexWrites(tb, f.table, nil, &u)...)
			items = append(items, dynamo.UserCountUpdate(f.table, team.BusinessID(businessID), i%dynamo.UserCountShards, 1, 1), putNew(f.table, act))
			inputs[i] = transactInput(id, items...)
		}
		me := getInput(f.table, dynamo.UserKey(team.BusinessID(businessID), ownerOf(businessID)))
		budgetQuery, err := dynamo.EmailBudgetQuery(f.table, team.BusinessID(businessID))
		if err != nil {
			tb.Fatal(err)
		}
		ctx := context.Background()
		return func(i int) error {
			if err := found(f.client.GetItem(ctx, me)); err != nil {
				return err
			}
			// The email budget (I10): read the shards, then use a free
			// slot in the transaction, before the activity record.
			shards, err := f.client.Query(ctx, budgetQuery)
			if err != nil {
				return err
			}
			slot := lambdaenv.MaxInviteRate - int(f.floorSlots.Add(1))
			shardSK := dynamo.EmailBudgetShardSK(lambdaenv.MaxInviteRate, slot)
			exists := slices.ContainsFunc(shards.Items, func(item map[string]types.AttributeValue) bool {
				sk, _ := item[dynamo.AttrSK].(*types.AttributeValueMemberS)
				return sk != nil && sk.Value == shardSK
			})
			use, err := dynamo.EmailBudgetSlot(f.table, team.BusinessID(businessID), lambdaenv.MaxInviteRate, slot, exists, time.Now())
			if err != nil {
				return err
			}
			in := *inputs[i]
			last := len(in.TransactItems) - 1
			in.TransactItems = append(slices.Clone(in.TransactItems[:last]), use, in.TransactItems[last])
			_, err = f.client.TransactWriteItems(ctx, &in)
			return err
		}
	}
}

// floorUpdate is the floor of an edit: read the caller and the user, then
// one transaction conditioned on the revision read. change(i, item) returns
// the transaction of iteration i given the user's item as read.
func floorUpdate(f *fixture, businessID, email string, change func(i int, item map[string]types.AttributeValue) *dynamodb.TransactWriteItemsInput) func(int) error {
	get := getInput(f.table, dynamo.UserKey(team.BusinessID(businessID), email))
	ctx := context.Background()
	return func(i int) error {
		item, err := readCallerAnd(ctx, f, businessID, get)
		if err != nil {
			return err
		}
		_, err = f.client.TransactWriteItems(ctx, change(i, item))
		return err
	}
}

func floorSetPermissions(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		email := f.newEmails(businessID, "perms", 1)[0]
		f.seedUsers(tb, businessID, 1, func(int) string { return email })
		inputs := make([]*dynamodb.TransactWriteItemsInput, n)
		puts := make([]*types.Put, n)
		for i := range inputs {
			before := f.user(businessID, email)
			before.Version = int64(i + 1)
			if i > 0 {
				before.Permissions = permissionsAt(i - 1)
			}
			after := before
			after.Permissions, after.Version = permissionsAt(i), before.Version+1
			id, act := f.activity(tb, team.ActivityPermissionsChanged, after,
				team.Changes{Permissions: &team.PermissionsChange{From: before.Permissions, To: after.Permissions}})
			items := []types.TransactWriteItem{actorCheck(f.table, businessID)}
			if granted := after.Permissions.Missing(before.Permissions); len(granted) > 0 {
				items = append(items, tabsCheck(f.table, businessID, granted))
			}
			puts[i] = &types.Put{TableName: aws.String(f.table), Item: userItem(tb, after),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
			items = append(items, types.TransactWriteItem{Put: puts[i]})
			items = append(items, indexWrites(tb, f.table, &before, &after)...)
			items = append(items, putNew(f.table, act))
			inputs[i] = transactInput(id, items...)
		}
		return floorUpdate(f, businessID, email, func(i int, item map[string]types.AttributeValue) *dynamodb.TransactWriteItemsInput {
			puts[i].ConditionExpression, puts[i].ExpressionAttributeNames, puts[i].ExpressionAttributeValues = versioned(item)
			return inputs[i]
		})
	}
}

func floorUpdateContact(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		email := f.newEmails(businessID, "contact", 1)[0]
		f.seedUsers(tb, businessID, 1, func(int) string { return email })
		inputs := make([]*dynamodb.TransactWriteItemsInput, n)
		puts := make([]*types.Put, n)
		for i := range inputs {
			before := f.user(businessID, email)
			before.Version = int64(i + 1)
			if i > 0 {
				before.FirstName = firstNameAt(i - 1)
			}
			after := before
			after.FirstName, after.Version = firstNameAt(i), before.Version+1
			id, act := f.activity(tb, team.ActivityContactChanged, after,
				team.Changes{FirstName: &team.FieldChange{From: before.FirstName, To: after.FirstName}})
			puts[i] = &types.Put{TableName: aws.String(f.table), Item: userItem(tb, after),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
			items := []types.TransactWriteItem{actorCheck(f.table, businessID), {Put: puts[i]}}
			items = append(items, indexWrites(tb, f.table, &before, &after)...)
			inputs[i] = transactInput(id, append(items, putNew(f.table, act))...)
		}
		return floorUpdate(f, businessID, email, func(i int, item map[string]types.AttributeValue) *dynamodb.TransactWriteItemsInput {
			puts[i].ConditionExpression, puts[i].ExpressionAttributeNames, puts[i].ExpressionAttributeValues = versioned(item)
			return inputs[i]
		})
	}
}

func floorRemove(businessID string) prepare {
	return func(tb testing.TB, f *fixture, n int) func(int) error {
		emails := f.newEmails(businessID, "remove", n)
		f.seedUsers(tb, businessID, n, func(i int) string { return emails[i] })
		gets := make([]*dynamodb.GetItemInput, n)
		deletes := make([]*types.Delete, n)
		inputs := make([]*dynamodb.TransactWriteItemsInput, n)
		for i, email := range emails {
			gets[i] = getInput(f.table, dynamo.UserKey(team.BusinessID(businessID), email))
			id, act := f.activity(tb, team.ActivityUserRemoved, f.user(businessID, email), team.Changes{})
			deletes[i] = &types.Delete{TableName: aws.String(f.table), Key: dynamo.UserKey(team.BusinessID(businessID), email),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
			u := f.user(businessID, email)
			items := []types.TransactWriteItem{actorCheck(f.table, businessID), {Delete: deletes[i]}}
			items = append(items, indexWrites(tb, f.table, &u, nil)...)
			items = append(items, dynamo.UserCountUpdate(f.table, team.BusinessID(businessID), i%dynamo.UserCountShards, -1, 0), putNew(f.table, act))
			inputs[i] = transactInput(id, items...)
		}
		ctx := context.Background()
		return func(i int) error {
			item, err := readCallerAnd(ctx, f, businessID, gets[i])
			if err != nil {
				return err
			}
			deletes[i].ConditionExpression, deletes[i].ExpressionAttributeNames, deletes[i].ExpressionAttributeValues = versionedNotOwner(item)
			_, err = f.client.TransactWriteItems(ctx, inputs[i])
			return err
		}
	}
}
