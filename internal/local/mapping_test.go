package local

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// The local stand-in for the event source mapping runs with the deployed
// mapping's settings, so that the local stack's delivery lag and ordering
// say something about AWS's.
func TestLocalMappingHasTheTemplatesSettings(t *testing.T) {
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.Resources["DeliverActivityFunction"]
	if !ok {
		t.Fatal("template.yaml has no DeliverActivityFunction")
	}
	for setting, local := range map[string]int{
		"BatchSize":             streamBatchSize,
		"ParallelizationFactor": streamParallelizationFactor,
		"MaximumRetryAttempts":  streamRetryAttempts,
	} {
		v, ok := samtemplate.Lookup(fn.Properties, "Events", "Stream", "Properties", setting)
		if n, isInt := v.(int); !ok || !isInt || n != local {
			t.Errorf("template.yaml's stream mapping has %s %v, the local one %d", setting, v, local)
		}
	}
}
