package memstore_test

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/memstore"
	"github.com/businessapp/usermanagement/internal/team/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return memstore.New() })
}

func TestListingContract(t *testing.T) {
	storetest.RunListing(t, func(*testing.T) storetest.Store { return memstore.New() })
}
