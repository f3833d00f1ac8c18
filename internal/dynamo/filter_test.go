package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestTypeAndUserFilterBoundsItsWork: type and userId together read the
// user's history with a filter on the type. When a page would have to read
// more than the store's bound to find its records, it ends early, with a
// cursor after what it read, and the next page carries on from there: the
// list still holds every matching record exactly once, newest first.
func TestTypeAndUserFilterBoundsItsWork(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.NewTableWithoutStream(t, client)
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	const userID = "usr_01JD000000000000000000BUSY"
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	// 2,500 permission changes of one user, with a contact change as the
	// oldest record and another after the 1,200th: the pages must cross
	// the bound (1,000 items read) twice to find both.
	var items []map[string]types.AttributeValue
	var want []string // newest first
	for i := range 2500 {
		typ := team.ActivityPermissionsChanged
		if i == 0 || i == 1300 {
			typ = team.ActivityContactChanged
		}
		a := team.Activity{ID: team.ULIDSource{}.NewID(t0.Add(time.Duration(i) * time.Millisecond)), BusinessID: "acme", Type: typ,
			Actor: "owner@acme.test", Target: team.Person{ID: userID, Email: "busy@acme.test"}, At: t0}
		item, err := dynamo.ActivityItem(a)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, item)
		if typ == team.ActivityContactChanged {
			want = append([]string{a.ID}, want...)
		}
	}
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, item := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				t.Fatal(err)
			}
			pending = out.UnprocessedItems
		}
	}

	filter := team.ActivityFilter{Type: team.ActivityContactChanged, UserID: userID}
	var got []string
	var sizes []int
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatalf("no end after %d pages (sizes %v)", pages, sizes)
		}
		page, err := store.Activity(ctx, "acme", filter, team.PageRequest{Limit: 10, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Activity))
		for _, a := range page.Activity {
			got = append(got, a.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ids over all pages = %v, want %v", got, want)
	}
	// 2,500 items at most 1,000 a page: three pages, the first two short.
	if len(sizes) != 3 {
		t.Errorf("page sizes %v, want three pages (the bound is 1,000 items read a page)", sizes)
	}
}
