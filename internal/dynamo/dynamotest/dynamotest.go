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
	"time"

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
	deleteAtEnd(t, client, name)
	return name
}

// NewTableWithoutStream is NewTable without the table's stream, for tests
// that never read the stream: everything else (keys, indexes, projections,
// billing) is the production definition.
//
// DynamoDB Local makes every write to a table with a stream look up the
// stream's description, with a query (in SQLite, "SELECT MIN(SequenceNumber)
// FROM <stream records> WHERE StreamID = ?", which a profile of its JVM
// showed taking most of its time) whose cost grows with the stream records
// it holds, of every table, including the tables earlier tests deleted. A
// write's cost therefore grows with all the writes made before it in the
// same DynamoDB Local, which `make test` shares between all packages: late
// in internal/dynamo's tests, whose tables take thousands of writes, one
// transaction took 100–600 ms. A table without a stream writes no stream
// records and never runs that query.
func NewTableWithoutStream(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	ctx := context.Background()
	name := "test-" + rand.Text()
	def := dynamo.TableDefinition(name)
	def.StreamSpecification = nil
	if _, err := client.CreateTable(ctx, def); err != nil {
		t.Fatalf("create table: %v", err)
	}
	deleteAtEnd(t, client, name)
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("wait for table %s: %v", name, err)
	}
	return name
}

func deleteAtEnd(t testing.TB, client *dynamodb.Client, name string) {
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
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
