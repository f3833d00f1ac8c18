package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/team"
	"github.com/businessapp/usermanagement/internal/team/storetest"
)

// firstVersion writes items exactly as the first version of the service
// wrote them (commit 7576f41, internal/dynamo/records.go there): a profile
// with no owner, no counter shards, and users with no id, no status, no
// phoneDisplay and none of the user list's index keys or index items.
// They are spelled out attribute by attribute, not built with today's
// records, because that is what an upgraded table holds.
type firstVersion struct {
	t      testing.TB
	client *dynamodb.Client
	table  string
	biz    team.BusinessID
}

// newFirstVersion returns a business of a new table (no stream: nothing
// here reads it) whose profile the first version wrote, with these tabs.
func newFirstVersion(tb testing.TB, biz team.BusinessID, tabs ...team.TabID) firstVersion {
	tb.Helper()
	client := dynamotest.Client(tb)
	f := firstVersion{t: tb, client: client, table: dynamotest.NewTableWithoutStream(tb, client), biz: biz}
	f.profile(tabs...)
	return f
}

var backfillT0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func (f firstVersion) put(item map[string]types.AttributeValue) {
	f.t.Helper()
	if _, err := f.client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &f.table, Item: item}); err != nil {
		f.t.Fatal(err)
	}
}

func (f firstVersion) profile(tabs ...team.TabID) {
	ss := make([]string, len(tabs))
	for i, tab := range tabs {
		ss[i] = string(tab)
	}
	f.put(map[string]types.AttributeValue{
		"PK": s("BUSINESS#" + f.biz.String()), "SK": s("PROFILE"), "entity": s("business"),
		"id": s(f.biz.String()), "name": s("Acme"), "tabs": &types.AttributeValueMemberSS{Value: ss},
		"createdAt": s(backfillT0.Format(time.RFC3339Nano)),
	})
}

// user writes a first-version user created minutes after backfillT0 at
// version 2 (it was changed once).
func (f firstVersion) user(email, first, last, phone string, minutes int, tabs ...team.TabID) {
	f.put(f.userItem(email, first, last, phone, minutes, tabs...))
}

// userItem is the item user writes.
func (f firstVersion) userItem(email, first, last, phone string, minutes int, tabs ...team.TabID) map[string]types.AttributeValue {
	at := backfillT0.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339Nano)
	item := map[string]types.AttributeValue{
		"PK": s("BUSINESS#" + f.biz.String()), "SK": s("USER#" + email), "entity": s("user"),
		"businessId": s(f.biz.String()), "email": s(email), "invitedBy": s("founder@acme.test"),
		"createdAt": s(at), "updatedAt": s(at), "version": &types.AttributeValueMemberN{Value: "2"},
	}
	for name, v := range map[string]string{"firstName": first, "lastName": last, "phone": phone} {
		if v != "" {
			item[name] = s(v)
		}
	}
	if len(tabs) > 0 {
		ss := make([]string, len(tabs))
		for i, tab := range tabs {
			ss[i] = string(tab)
		}
		item["permissions"] = &types.AttributeValueMemberSS{Value: ss}
	}
	return item
}

// activity writes a first-version activity record: no actor or target id,
// none of the history's keys and no delivery marks (that version had
// none).
func (f firstVersion) activity(id string, typ team.ActivityType, target string, at time.Time) {
	f.put(map[string]types.AttributeValue{
		"PK": s("BUSINESS#" + f.biz.String()), "SK": s("ACTIVITY#" + id), "entity": s("activity"),
		"id": s(id), "businessId": s(f.biz.String()), "type": s(string(typ)), "actor": s("founder@acme.test"),
		"target":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"email": s(target), "firstName": s(""), "lastName": s(""), "phone": s("")}},
		"at":      s(at.Format(time.RFC3339Nano)),
		"changes": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
	})
}

