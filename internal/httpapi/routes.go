// Package httpapi is the HTTP API of SPEC §4: the route table, request
// decoding and validation, and the one mapping from error codes to status
// codes. The same handlers serve every Lambda (one route each, through
// internal/gateway) and the local stack (all routes on one mux).
package httpapi

import "net/http"

// Route is one operation of the API. The route table below is the single
// source for the handlers, the functions under functions/, the local stack's
// mux and the checks of template.yaml.
type Route struct {
	// Operation names the operation; it is also the stem of the function's
	// logical id in template.yaml (Operation + "Function").
	Operation string
	Method    string
	// Path is an API Gateway route path; its {name} segments are also Go
	// ServeMux wildcards.
	Path string
	// Function is the folder under functions/ whose main.go serves the route.
	Function string
	// ReadOnly routes never write; their functions get read-only policies.
	ReadOnly bool
	serve    func(*API, *http.Request) (response, error)
}

// Operation names.
const (
	OpListTabs       = "ListTabs"
	OpListUsers      = "ListUsers"
	OpGetUser        = "GetUser"
	OpInviteUser     = "InviteUser"
	OpSetPermissions = "SetPermissions"
	OpUpdateContact  = "UpdateContact"
	OpRemoveUser     = "RemoveUser"
	OpListActivity   = "ListActivity"
)

var routes = []Route{
	{OpListTabs, http.MethodGet, "/v1/businesses/{businessId}/tabs", "list-tabs", true, (*API).listTabs},
	{OpListUsers, http.MethodGet, "/v1/businesses/{businessId}/users", "list-users", true, (*API).listUsers},
	{OpGetUser, http.MethodGet, "/v1/businesses/{businessId}/users/{email}", "get-user", true, (*API).getUser},
	{OpInviteUser, http.MethodPost, "/v1/businesses/{businessId}/users", "invite-user", false, (*API).inviteUser},
	{OpSetPermissions, http.MethodPut, "/v1/businesses/{businessId}/users/{email}/permissions", "set-permissions", false, (*API).setPermissions},
	{OpUpdateContact, http.MethodPatch, "/v1/businesses/{businessId}/users/{email}", "update-contact", false, (*API).updateContact},
	{OpRemoveUser, http.MethodDelete, "/v1/businesses/{businessId}/users/{email}", "remove-user", false, (*API).removeUser},
	{OpListActivity, http.MethodGet, "/v1/businesses/{businessId}/activity", "list-activity", true, (*API).listActivity},
}

// Routes returns the route table.
func Routes() []Route {
	out := make([]Route, len(routes))
	copy(out, routes)
	return out
}
