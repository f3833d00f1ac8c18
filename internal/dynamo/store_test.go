package dynamo_test

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/provision/provisiontest"
	"github.com/businessapp/usermanagement/internal/team/storetest"
)

func TestContract(t *testing.T) {
	client := dynamotest.Client(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return dynamo.NewStore(client, dynamotest.NewTableWithoutStream(t, client))
	})
}

// TestListingContract plays the listing contract on DynamoDB Local: every
// filter and sort, paged to its end, against a brute-force answer.
func TestListingContract(t *testing.T) {
	client := dynamotest.Client(t)
	storetest.RunListing(t, func(t *testing.T) storetest.Store {
		return dynamo.NewStore(client, dynamotest.NewTableWithoutStream(t, client))
	})
}

// TestProvisioningContract plays the provisioning contract on DynamoDB
// Local: repeated and older events change nothing, ownership moves in one
// transaction, deletion ends access and removes the data.
func TestProvisioningContract(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.NewTableWithoutStream(t, client)
	provisiontest.Run(t, func(t *testing.T) provisiontest.Store { return dynamo.NewStore(client, table) })
}
