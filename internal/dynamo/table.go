package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableDefinition is the table the code expects; template.yaml declares the
// same (a test compares them) and the local stack creates it from here.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrByUserPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrByTypePK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrStatusPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrNamePK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrNameSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrNewestPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrNewestSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		// The activity filters (keys.go). Both project every attribute, so
		// a page of history is one Query with no reads back from the table;
		// only activity items carry the index keys, so nothing else is
		// copied.
		//
		// The user list (keys.go, listing.go): user items carry the keys of
		// all three, the list's tab items those of ByName and ByNewest. They
		// project every attribute, so a page of users read from them needs
		// no reads back from the table.
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			activityIndex(IndexByUser, AttrByUserPK),
			activityIndex(IndexByType, AttrByTypePK),
			index(IndexByStatus, AttrStatusPK, AttrSK),
			index(IndexByName, AttrNamePK, AttrNameSK),
			index(IndexByNewest, AttrNewestPK, AttrNewestSK),
		},
		BillingMode: types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
}

func activityIndex(name, pk string) types.GlobalSecondaryIndex { return index(name, pk, AttrSK) }

func index(name, pk, sk string) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName: aws.String(name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

// TableAdmin is what EnsureTable needs of a DynamoDB client.
type TableAdmin interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTable(ctx context.Context, in *dynamodb.UpdateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error)
}

var _ TableAdmin = (*dynamodb.Client)(nil)

// EnsureTable creates the table from TableDefinition unless it exists, adds
// the global secondary indexes an existing table lacks (a table a developer's
// own DynamoDB Local kept from an earlier version of the code), and waits
// until the table and its indexes are active. It reports whether it created
// the table.
func EnsureTable(ctx context.Context, client TableAdmin, name string) (bool, error) {
	_, err := client.CreateTable(ctx, TableDefinition(name))
	var inUse *types.ResourceInUseException
	created := err == nil
	if err != nil && !errors.As(err, &inUse) {
		return false, fmt.Errorf("dynamo: create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return created, fmt.Errorf("dynamo: wait for table %s: %w", name, err)
	}
	if created {
		return true, nil
	}
	return false, addMissingIndexes(ctx, client, name)
}

// addMissingIndexes creates, one at a time as DynamoDB requires, each index
// of TableDefinition the table lacks, and waits until every index is
// active: a Query on an index that is still being built fails.
func addMissingIndexes(ctx context.Context, client TableAdmin, name string) error {
	want := TableDefinition(name)
	for _, index := range want.GlobalSecondaryIndexes {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("dynamo: describe table %s: %w", name, err)
		}
		if hasIndex(out.Table, aws.ToString(index.IndexName)) {
			continue
		}
		_, err = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: want.AttributeDefinitions,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection,
			}}},
		})
		if err != nil {
			return fmt.Errorf("dynamo: add index %s to table %s: %w", aws.ToString(index.IndexName), name, err)
		}
		if err := waitForIndexes(ctx, client, name); err != nil {
			return err
		}
	}
	return nil
}

func hasIndex(table *types.TableDescription, index string) bool {
	if table == nil {
		return false
	}
	for _, gsi := range table.GlobalSecondaryIndexes {
		if aws.ToString(gsi.IndexName) == index {
			return true
		}
	}
	return false
}

// waitForIndexes polls until every index of the table is ACTIVE (DynamoDB
// Local backfills at once; AWS can take minutes on a large table).
func waitForIndexes(ctx context.Context, client TableAdmin, name string) error {
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("dynamo: describe table %s: %w", name, err)
		}
		active := true
		for _, gsi := range out.Table.GlobalSecondaryIndexes {
			active = active && gsi.IndexStatus == types.IndexStatusActive
		}
		if active {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamo: wait for the indexes of table %s: %w", name, ctx.Err())
		case <-time.After(delay):
		}
	}
}
