package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// cutOffClient fails every TransactWriteItems after the first limit, as a
// Lambda that times out halfway through a removal stops writing.
type cutOffClient struct {
	*dynamodb.Client
	limit, calls atomic.Int64
}

var errCutOff = errors.New("the function timed out")

func (c *cutOffClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if c.calls.Add(1) > c.limit.Load() {
		return nil, errCutOff
	}
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

// TestPurgeResumesAndShowsProgress deletes a business of 250 users whose
// removal is cut off after two transactions: the business is gone for
// every request at once, the tombstone shows how far the removal got, the
// delivered-again event finishes it, and nothing of the business is left
// but the tombstone.
func TestPurgeResumesAndShowsProgress(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.NewTableWithoutStream(t, client)
	ctx := context.Background()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	store := dynamo.NewStore(client, table)
	svc := provision.NewService(store, team.SystemClock{}, team.ULIDSource{}, 0, log)
	const biz = "big"
	if _, err := svc.Upsert(ctx, provision.Upsert{BusinessID: biz, Name: "Big", EnabledTabs: []string{"users"},
		Owner: provision.Owner{Email: "owner@big.test"}, Revision: 1}); err != nil {
		t.Fatal(err)
	}
	const users = 250
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			email := fmt.Sprintf("u%03d@big.test", i)
			_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: "BUSINESS#" + biz}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: "USER#" + email},
				"entity": &types.AttributeValueMemberS{Value: dynamo.EntityUser}, "id": &types.AttributeValueMemberS{Value: "usr_" + email},
				"email": &types.AttributeValueMemberS{Value: email}, "version": &types.AttributeValueMemberN{Value: "1"},
			}})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	cut := &cutOffClient{Client: client}
	cut.limit.Store(3) // the tombstone, then two removal transactions
	cutSvc := provision.NewService(dynamo.NewStore(cut, table), team.SystemClock{}, team.ULIDSource{}, 0, log)
	if _, err := cutSvc.Delete(ctx, provision.Delete{BusinessID: biz, Revision: 2}); !errors.Is(err, errCutOff) {
		t.Fatalf("cut-off delete = %v, want the cut-off", err)
	}
	if _, err := store.Business(ctx, biz); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("business during the removal: %v, want not found", err)
	}
	st, err := store.State(ctx, biz)
	if err != nil || !st.Deleted || st.Purged || st.PurgedItems != 198 {
		t.Errorf("state after the cut-off = %+v, %v; want deleted, 198 items removed, not purged", st, err)
	}
	page, err := store.Users(ctx, biz, team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize})
	if err != nil || len(page.Users) != users+1-198 || page.Users[0].Email != "u197@big.test" {
		t.Errorf("users left after the cut-off start with %v (%v); want users first, in email order", page.Users[:min(1, len(page.Users))], err)
	}

	// EventBridge delivers the event again.
	out, err := svc.Delete(ctx, provision.Delete{BusinessID: biz, Revision: 2})
	if err != nil || out != provision.Resumed {
		t.Fatalf("delivered again: %s, %v; want resumed", out, err)
	}
	st, err = store.State(ctx, biz)
	// 251 users, the user.added record, one counter shard, and the owner's
	// index item of the user list (the owner's one tab; the seeded users
	// have none: they were put bare).
	if err != nil || !st.Purged || st.PurgedItems != users+4 {
		t.Errorf("state after the resumed removal = %+v, %v; want purged, %d items", st, err, users+4)
	}
	left, err := client.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "BUSINESS#" + biz}}, ConsistentRead: aws.Bool(true)})
	if err != nil || len(left.Items) != 1 {
		t.Errorf("items left: %d (%v), want only the tombstone", len(left.Items), err)
	}
}
