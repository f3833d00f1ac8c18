package dynamo_test

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/team/storetest"
)

func TestContract(t *testing.T) {
	client := dynamotest.Client(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return dynamo.NewStore(client, dynamotest.NewTable(t, client))
	})
}