// snapshot returns every item of the table, sorted, for comparing a table
// before and after a run that must not write.
func snapshot(t *testing.T, client *dynamodb.Client, table string) []string {
	t.Helper()
	var out []string
	in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)}
	for {
		page, err := client.Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			out = append(out, fmt.Sprintf("%#v", flatten(item)))
		}
		if in.ExclusiveStartKey = page.LastEvaluatedKey; len(in.ExclusiveStartKey) == 0 {
			break
		}
	}
	slices.Sort(out)
	return out
}

// flatten renders an item's attribute values as text, in name order.
func flatten(item map[string]types.AttributeValue) string {
	var parts []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range item {
			if !yield(k) {
				return
			}
		}
	}) {
		var v string
		switch a := item[name].(type) {
		case *types.AttributeValueMemberS:
			v = "S:" + a.Value
		case *types.AttributeValueMemberN:
			v = "N:" + a.Value
		case *types.AttributeValueMemberSS:
			v = "SS:" + strings.Join(slices.Sorted(slices.Values(a.Value)), ",")
		case *types.AttributeValueMemberBOOL:
			v = fmt.Sprint("BOOL:", a.Value)
		default:
			v = fmt.Sprintf("%T", a)
		}
		parts = append(parts, name+"="+v)
	}
	return strings.Join(parts, " ")
}

// listAll pages a query to its end and returns the emails in the order
// served.
func listAll(t *testing.T, store *dynamo.Store, biz team.BusinessID, q team.UserQuery) []string {
	t.Helper()
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%s: paging did not end", q.Key())
		}
		page, err := store.Users(context.Background(), biz, q, team.PageRequest{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatalf("%s: %v", q.Key(), err)
		}
		for _, u := range page.Users {
			got = append(got, u.Email)
		}
		if cursor = page.NextCursor; cursor == "" {
			return got
		}
	}
}

