// Package changejson is the JSON of what a change did to a user: the
// "changes" object of an Activity in API responses (SPEC §4) and of an
// event's detail on EventBridge (SPEC §5). Both promise the same shape, so
// one type writes both, and docs/openapi.yaml and docs/events describe the
// same document.
package changejson

import "github.com/businessapp/usermanagement/internal/team"

// Changes lists what changed; only changed fields are present.
type Changes struct {
	Permissions *PermissionsChange `json:"permissions,omitempty"`
	Email       *FieldChange       `json:"email,omitempty"`
	FirstName   *FieldChange       `json:"firstName,omitempty"`
	LastName    *FieldChange       `json:"lastName,omitempty"`
	Phone       *FieldChange       `json:"phone,omitempty"`
}

// PermissionsChange is the permission set before and after, as tab ids in
// display order.
type PermissionsChange struct {
	From []string `json:"from"`
	To   []string `json:"to"`
}

// FieldChange is a contact field before and after; null is unset.
type FieldChange struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

// Of returns the JSON of a change.
func Of(c team.Changes) Changes {
	out := Changes{
		Email: field(c.Email), FirstName: field(c.FirstName),
		LastName: field(c.LastName), Phone: field(c.Phone),
	}
	if p := c.Permissions; p != nil {
		out.Permissions = &PermissionsChange{From: p.From.Strings(), To: p.To.Strings()}
	}
	return out
}

func field(c *team.FieldChange) *FieldChange {
	if c == nil {
		return nil
	}
	return &FieldChange{From: nullable(c.From), To: nullable(c.To)}
}

// nullable writes an unset value ("") as null, as every optional field of
// the API and the events is.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
