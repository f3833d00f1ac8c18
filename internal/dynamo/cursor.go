package dynamo

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/businessapp/usermanagement/internal/team"
)

// A cursor carries the business it was issued for, the list's filter and
// the last sort key served, so a cursor replayed against another business,
// another list or another filter is refused instead of starting a query
// anywhere but where it was issued. It is base64url so clients treat it as
// opaque.
type cursor struct {
	Business string `json:"b"`
	List     string `json:"l"`
	Filter   string `json:"f,omitempty"`
	After    string `json:"k"`
}

const maxCursorLength = 1024

func encodeCursor(businessID team.BusinessID, prefix, filter, sk string) string {
	b, _ := json.Marshal(cursor{Business: businessID.String(), List: prefix, Filter: filter, After: strings.TrimPrefix(sk, prefix)})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the sort key to start after, "" for the first page.
func decodeCursor(s string, businessID team.BusinessID, prefix, filter string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) > maxCursorLength {
		return "", fmt.Errorf("dynamo: cursor too long: %w", team.ErrInvalidCursor)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("dynamo: cursor encoding: %w", team.ErrInvalidCursor)
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.After == "" {
		return "", fmt.Errorf("dynamo: cursor content: %w", team.ErrInvalidCursor)
	}
	if c.Business != businessID.String() || c.List != prefix || c.Filter != filter {
		return "", fmt.Errorf("dynamo: cursor issued for another list: %w", team.ErrInvalidCursor)
	}
	return prefix + c.After, nil
}
