// Package dynamotest gives integration tests a fresh table on the DynamoDB
// Local that `make test` starts, and counts the requests a test makes.
package dynamotest

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
)

// Client returns a client for DYNAMODB_ENDPOINT. Without it the test is
// skipped with a message saying how to run it, unless REQUIRE_DYNAMODB is set
// (CI sets it), in which case the test fails: CI must never skip this tier.
func Client(t testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	endpoint := dynamodblocal.EndpointFromEnv()
	if endpoint == "" {
		if os.Getenv("REQUIRE_DYNAMODB") != "" {
			t.Fatal("DYNAMODB_ENDPOINT is not set but REQUIRE_DYNAMODB is: run the tests with `make test`")
		}
		t.Skip("DynamoDB Local is not running: set DYNAMODB_ENDPOINT, or run `make test`, which starts it")
	}
	return dynamodblocal.NewClient(endpoint, optFns...)
}

// NewTable creates a table with the production definition under a random
// name and deletes it when the test ends, so tests never see each other's data.
func NewTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := "test-" + rand.Text()
	if _, err := dynamo.EnsureTable(context.Background(), client, name); err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// Counter counts DynamoDB requests by operation name. Install it with
// Client(t, counter.Install); every attempt the SDK sends is counted once.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
}

// Install adds the counting middleware to a client's options.
func (c *Counter) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("CountRequests",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				if c.counts == nil {
					c.counts = map[string]int{}
				}
				c.counts[middleware.GetOperationName(ctx)]++
				c.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// Take returns the counts since the last Take and starts again from zero.
func (c *Counter) Take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = nil
	if out == nil {
		out = map[string]int{}
	}
	return out
}

// String formats counts for failure messages.
func (c *Counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprint(c.counts)
}
