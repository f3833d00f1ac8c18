package dynamo

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestEveryEmailKindHasItsOwnMark: every kind of email delivery can send is
// recorded somewhere, and the kinds one activity may send are recorded in
// different attributes, or a retry would take one for the other and never
// send it.
func TestEveryEmailKindHasItsOwnMark(t *testing.T) {
	for _, kind := range delivery.EmailKinds() {
		if _, err := markOf(kind); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
	for _, typ := range team.ActivityTypes() {
		row, _ := delivery.DownstreamOf(typ)
		seen := map[string]delivery.EmailKind{}
		for _, kind := range row.Emails {
			m, _ := markOf(kind)
			if other, taken := seen[m.status]; taken {
				t.Errorf("%s sends %s and %s, which share the mark %s", typ, other, kind, m.status)
			}
			seen[m.status] = kind
		}
	}
}
