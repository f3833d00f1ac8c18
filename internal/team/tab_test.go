package team_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/businessapp/usermanagement/internal/team"
)

func TestCatalogueIsTheSpecifiedDisplayOrder(t *testing.T) {
	want := []team.Tab{
		{ID: "home", Name: "Home"},
		{ID: "conversations", Name: "Conversations"},
		{ID: "crm", Name: "CRM"},
		{ID: "store", Name: "Store"},
		{ID: "automations", Name: "Automations"},
		{ID: "reports", Name: "Reports"},
		{ID: "administration", Name: "Administration"},
		{ID: "users", Name: "Users"},
	}
	got := team.Catalogue()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Catalogue() mismatch (-want +got):\n%s", diff)
	}
	// Callers get their own copy, so no caller can reorder the page for others.
	got[0] = team.Tab{ID: "changed", Name: "Changed"}
	if diff := cmp.Diff(want, team.Catalogue()); diff != "" {
		t.Errorf("changing a returned catalogue changed the next one (-want +got):\n%s", diff)
	}
}

func TestParsePermissions(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want team.Permissions
		// refusal is set when the ids must be refused.
		refusal *wantErr
	}{
		{name: "nil is no permissions", ids: nil, want: team.Permissions{}},
		{name: "empty is no permissions", ids: []string{}, want: team.Permissions{}},
		{name: "one tab", ids: []string{"crm"}, want: team.Permissions{team.TabCRM}},
		{
			name: "returned in display order whatever the input order",
			ids:  []string{"users", "home", "reports", "crm"},
			want: team.Permissions{team.TabHome, team.TabCRM, team.TabReports, team.TabUsers},
		},
		{
			name: "every tab in reverse order",
			ids:  []string{"users", "administration", "reports", "automations", "store", "crm", "conversations", "home"},
			want: team.Permissions{team.TabHome, team.TabConversations, team.TabCRM, team.TabStore, team.TabAutomations, team.TabReports, team.TabAdministration, team.TabUsers},
		},
		{
			name: "duplicates dropped",
			ids:  []string{"crm", "home", "crm", "crm", "home"},
			want: team.Permissions{team.TabHome, team.TabCRM},
		},
		{
			name:    "unknown tab",
			ids:     []string{"billing"},
			refusal: &wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: `"billing"`},
		},
		{
			name:    "unknown tab among known ones",
			ids:     []string{"home", "billing", "crm"},
			refusal: &wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: `"billing"`},
		},
		{
			// The reason lists the valid ids, so a client sending display
			// names learns what to send instead.
			name:    "display name instead of id",
			ids:     []string{"Users"},
			refusal: &wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: "home, conversations, crm"},
		},
		{
			name:    "empty id",
			ids:     []string{""},
			refusal: &wantErr{code: team.CodeInvalidRequest, fields: []string{"permissions"}, mention: `""`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := team.ParsePermissions(tt.ids)
			if tt.refusal != nil {
				checkRefusal(t, err, *tt.refusal)
				return
			}
			if err != nil {
				t.Fatalf("ParsePermissions(%q) refused it: %v", tt.ids, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParsePermissions(%q) mismatch (-want +got):\n%s", tt.ids, diff)
			}
		})
	}
}

func TestPermissionsMissing(t *testing.T) {
	enabled := team.Permissions{team.TabHome, team.TabCRM, team.TabUsers}
	tests := []struct {
		name    string
		perms   team.Permissions
		enabled team.Permissions
		want    team.Permissions
	}{
		{name: "nothing requested", perms: nil, enabled: enabled, want: nil},
		{name: "all enabled", perms: team.Permissions{team.TabHome, team.TabUsers}, enabled: enabled, want: nil},
		{name: "one missing", perms: team.Permissions{team.TabHome, team.TabStore}, enabled: enabled, want: team.Permissions{team.TabStore}},
		{
			name:    "several missing, in the order requested",
			perms:   team.Permissions{team.TabConversations, team.TabCRM, team.TabStore, team.TabReports},
			enabled: enabled,
			want:    team.Permissions{team.TabConversations, team.TabStore, team.TabReports},
		},
		{name: "nothing enabled", perms: team.Permissions{team.TabHome}, enabled: nil, want: team.Permissions{team.TabHome}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.perms.Missing(tt.enabled)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%v.Missing(%v) mismatch (-want +got):\n%s", tt.perms, tt.enabled, diff)
			}
		})
	}
}

func TestPermissionsOfDropsRetiredTabs(t *testing.T) {
	// Stored data may name tabs the catalogue has since retired; clients must
	// never see them, and what remains is in display order.
	got := team.PermissionsOf([]string{"users", "fax", "home", "users"})
	want := team.Permissions{team.TabHome, team.TabUsers}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PermissionsOf mismatch (-want +got):\n%s", diff)
	}
}

func TestPermissionsViews(t *testing.T) {
	perms := team.Permissions{team.TabCRM, team.TabUsers}
	if !perms.Has(team.TabUsers) || perms.Has(team.TabHome) {
		t.Errorf("%v.Has: users=%v home=%v, want true and false", perms, perms.Has(team.TabUsers), perms.Has(team.TabHome))
	}
	if diff := cmp.Diff([]string{"crm", "users"}, perms.Strings()); diff != "" {
		t.Errorf("Strings mismatch (-want +got):\n%s", diff)
	}
	wantTabs := []team.Tab{{ID: team.TabCRM, Name: "CRM"}, {ID: team.TabUsers, Name: "Users"}}
	if diff := cmp.Diff(wantTabs, perms.Tabs()); diff != "" {
		t.Errorf("Tabs mismatch (-want +got):\n%s", diff)
	}
}