// everyone returns every user of the business through the plain list (which
// reads the user items themselves, so it finds first-version users too).
func everyone(t *testing.T, store *dynamo.Store, biz team.BusinessID) map[string]team.User {
	t.Helper()
	out := map[string]team.User{}
	page, err := store.Users(context.Background(), biz, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range page.Users {
		out[u.Email] = u
	}
	return out
}

// bruteForce is what a query must return: the matching users of the team,
// in the query's order.
func bruteForce(q team.UserQuery, users map[string]team.User) []string {
	var out []string
	for _, u := range users {
		if q.Matches(u) {
			out = append(out, u.Email)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return q.Compare(users[a], users[b]) })
	return out
}

// fixedClock is a team.Clock that always says now.
type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

// phones formats a phone for people the way the test can predict.
type phones struct{}

func (phones) DisplayPhone(e164 string) string { return "display " + e164 }

var backfillSearches = []string{"", "a", "ann", "ann l", "lee", "kim", "dee", "eve", "nobody"}

// TestBackfillUpgradesFirstVersionItems writes a business as the first
// version did, with one user invited since the upgrade by today's code,
// and shows what an upgraded deployment gets wrong before the backfill
// (search, tab and status filters and the name and newest sorts miss the
// old users, the total counts only the new one, and an old user cannot be
// changed at all), then that after it every listing shape finds exactly
// the team, the counts are exact, the old users can be changed, and that
// a dry run and a second run write nothing.
func TestBackfillUpgradesFirstVersionItems(t *testing.T) {
	old := newFirstVersion(t, "acme", team.TabHome, team.TabCRM, team.TabUsers)
	client, table, biz := old.client, old.table, old.biz
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	old.user("ann@acme.test", "Ann", "Lee", "", 0, team.TabCRM, team.TabUsers)
	old.user("bob@acme.test", "Bob", "", "+14155550100", 1, team.TabHome)
	old.user("cy@acme.test", "Cy", "Kim", "", 2, team.TabCRM)
	old.user("dee@acme.test", "", "", "", 3)
	// An attribute today's records do not know: the backfill must not drop
	// what it does not own.
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: dynamo.UserKey(biz, "dee@acme.test"),
		UpdateExpression: aws.String("SET nickname = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": s("Dee-Dee")}}); err != nil {
		t.Fatal(err)
	}

	// Since the upgrade, Ann (a manager of the first version, who counts as
	// active) invited Eve through today's code: counted and indexed.
	now := time.Now().UTC().Truncate(time.Millisecond)
	eve := team.User{BusinessID: biz, ID: "usr_" + team.ULIDSource{}.NewID(now), Email: "eve@acme.test", FirstName: "Eve",
		Permissions: team.Permissions{team.TabCRM}, InvitedBy: "ann@acme.test", CreatedAt: now, UpdatedAt: now, Version: 1,
		Status: team.StatusInvited, InvitationExpiresAt: now.Add(time.Hour)}
	invite := team.Mutation{BusinessID: biz, Actor: "ann@acme.test", After: &eve, RequireTabs: eve.Permissions,
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(backfillT0.Add(time.Hour)), BusinessID: biz, Type: team.ActivityUserAdded,
			Actor: "ann@acme.test", At: now, Target: team.Person{ID: eve.ID, Email: eve.Email}}}
	if err := store.Apply(ctx, invite); err != nil {
		t.Fatal(err)
	}

	users := everyone(t, store, biz)
	if len(users) != 5 {
		t.Fatalf("the plain list finds %d users, want 5", len(users))
	}
	b, err := store.Business(ctx, biz)
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 1 || b.Invited != 1 {
		t.Errorf("before the backfill: total %d, invited %d; want the wrong 1, 1 this test is about", b.Total, b.Invited)
	}
	queries := storetest.ListingQueries(t, backfillSearches, []team.TabID{"", team.TabCRM, team.TabHome, team.TabUsers})
	for _, q := range []team.UserQuery{{Q: "lee"}, {Q: "cy k"}, {Tab: team.TabCRM}, {Status: team.StatusActive},
		{Sort: team.SortName}, {Sort: team.SortNewest}} {
		if got, want := listAll(t, store, biz, q), bruteForce(q, users); slices.Equal(got, want) {
			t.Errorf("before the backfill %s finds %q: the old users should be missing", q.Key(), got)
		}
	}
	ann := users["ann@acme.test"]
	regrant := ann
	regrant.Permissions, regrant.Version = team.Permissions{team.TabCRM, team.TabUsers, team.TabHome}, ann.Version+1
	change := team.Mutation{BusinessID: biz, Actor: "ann@acme.test", Before: &ann, After: &regrant, SkipActivity: true,
		// An id all the same: the idempotency token is made of it.
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(time.Now())}}
	if err := store.Apply(ctx, change); !errors.Is(err, team.ErrStale) {
		t.Errorf("changing a user without an id before the backfill: %v, want team.ErrStale (every write asks id = :id)", err)
	}

	backfill := dynamo.NewBackfill(client, table, team.ULIDSource{}, fixedClock{now}, phones{})

	// A dry run reports the work and writes nothing.
	before := snapshot(t, client, table)
	dry, err := backfill.BackfillBusiness(ctx, biz, dynamo.BackfillOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, snapshot(t, client, table)); diff != "" {
		t.Errorf("a dry run wrote (-before +after):\n%s", diff)
	}
	if dry.Scanned != 5 || dry.Updated != 4 || dry.Current != 1 || dry.IDsGiven != 4 || dry.Counted != 4 || dry.IndexItems == 0 || !dry.NoOwner {
		t.Errorf("dry run report = %+v; want 5 scanned, 4 to update (ids and counts), 1 current, index items to write, no owner", dry)
	}

	run, err := backfill.BackfillBusiness(ctx, biz, dynamo.BackfillOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if run.Scanned != 5 || run.Updated != 4 || run.Current != 1 || run.Counted != 4 || run.IndexItems != dry.IndexItems ||
		run.Users != 5 || run.Invited != 1 || run.CounterUsers != 5 || run.CounterInvited != 1 || run.CountsFixed || !run.Done() {
		t.Errorf("run report = %+v; want 5 scanned, 4 updated, 1 current, 4 counted, counts 5/1 agreeing without a fix", run)
	}

	b, err = store.Business(ctx, biz)
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 5 || b.Invited != 1 {
		t.Errorf("after the backfill: total %d, invited %d; want 5, 1", b.Total, b.Invited)
	}
	users = everyone(t, store, biz)
	for email, u := range users {
		wantVersion := int64(3) // 2, and the new id
		if email == eve.Email {
			wantVersion = 1
		}
		if !strings.HasPrefix(u.ID, team.UserIDPrefix) || u.Version != wantVersion || u.EffectiveStatus() == "" {
			t.Errorf("%s after the backfill: id %q, version %d; want a user id and version %d", email, u.ID, u.Version, wantVersion)
		}
	}
	dee, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: dynamo.UserKey(biz, "dee@acme.test"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := dee.Item["nickname"].(*types.AttributeValueMemberS); got == nil || got.Value != "Dee-Dee" {
		t.Errorf("Dee's nickname after the backfill = %#v, want it kept", dee.Item["nickname"])
	}
	if got := users["bob@acme.test"].PhoneDisplay; got != "display +14155550100" {
		t.Errorf("Bob's phoneDisplay = %q, want it filled", got)
	}
	for _, q := range queries {
		if diff := cmp.Diff(bruteForce(q, users), listAll(t, store, biz, q)); diff != "" {
			t.Errorf("after the backfill %s (-brute force +store):\n%s", q.Key(), diff)
		}
	}

	// The old users can be changed now.
	ann = users["ann@acme.test"]
	regrant = ann
	regrant.Permissions, regrant.Version = team.Permissions{team.TabCRM, team.TabUsers, team.TabHome}, ann.Version+1
	change = team.Mutation{BusinessID: biz, Actor: "ann@acme.test", Before: &ann, After: &regrant, SkipActivity: true,
		// An id all the same: the idempotency token is made of it.
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(time.Now())}}
	if err := store.Apply(ctx, change); err != nil {
		t.Errorf("changing Ann after the backfill: %v", err)
	}
	if got := listAll(t, store, biz, team.UserQuery{Tab: team.TabHome}); !slices.Equal(got, []string{"ann@acme.test", "bob@acme.test"}) {
		t.Errorf("tab=home after Ann's change = %q", got)
	}

	// A second run finds everything current and writes nothing.
	before = snapshot(t, client, table)
	again, err := backfill.BackfillBusiness(ctx, biz, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() || again.Scanned != 5 || again.Current != 5 || again.CounterUsers != 5 {
		t.Errorf("second run report = %+v; want 5 scanned, all current, nothing changed", again)
	}
	if diff := cmp.Diff(before, snapshot(t, client, table)); diff != "" {
		t.Errorf("a second run wrote (-before +after):\n%s", diff)
	}
}

// hookClient runs hook once, before the first TransactWriteItems it is
// asked to send.
type hookClient struct {
	*dynamodb.Client
	once sync.Once
	hook func()
}

func (c *hookClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.once.Do(c.hook)
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

// TestBackfillConcurrentChangeWins changes a user through the API between
// the backfill's read of them and its write: the change is kept, and the
// backfill indexes the user as changed. Fay has an id but none of the
// index items (a shape an intermediate version left), so the API can
// change her; her change of name must leave her found by the new name
// only, and by her tab.
func TestBackfillConcurrentChangeWins(t *testing.T) {
	old := newFirstVersion(t, "acme", team.TabCRM, team.TabUsers)
	client, table, biz := old.client, old.table, old.biz
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	old.user("ann@acme.test", "Ann", "Lee", "", 0, team.TabCRM, team.TabUsers)
	old.user("fay@acme.test", "Fay", "Moss", "", 1, team.TabCRM)
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: dynamo.UserKey(biz, "fay@acme.test"),
		UpdateExpression: aws.String("SET id = :id"), ExpressionAttributeValues: map[string]types.AttributeValue{":id": s("usr_fay")}}); err != nil {
		t.Fatal(err)
	}

	hooked := &hookClient{Client: client}
	hooked.hook = func() {
		fay, err := store.User(ctx, biz, "fay@acme.test")
		if err != nil {
			t.Error(err)
			return
		}
		renamed := fay
		renamed.FirstName, renamed.Version = "Faith", fay.Version+1
		if err := store.Apply(ctx, team.Mutation{BusinessID: biz, Actor: "ann@acme.test", Before: &fay, After: &renamed, SkipActivity: true,
			// An id all the same: the idempotency token is made of it.
			Activity: team.Activity{ID: team.ULIDSource{}.NewID(time.Now())}}); err != nil {
			t.Errorf("the concurrent change: %v", err)
		}
	}
	backfill := dynamo.NewBackfill(hooked, table, team.ULIDSource{}, fixedClock{time.Now()}, nil)
	// Ann sorts first, so the hook runs before Ann's transaction, and
	// Fay's read (in the same page) is then out of date.
	run, err := backfill.BackfillBusiness(ctx, biz, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Updated != 2 || run.Skipped != 0 || !run.Done() {
		t.Errorf("report = %+v; want both users updated, none skipped", run)
	}
	fay, err := store.User(ctx, biz, "fay@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if fay.FirstName != "Faith" || fay.Version != 3 || fay.ID != "usr_fay" {
		t.Errorf("Fay after the backfill = %q version %d id %q; want the concurrent change kept: Faith, 3, usr_fay", fay.FirstName, fay.Version, fay.ID)
	}
	for q, want := range map[team.UserQuery][]string{
		{Q: "faith"}:       {"fay@acme.test"},
		{Q: "fay"}:         {"fay@acme.test"}, // her email
		{Q: "faith m"}:     {"fay@acme.test"},
		{Q: "fay m"}:       nil,
		{Tab: team.TabCRM}: {"ann@acme.test", "fay@acme.test"},
	} {
		if got := listAll(t, store, biz, q); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", q.Key(), got, want)
		}
	}
	// Fay had an id, so she is no user the first version wrote: the
	// backfill counts her by the recount (nothing else was going on).
	b, err := store.Business(ctx, biz)
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 2 || !run.CountsFixed {
		t.Errorf("total %d (counts fixed: %t), want 2 after the recount", b.Total, run.CountsFixed)
	}
}

