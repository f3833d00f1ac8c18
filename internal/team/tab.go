package team

import (
	"fmt"
	"slices"
	"strings"
)

// TabID identifies a product area of the Business App (SPEC §1).
type TabID string

// The tab catalogue, in display order.
const (
	TabHome           TabID = "home"
	TabConversations  TabID = "conversations"
	TabCRM            TabID = "crm"
	TabStore          TabID = "store"
	TabAutomations    TabID = "automations"
	TabReports        TabID = "reports"
	TabAdministration TabID = "administration"
	TabUsers          TabID = "users"
)

// Tab is a catalogue entry: an id and the name people see.
type Tab struct {
	ID   TabID
	Name string
}

// catalogue lists every tab in display order; the order of this slice is the
// order permissions are shown and returned in.
var catalogue = []Tab{
	{TabHome, "Home"},
	{TabConversations, "Conversations"},
	{TabCRM, "CRM"},
	{TabStore, "Store"},
	{TabAutomations, "Automations"},
	{TabReports, "Reports"},
	{TabAdministration, "Administration"},
	{TabUsers, "Users"},
}

// Catalogue returns every tab the product knows, in display order.
func Catalogue() []Tab { return slices.Clone(catalogue) }

func tabIndex(id TabID) int {
	return slices.IndexFunc(catalogue, func(t Tab) bool { return t.ID == id })
}

// Permissions is a set of tabs, always kept in catalogue order without
// duplicates, so that two equal sets compare equal with slices.Equal.
type Permissions []TabID

// ParsePermissions turns tab ids from a request into Permissions. Duplicates
// are dropped. It returns an invalid_request *Error naming the unknown ids.
func ParsePermissions(ids []string) (Permissions, error) {
	var unknown []string
	seen := make(map[TabID]bool, len(ids))
	for _, raw := range ids {
		id := TabID(raw)
		if tabIndex(id) < 0 {
			unknown = append(unknown, fmt.Sprintf("%q", raw))
			continue
		}
		seen[id] = true
	}
	if len(unknown) > 0 {
		return nil, InvalidFields(map[string]string{
			"permissions": fmt.Sprintf("Unknown tab %s; valid tabs are %s.", strings.Join(unknown, ", "), catalogueList()),
		})
	}
	perms := make(Permissions, 0, len(seen))
	for _, t := range catalogue {
		if seen[t.ID] {
			perms = append(perms, t.ID)
		}
	}
	return perms, nil
}

// PermissionsOf builds Permissions from stored tab ids, dropping ids the
// catalogue no longer knows so that a retired tab never reaches clients.
func PermissionsOf(ids []string) Permissions {
	perms := make(Permissions, 0, len(ids))
	for _, t := range catalogue {
		if slices.Contains(ids, string(t.ID)) {
			perms = append(perms, t.ID)
		}
	}
	return perms
}

func catalogueList() string {
	ids := make([]string, len(catalogue))
	for i, t := range catalogue {
		ids[i] = string(t.ID)
	}
	return strings.Join(ids, ", ")
}

// Has reports whether the set holds the tab.
func (p Permissions) Has(id TabID) bool { return slices.Contains(p, id) }

// Missing returns the tabs of p that are not in enabled.
func (p Permissions) Missing(enabled Permissions) Permissions {
	var out Permissions
	for _, id := range p {
		if !enabled.Has(id) {
			out = append(out, id)
		}
	}
	return out
}

// Strings returns the ids as strings, in display order.
func (p Permissions) Strings() []string {
	out := make([]string, len(p))
	for i, id := range p {
		out[i] = string(id)
	}
	return out
}

// Tabs returns the catalogue entries of the set, in display order.
func (p Permissions) Tabs() []Tab {
	out := make([]Tab, 0, len(p))
	for _, t := range catalogue {
		if p.Has(t.ID) {
			out = append(out, t)
		}
	}
	return out
}
