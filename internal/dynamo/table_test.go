package dynamo_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
)

// A developer's own DynamoDB Local (DYNAMODB_ENDPOINT) may keep a table made
// by an earlier version of the code, without the activity indexes; the
// local stack must bring it up to date rather than fail every filtered list.
func TestEnsureTableAddsTheIndexesAnOlderTableLacks(t *testing.T) {
	client := dynamotest.Client(t)
	ctx := context.Background()
	name := "test-" + rand.Text()
	older := dynamo.TableDefinition(name)
	older.GlobalSecondaryIndexes = nil
	older.AttributeDefinitions = older.AttributeDefinitions[:2] // PK and SK only
	if _, err := client.CreateTable(ctx, older); err != nil {
		t.Fatalf("create the older table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})

	created, err := dynamo.EnsureTable(ctx, client, name)
	if err != nil {
		t.Fatalf("EnsureTable: %v", err)
	}
	if created {
		t.Error("EnsureTable reported creating a table that existed")
	}
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]types.IndexStatus{}
	for _, gsi := range out.Table.GlobalSecondaryIndexes {
		got[aws.ToString(gsi.IndexName)] = gsi.IndexStatus
	}
	want := map[string]types.IndexStatus{}
	for _, gsi := range dynamo.TableDefinition(name).GlobalSecondaryIndexes {
		want[aws.ToString(gsi.IndexName)] = types.IndexStatusActive
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indexes after EnsureTable (-want +got):\n%s", diff)
	}

	// A second start finds nothing to do.
	if _, err := dynamo.EnsureTable(ctx, client, name); err != nil {
		t.Errorf("EnsureTable on an up-to-date table: %v", err)
	}
}