// TestBackfillRunsTwiceAtOnce starts a second backfill between the first
// one's read of the team and its first write: every user is counted once.
func TestBackfillRunsTwiceAtOnce(t *testing.T) {
	old := newFirstVersion(t, "acme", team.TabCRM, team.TabUsers)
	client, table, biz := old.client, old.table, old.biz
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	for i := range 5 {
		old.user(fmt.Sprintf("u%d@acme.test", i), "User", fmt.Sprint(i), "", i, team.TabCRM)
	}
	other := dynamo.NewBackfill(client, table, team.ULIDSource{}, fixedClock{time.Now()}, nil)
	hooked := &hookClient{Client: client, hook: func() {
		if _, err := other.BackfillBusiness(ctx, biz, dynamo.BackfillOptions{Workers: 4}); err != nil {
			t.Errorf("the other run: %v", err)
		}
	}}
	run, err := dynamo.NewBackfill(hooked, table, team.ULIDSource{}, fixedClock{time.Now()}, nil).BackfillBusiness(ctx, biz, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The run that lost re-reads each user and finds an id: it counts
	// nobody (it may put the same index items again, which changes
	// nothing).
	if run.Counted != 0 || run.IDsGiven != 0 || run.Updated+run.Current != 5 || !run.Done() {
		t.Errorf("report of the run that lost = %+v; want nobody counted or given an id", run)
	}
	b, err := store.Business(ctx, biz)
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 5 {
		t.Errorf("total %d, want 5: each user counted once", b.Total)
	}
}

// TestBackfillRecountWaitsForQuiet shows the recount's guard: counter
// shards that disagree with the users (here: users with ids that no shard
// counted) are corrected only when no activity was recorded since shortly
// before the recount; otherwise the run reports the business busy and
// writes nothing to the counters.
func TestBackfillRecountWaitsForQuiet(t *testing.T) {
	old := newFirstVersion(t, "acme", team.TabCRM, team.TabUsers)
	client, table, biz := old.client, old.table, old.biz
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	old.user("ann@acme.test", "Ann", "Lee", "", 0, team.TabCRM, team.TabUsers)
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: dynamo.UserKey(biz, "ann@acme.test"),
		UpdateExpression: aws.String("SET id = :id"), ExpressionAttributeValues: map[string]types.AttributeValue{":id": s("usr_ann")}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	// An activity recorded a moment ago: something may be changing.
	act, err := dynamo.ActivityItem(team.Activity{ID: team.ULIDSource{}.NewID(now.Add(-10 * time.Second)), BusinessID: biz,
		Type: team.ActivityPermissionsChanged, Actor: "ann@acme.test", At: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: act}); err != nil {
		t.Fatal(err)
	}
	busy, err := dynamo.NewBackfill(client, table, team.ULIDSource{}, fixedClock{now}, nil).BackfillBusiness(ctx, biz, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !busy.CountsBusy || busy.CountsFixed || busy.Done() {
		t.Errorf("report with recent activity = %+v; want the counts left, busy, not done", busy)
	}
	if b, _ := store.Business(ctx, biz); b.Total != 0 {
		t.Errorf("total %d after a busy recount, want 0 (untouched)", b.Total)
	}
	quiet, err := dynamo.NewBackfill(client, table, team.ULIDSource{}, fixedClock{now.Add(2 * time.Minute)}, nil).BackfillBusiness(ctx, biz, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !quiet.CountsFixed || !quiet.Done() || quiet.CounterUsers != 1 {
		t.Errorf("report two minutes later = %+v; want the counts fixed to 1", quiet)
	}
	if b, _ := store.Business(ctx, biz); b.Total != 1 {
		t.Errorf("total %d after the recount, want 1", b.Total)
	}
}

// BenchmarkBackfill upgrades b.N first-version users of one business (two
// tabs and both names each) and reports the time per user, with one
// transaction in flight at a time and with several.
//
//	go run ./cmd/withdynamodb go test -run '^$' -bench BenchmarkBackfill -benchtime 1000x ./internal/dynamo
func BenchmarkBackfill(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchmarkBackfill(b, workers) })
	}
}

