// Package httpapi is the HTTP API of SPEC §4: the route table, request
// decoding and validation, and the one mapping from error codes to status
// codes. The same handlers serve every Lambda (one route each, through
// internal/gateway) and the local stack (all routes on one mux).
package httpapi

//go:generate go run ../../cmd/genfunctions -root ../..

import (
	"net/http"
	"slices"
	"strings"
	"unicode"
)

// Route is one operation of the API. The route table below is the single
// source of everything that follows from a route: its handler, its
// function's main.go under functions/ and its resources in template.yaml
// (both written by `go generate ./...`, see cmd/genfunctions), its build
// target (the Makefile's build-%Function pattern rule), its IAM actions,
// its place in the local stack's mux, and the checks that its OpenAPI
// operation and its sample event exist.
type Route struct {
	// Operation names the operation. The function's folder under
	// functions/, its logical id in template.yaml and its sample event are
	// derived from it (Function, LogicalID).
	Operation string
	Method    string
	// Path is an API Gateway route path; its {name} segments are also Go
	// ServeMux wildcards.
	Path string
	// ParsesPhones says that the operation parses phone numbers, so its
	// function is built with internal/phone (and only such functions link
	// the phone library).
	ParsesPhones bool
	// DynamoDBActions are the IAM actions the operation calls on the table,
	// which are exactly what its function's role allows. A
	// TransactWriteItems call is authorised by the actions it contains
	// (ConditionCheckItem, PutItem, DeleteItem, UpdateItem): IAM has no
	// dynamodb:TransactWriteItems action.
	DynamoDBActions []string
	serve           func(*API, *http.Request) (response, error)
}

// Function is the folder under functions/ that holds the route's Lambda
// (and the stem of its sample event under events/): the operation in
// kebab case, such as invite-user for InviteUser.
func (r Route) Function() string { return KebabCase(r.Operation) }

// LogicalID is the id of the route's function in template.yaml; the
// Makefile's build-%Function rule derives the folder back from it.
func (r Route) LogicalID() string { return r.Operation + "Function" }

