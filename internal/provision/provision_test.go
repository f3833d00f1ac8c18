package provision_test

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/memstore"
	"github.com/businessapp/usermanagement/internal/provision/provisiontest"
)

// TestMemstore plays the provisioning contract on the in-memory store; the
// DynamoDB store plays the same in internal/dynamo.
func TestMemstore(t *testing.T) {
	provisiontest.Run(t, func(*testing.T) provisiontest.Store { return memstore.New() })
}