func benchmarkBackfill(b *testing.B, workers int) {
	old := newFirstVersion(b, "acme", team.TabHome, team.TabCRM, team.TabUsers)
	client, table, biz := old.client, old.table, old.biz
	ctx := context.Background()
	var batch []types.WriteRequest
	flush := func() {
		for len(batch) > 0 {
			out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: batch}})
			if err != nil {
				b.Fatal(err)
			}
			batch = out.UnprocessedItems[table]
		}
	}
	for i := range b.N {
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{
			Item: old.userItem(fmt.Sprintf("user%07d@acme.test", i), "First", fmt.Sprint("Last", i), "", i%1000, team.TabCRM, team.TabHome)}})
		if len(batch) == 25 {
			flush()
		}
	}
	flush()
	backfill := dynamo.NewBackfill(client, table, team.ULIDSource{}, fixedClock{time.Now()}, nil)
	b.ResetTimer()
	r, err := backfill.BackfillBusiness(ctx, biz, dynamo.BackfillOptions{Workers: workers})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if r.Updated != b.N || r.CounterUsers != int64(b.N) {
		b.Fatalf("report = %+v, want %d users updated and counted", r, b.N)
	}
}

// actionRecorder records the IAM actions a client's requests need: one per
// request, and one per kind of item in a transaction.
type actionRecorder struct {
	*dynamodb.Client
	mu      sync.Mutex
	actions map[string]bool
}

