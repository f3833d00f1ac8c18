package dynamotest

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// ReadCounter is a DynamoDB client that counts the items its reads read:
// each item a Query evaluates (its ScannedCount), each key a BatchGetItem
// asks for, each GetItem. It stands for the store's client (dynamo.Client)
// in tests and benchmarks that bound the work of a request.
type ReadCounter struct {
	*dynamodb.Client
	items atomic.Int64
}

// Query counts the items the Query evaluated.
func (c *ReadCounter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.Client.Query(ctx, in, opts...)
	if err == nil {
		c.items.Add(int64(out.ScannedCount))
	}
	return out, err
}

// BatchGetItem counts the keys asked for, found or not.
func (c *ReadCounter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for _, ka := range in.RequestItems {
		c.items.Add(int64(len(ka.Keys)))
	}
	return c.Client.BatchGetItem(ctx, in, opts...)
}

// GetItem counts one item.
func (c *ReadCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.items.Add(1)
	return c.Client.GetItem(ctx, in, opts...)
}

// Take returns the items read since the last Take and starts again from
// zero.
func (c *ReadCounter) Take() int64 { return c.items.Swap(0) }
