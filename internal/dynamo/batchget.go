package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batchGetter is the part of the DynamoDB API batchGet uses.
type batchGetter interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// maxBatchGet is the most keys one BatchGetItem may ask for.
const maxBatchGet = 100

// maxUnprocessedRounds bounds how often batchGet asks again for keys that
// DynamoDB left unprocessed (it does so when throttled); after that the
// read fails, as a throttled request does.
const maxUnprocessedRounds = 8

// batchGet reads the items of the table's keys in request (at most
// maxBatchGet) with BatchGetItem, asking again, after a short pause, for
// the keys DynamoDB leaves unprocessed: the SDK retries a failed request,
// but not the unprocessed part of a successful one. Items come back in no
// particular order, and a key without an item has none. Errors: those of
// requestError, and one for keys still unprocessed after
// maxUnprocessedRounds.
func batchGet(ctx context.Context, client batchGetter, table string, request types.KeysAndAttributes) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	pending := map[string]types.KeysAndAttributes{table: request}
	for round := 0; len(pending) > 0; round++ {
		if round == maxUnprocessedRounds {
			return nil, fmt.Errorf("DynamoDB left keys unprocessed %d times", round)
		}
		if round > 0 {
			// Unprocessed keys mean throttling: back off before asking again.
			select {
			case <-ctx.Done():
				return nil, requestError(ctx.Err())
			case <-time.After(time.Duration(round) * 25 * time.Millisecond):
			}
		}
		res, err := client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return nil, requestError(err)
		}
		items = append(items, res.Responses[table]...)
		pending = res.UnprocessedKeys
	}
	return items, nil
}