func (c *actionRecorder) note(actions ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range actions {
		c.actions["dynamodb:"+a] = true
	}
}

func (c *actionRecorder) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.note("GetItem")
	return c.Client.GetItem(ctx, in, opts...)
}

func (c *actionRecorder) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.note("Query")
	if in.IndexName != nil {
		c.note("Query on an index")
	}
	return c.Client.Query(ctx, in, opts...)
}

func (c *actionRecorder) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.note("Scan")
	return c.Client.Scan(ctx, in, opts...)
}

func (c *actionRecorder) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	// IAM authorises a transaction by the actions of its items; it has no
	// action of its own (as dynamotest.Actions records it too).
	for _, item := range in.TransactItems {
		switch {
		case item.Put != nil:
			c.note("PutItem")
		case item.Update != nil:
			c.note("UpdateItem")
		case item.Delete != nil:
			c.note("DeleteItem")
		case item.ConditionCheck != nil:
			c.note("ConditionCheckItem")
		}
	}
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

// TestBackfillIAMActions runs the backfill over every kind of work it does
// (a first-version user; a user in today's shape but for a stale index
// item; counters that need the recount; every business) and requires the
// IAM actions its requests needed to be exactly dynamo.BackfillIAMActions,
// which the README gives the operator's role.
func TestBackfillIAMActions(t *testing.T) {
	old := newFirstVersion(t, "acme", team.TabCRM, team.TabUsers)
	client, table, biz := old.client, old.table, old.biz
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	old.user("ann@acme.test", "Ann", "Lee", "", 0, team.TabCRM, team.TabUsers)
	// Bo is in today's shape (written by today's code, so counted), but
	// an index item of a name he no longer has is left over.
	bo := team.User{BusinessID: biz, ID: "usr_bo", Email: "bo@acme.test", FirstName: "Bo", Permissions: team.Permissions{team.TabCRM},
		CreatedAt: backfillT0, UpdatedAt: backfillT0, Version: 1, Status: team.StatusActive}
	if err := store.Apply(ctx, team.Mutation{BusinessID: biz, Actor: "ann@acme.test", After: &bo, SkipActivity: true,
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(time.Now())}}); err != nil {
		t.Fatal(err)
	}
	stale, err := dynamo.UserIndexItems(team.User{BusinessID: biz, Email: bo.Email, FirstName: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	old.put(stale[0])
	// Cy has an id but no shard counted her: the recount must.
	old.user("cy@acme.test", "Cy", "", "", 2, team.TabCRM)
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: dynamo.UserKey(biz, "cy@acme.test"),
		UpdateExpression: aws.String("SET id = :id"), ExpressionAttributeValues: map[string]types.AttributeValue{":id": s("usr_cy")}}); err != nil {
		t.Fatal(err)
	}

	rec := &actionRecorder{Client: client, actions: map[string]bool{}}
	reports, err := dynamo.NewBackfill(rec, table, team.ULIDSource{}, fixedClock{time.Now()}, nil).BackfillAll(ctx, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || reports[0].Updated != 3 || !reports[0].CountsFixed || reports[0].CounterUsers != 3 {
		t.Fatalf("reports = %+v; want acme with 3 users updated and its counters fixed to 3", reports)
	}
	if got := listAll(t, store, biz, team.UserQuery{Q: "bob"}); len(got) != 0 {
		t.Errorf("q=bob after the backfill = %q: the stale index item should be gone", got)
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for a := range rec.actions {
			if !yield(a) {
				return
			}
		}
	})
	if diff := cmp.Diff(dynamo.BackfillIAMActions, got); diff != "" {
		t.Errorf("IAM actions (-documented +called):\n%s", diff)
	}
}