// KebabCase turns an operation name into its folder name: InviteUser
// becomes invite-user. The Makefile's build-%Function rule does the same
// with sed, and a test holds the two together.
func KebabCase(operation string) string {
	var b strings.Builder
	for i, r := range operation {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Operation names.
const (
	OpGetBusiness    = "GetBusiness"
	OpListTabs       = "ListTabs"
	OpListUsers      = "ListUsers"
	OpGetUser        = "GetUser"
	OpInviteUser     = "InviteUser"
	OpSetPermissions = "SetPermissions"
	OpUpdateContact  = "UpdateContact"
	OpRemoveUser     = "RemoveUser"
	OpListActivity   = "ListActivity"
	// OpTransferOwnership hands ownership on (SPEC §4 "Hand on ownership").
	OpTransferOwnership = "TransferOwnership"
	// OpResendInvitation sends an invited user's welcome email again
	// (SPEC §4 "Resend an invitation").
	OpResendInvitation = "ResendInvitation"
	// OpInviteSeveral invites up to 50 people, each as OpInviteUser would
	// (SPEC §4 "Invite several").
	OpInviteSeveral = "InviteSeveral"
)

// DynamoDB actions, as IAM names them.
const (
	ActionGetItem            = "dynamodb:GetItem"
	ActionBatchGetItem       = "dynamodb:BatchGetItem"
	ActionQuery              = "dynamodb:Query"
	ActionConditionCheckItem = "dynamodb:ConditionCheckItem"
	ActionPutItem            = "dynamodb:PutItem"
	ActionDeleteItem         = "dynamodb:DeleteItem"
	ActionUpdateItem         = "dynamodb:UpdateItem"
)

// Every route reads its caller together with the business's profile
// (dynamodb:BatchGetItem), so that a deleted business's users lose access
// at once. Every route may write its caller's own item: the first request of an
// invited user activates them, whatever the route (SPEC §2.3), and a
// changed picture claim is recorded; both Put the caller's item (and the
// activation its activity record) in a transaction. So even the reads are
// allowed dynamodb:PutItem. Each row lists exactly the actions its code
// calls: internal/sampleevents' TestEachRouteCallsExactlyItsActions drives
// every route by its sample event (as it is, with a new picture claim, as
// its caller's first request) and through the branches the sample does not
// take, on DynamoDB Local, records the actions the requests need and
// compares them with the row.
var (
	// The activation also takes one off the business's count of invited
	// users (an UpdateItem of a counter shard), so every route may update.
	getBusinessActions = []string{ActionBatchGetItem, ActionQuery, ActionPutItem, ActionUpdateItem}
	// A list reads the index items of a search or a tab and the users they
	// name (BatchGetItem, which also reads the caller).
	listUsersActions = []string{ActionBatchGetItem, ActionQuery, ActionPutItem, ActionUpdateItem}
	// A permission change deletes the index items of the tabs it takes
	// away (internal/dynamo/keys.go).
	setPermissionsActions = []string{ActionBatchGetItem, ActionGetItem, ActionConditionCheckItem, ActionPutItem, ActionDeleteItem, ActionUpdateItem}
	// An invite reads the business's email-budget shards (and, for the
	// default permissions, the business), checks the caller and the tabs,
	// puts the user and its activity, and updates a shard of the user
	// count and a slot of the email budget.
	inviteActions = []string{ActionBatchGetItem, ActionQuery, ActionConditionCheckItem, ActionPutItem, ActionUpdateItem}
	// A resend needs the same (the shards, the caller's check, the user
	// and activity, a budget slot) and reads the invitee.
	resendActions = []string{ActionBatchGetItem, ActionGetItem, ActionQuery, ActionConditionCheckItem, ActionPutItem, ActionUpdateItem}
	// An email change deletes the old item and puts the new one, and uses
	// a slot of the email budget (the welcome at the new address): it
	// reads the budget's shards and updates one.
	updateContactActions = []string{ActionBatchGetItem, ActionGetItem, ActionQuery, ActionConditionCheckItem, ActionPutItem, ActionDeleteItem, ActionUpdateItem}
	// A removal deletes the user and takes one off a shard of the count.
	removeActions = []string{ActionBatchGetItem, ActionGetItem, ActionConditionCheckItem, ActionDeleteItem, ActionUpdateItem, ActionPutItem}
	// A transfer updates both users and the profile.
	transferActions = []string{ActionBatchGetItem, ActionGetItem, ActionUpdateItem, ActionPutItem}
)

var routes = []Route{
	{OpGetBusiness, http.MethodGet, "/v1/businesses/{businessId}", false, getBusinessActions, (*API).getBusiness},
	{OpListTabs, http.MethodGet, "/v1/businesses/{businessId}/tabs", false, getBusinessActions, (*API).listTabs},
	{OpListUsers, http.MethodGet, "/v1/businesses/{businessId}/users", false, listUsersActions, (*API).listUsers},
	{OpGetUser, http.MethodGet, "/v1/businesses/{businessId}/users/{email}", false, []string{ActionBatchGetItem, ActionGetItem, ActionPutItem, ActionUpdateItem}, (*API).getUser},
	{OpInviteUser, http.MethodPost, "/v1/businesses/{businessId}/users", true, inviteActions, (*API).inviteUser},
	{OpSetPermissions, http.MethodPut, "/v1/businesses/{businessId}/users/{email}/permissions", false, setPermissionsActions, (*API).setPermissions},
	{OpUpdateContact, http.MethodPatch, "/v1/businesses/{businessId}/users/{email}", true, updateContactActions, (*API).updateContact},
	{OpRemoveUser, http.MethodDelete, "/v1/businesses/{businessId}/users/{email}", false, removeActions, (*API).removeUser},
	{OpListActivity, http.MethodGet, "/v1/businesses/{businessId}/activity", false, []string{ActionBatchGetItem, ActionQuery, ActionPutItem, ActionUpdateItem}, (*API).listActivity},
	{OpTransferOwnership, http.MethodPost, "/v1/businesses/{businessId}/owner", false, transferActions, (*API).transferOwnership},
	{OpResendInvitation, http.MethodPost, "/v1/businesses/{businessId}/users/{email}/invitation", false, resendActions, (*API).resendInvitation},
	// Invite several is the invite, once per entry.
	{OpInviteSeveral, http.MethodPost, "/v1/businesses/{businessId}/invitations", true, inviteActions, (*API).inviteSeveral},
}

// indexesQueried names the table's global secondary indexes an operation
// queries (internal/dynamo/keys.go): IAM authorises a Query on an index by
// the index's ARN, not the table's, so the operation's function is allowed
// dynamodb:Query on exactly these. A test checks that each is an index of
// the table, and internal/sampleevents' TestEachRouteCallsExactlyItsActions
// that the route's requests query exactly these.
var indexesQueried = map[string][]string{
	OpListActivity: {"ByUser", "ByType"},
	OpListUsers:    {"ByStatus", "ByName", "ByNewest"},
}

// Indexes returns the table's indexes the operation queries.
func (r Route) Indexes() []string { return slices.Clone(indexesQueried[r.Operation]) }

// Routes returns the route table.
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, r := range routes {
		r.DynamoDBActions = slices.Clone(r.DynamoDBActions)
		out[i] = r
	}
	return out
}

// RouteOf returns the route of an operation.
func RouteOf(operation string) (Route, bool) {
	for _, r := range Routes() {
		if r.Operation == operation {
			return r, true
		}
	}
	return Route{}, false
}
