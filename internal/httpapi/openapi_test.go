package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/apispec"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// The OpenAPI document is held to the code here: its operations must be the
// route table's, and every answer the handlers give, success or error, must
// be what the document says for that operation and status (status
// documented, headers, body schema), as libopenapi-validator judges it.

var loadSpec = sync.OnceValues(func() (*apispec.Spec, error) {
	return apispec.Load(filepath.Join("..", "..", apispec.Path))
})

func openAPI(t *testing.T) *apispec.Spec {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenAPIMatchesRouteTable checks that the document describes exactly
// the routes of the route table, each under its operation name.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	type op struct{ Method, Path, ID string }
	var fromRoutes, fromDoc []op
	for _, r := range httpapi.Routes() {
		fromRoutes = append(fromRoutes, op{r.Method, r.Path, r.Operation})
	}
	for _, o := range openAPI(t).Operations() {
		fromDoc = append(fromDoc, op{o.Method, o.Path, o.ID})
	}
	less := func(a, b op) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) }
	slices.SortFunc(fromRoutes, less)
	slices.SortFunc(fromDoc, less)
	if d := cmp.Diff(fromRoutes, fromDoc); d != "" {
		t.Errorf("operations of %s differ from the route table (-routes +document):\n%s", apispec.Path, d)
	}
}

// specCall is one request of the response tests.
// acmeManager is a manager of acme who is not the owner; the cases it
// calls invite it first.
const acmeManager = "manager@acme.test"

type specCall struct {
	name    string
	caller  string // "" sends no caller: 401
	method  string
	path    string
	body    string
	ifMatch string
	status  int
}

// operationOf returns the route a request is for.
func operationOf(t *testing.T, method, path string) string {
	t.Helper()
	mux := http.NewServeMux()
	for _, r := range httpapi.Routes() {
		mux.Handle(r.Method+" "+r.Path, http.NotFoundHandler())
	}
	_, pattern := mux.Handler(httptest.NewRequest(method, path, nil))
	for _, r := range httpapi.Routes() {
		if r.Method+" "+r.Path == pattern {
			return r.Operation
		}
	}
	t.Fatalf("%s %s matches no route", method, path)
	return ""
}

// newSpecRequest builds the request as a client sends it: the caller is
// also given as a bearer token, so that the request is complete for the
// document (the handler takes the caller from the context, as the gateway
// adapter and the local authorizer give it).
func newSpecRequest(c specCall) *http.Request {
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if c.caller != "" {
		req = req.WithContext(httpapi.WithCaller(req.Context(), c.caller))
		req.Header.Set("Authorization", "Bearer test-token-for-"+c.caller)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.ifMatch != "" {
		req.Header.Set("If-Match", c.ifMatch)
	}
	return req
}

// checkAgainstSpec sends c to h, checks its status and validates the answer
// against the document; successful requests are validated too, since the
// document describes what a client may send.
func checkAgainstSpec(t *testing.T, h http.Handler, c specCall) {
	t.Helper()
	spec := openAPI(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newSpecRequest(c))
	if rec.Code != c.status {
		t.Errorf("%s: %s %s answered %d, want %d; body %s", c.name, c.method, c.path, rec.Code, c.status, rec.Body)
	}
	// The request the validator sees is a fresh copy: the handler read
	// the first one's body.
	if err := spec.ValidateResponse(newSpecRequest(c), rec.Result()); err != nil {
		t.Errorf("%s: %v\nbody %s", c.name, err, rec.Body)
	}
	if rec.Code < 300 {
		if err := spec.ValidateRequest(newSpecRequest(c)); err != nil {
			t.Errorf("%s: a request the API accepts is not one the document allows: %v", c.name, err)
		}
	}
}

// inviteOverBudget names the case whose stack has spent acme's email
// budget for the hour first.
const inviteOverBudget = "invite when the hour's email budget is spent"

// resendTooSoon names the case whose invitee was sent an invitation
// moments before.
const resendTooSoon = "resend within 5 minutes of the last send"

// bigBody is a JSON body over the 16 KiB limit.
var bigBody = `{"firstName":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`

// TestResponsesMatchOpenAPI drives every route through its successes and
// the errors the document lists for it, over the real handlers and domain
// (in memory), and checks every answer against the document. Statuses the
// in-memory store cannot produce (429 when DynamoDB throttles, 500 when it
// fails) come from a service that fails on purpose. Every status the
// document lists for an operation must be exercised here, so the document
// can claim nothing the handlers never do.
func TestResponsesMatchOpenAPI(t *testing.T) {
	const users = "/v1/businesses/acme/users"
	cases := []specCall{
		// GetBusiness
		{"business", acmeMember, "GET", "/v1/businesses/acme", "", "", 200},
		{"business with a malformed id", acmeOwner, "GET", "/v1/businesses/acme.corp", "", "", 400},
		{"business without a caller", "", "GET", "/v1/businesses/acme", "", "", 401},
		{"business of another business", globexOwner, "GET", "/v1/businesses/acme", "", "", 403},
		// TransferOwnership
		{"hand on ownership", acmeOwner, "POST", "/v1/businesses/acme/owner", `{"email":"` + acmeManager + `"}`, "", 200},
		{"hand on ownership without an email", acmeOwner, "POST", "/v1/businesses/acme/owner", `{}`, "", 400},
		{"hand on ownership without a caller", "", "POST", "/v1/businesses/acme/owner", `{"email":"bob@example.com"}`, "", 401},
		{"hand on ownership as a manager who is not the owner", acmeManager, "POST", "/v1/businesses/acme/owner", `{"email":"bob@example.com"}`, "", 403},
		{"hand on ownership to nobody", acmeOwner, "POST", "/v1/businesses/acme/owner", `{"email":"ghost@example.com"}`, "", 404},
		{"hand on ownership with a body over 16 KiB", acmeOwner, "POST", "/v1/businesses/acme/owner", bigBody, "", 413},
		{"hand on ownership to a non-manager", acmeOwner, "POST", "/v1/businesses/acme/owner", `{"email":"bob@example.com"}`, "", 422},
		// ListTabs
		{"tabs", acmeMember, "GET", acmeTabsPath, "", "", 200},
		{"tabs of a malformed business id", acmeOwner, "GET", "/v1/businesses/acme.corp/tabs", "", "", 400},
		{"tabs without a caller", "", "GET", acmeTabsPath, "", "", 401},
		{"tabs of another business", globexOwner, "GET", acmeTabsPath, "", "", 403},
		// ListUsers
		{"users", acmeOwner, "GET", users, "", "", 200},
		{"users, first page", acmeOwner, "GET", users + "?limit=1", "", "", 200},
		{"users with limit 0", acmeOwner, "GET", users + "?limit=0", "", "", 400},
		{"users with a forged cursor", acmeOwner, "GET", users + "?cursor=bm9wZQ", "", "", 400},
		{"users without a caller", "", "GET", users, "", "", 401},
		{"users by a member", acmeMember, "GET", users, "", "", 403},
		// GetUser
		{"get user", acmeOwner, "GET", bobPath, "", "", 200},
		{"get self", acmeMember, "GET", memberPath, "", "", 200},
		{"get user of a malformed business id", acmeOwner, "GET", "/v1/businesses/acme.corp/users/bob@example.com", "", "", 400},
		{"get user without a caller", "", "GET", bobPath, "", "", 401},
		{"get another user as a member", acmeMember, "GET", bobPath, "", "", 403},
		{"get a user who does not exist", acmeOwner, "GET", ghostPath, "", "", 404},
		// InviteUser
		{"invite", acmeOwner, "POST", users, `{"email":"Cy@Example.com","firstName":"Cy","lastName":"Young","phone":"+1 (415) 555-0123","permissions":["home","crm"]}`, "", 201},
		{"invite with every enabled tab", acmeOwner, "POST", users, `{"email":"dee@example.com"}`, "", 201},
		{"invite with an unknown field", acmeOwner, "POST", users, `{"email":"cy@example.com","role":"admin"}`, "", 400},
		{"invite with a tab not enabled", acmeOwner, "POST", users, `{"email":"cy@example.com","permissions":["store"]}`, "", 400},
		{"invite without a caller", "", "POST", users, `{"email":"cy@example.com"}`, "", 401},
		{"invite by a member", acmeMember, "POST", users, `{"email":"cy@example.com"}`, "", 403},
		{"invite an existing user", acmeOwner, "POST", users, `{"email":"BOB@example.com "}`, "", 409},
		{"invite with a body over 16 KiB", acmeOwner, "POST", users, bigBody, "", 413},
		{inviteOverBudget, acmeOwner, "POST", users, `{"email":"cy@example.com"}`, "", 429},
		// SetPermissions
		{"set permissions", acmeOwner, "PUT", bobPath + "/permissions", `{"permissions":["home","reports"]}`, tag(bobID, 1), 200},
		{"set permissions to none", acmeOwner, "PUT", bobPath + "/permissions", `{"permissions":[]}`, "", 200},
		{"set an unknown tab", acmeOwner, "PUT", bobPath + "/permissions", `{"permissions":["billing"]}`, "", 400},
		{"set permissions without a caller", "", "PUT", bobPath + "/permissions", `{"permissions":["home"]}`, "", 401},
		{"set permissions as a member", acmeMember, "PUT", bobPath + "/permissions", `{"permissions":["home"]}`, "", 403},
		{"set permissions of nobody", acmeOwner, "PUT", ghostPath + "/permissions", `{"permissions":["home"]}`, "", 404},
		{"set permissions of an old version", acmeOwner, "PUT", bobPath + "/permissions", `{"permissions":["home"]}`, tag(bobID, 7), 412},
		{"set permissions with a body over 16 KiB", acmeOwner, "PUT", bobPath + "/permissions", bigBody, "", 413},
		{"drop one's own users tab", acmeOwner, "PUT", ownerPath + "/permissions", `{"permissions":["home","administration"]}`, "", 422},
		{"change the owner's permissions as another manager", acmeManager, "PUT", ownerPath + "/permissions", `{"permissions":["home","users"]}`, "", 422},
		// UpdateContact
		{"update contact", acmeOwner, "PATCH", bobPath, `{"lastName":"Stoner","phone":""}`, tag(bobID, 1), 200},
		{"update own contact", acmeMember, "PATCH", memberPath, `{"firstName":null,"phone":"+1 415 555 0100"}`, "", 200},
		{"change your own email", acmeMember, "PATCH", memberPath, `{"email":"mia@example.com"}`, "", 422},
		{"a manager changes someone's email", acmeOwner, "PATCH", bobPath, `{"email":"bobby@example.com"}`, "", 200},
		{"update with a bad phone", acmeOwner, "PATCH", bobPath, `{"phone":"call me"}`, "", 400},
		{"update permissions through PATCH", acmeOwner, "PATCH", bobPath, `{"permissions":["users"]}`, "", 400},
		{"update without a caller", "", "PATCH", bobPath, `{"lastName":"X"}`, "", 401},
		{"update another user as a member", acmeMember, "PATCH", bobPath, `{"lastName":"X"}`, "", 403},
		{"update nobody", acmeOwner, "PATCH", ghostPath, `{"lastName":"X"}`, "", 404},
		{"update to a taken email", acmeOwner, "PATCH", bobPath, `{"email":"member@acme.test"}`, "", 409},
		{"update an old version", acmeOwner, "PATCH", bobPath, `{"lastName":"X"}`, tag(bobID, 2), 412},
		{"update with a body over 16 KiB", acmeOwner, "PATCH", bobPath, bigBody, "", 413},
		{"update the owner's email as another manager", acmeManager, "PATCH", ownerPath, `{"email":"boss@acme.test"}`, "", 422},
		// RemoveUser
		{"remove", acmeOwner, "DELETE", bobPath, "", tag(bobID, 1), 204},
		{"remove with a malformed If-Match", acmeOwner, "DELETE", bobPath, "", "1", 400},
		{"remove without a caller", "", "DELETE", bobPath, "", "", 401},
		{"remove as a member", acmeMember, "DELETE", bobPath, "", "", 403},
		{"remove nobody", acmeOwner, "DELETE", ghostPath, "", "", 404},
		{"remove an old version", acmeOwner, "DELETE", bobPath, "", tag(bobID, 3), 412},
		{"remove oneself", acmeOwner, "DELETE", ownerPath, "", "", 422},
		{"remove the owner as another manager", acmeManager, "DELETE", ownerPath, "", "", 422},
		// ResendInvitation (ivy is an invitee whose invitation expired)
		{"resend an invitation", acmeOwner, "POST", ivyPath + "/invitation", "", tag(ivyID, 1), 200},
		{"resend with a malformed If-Match", acmeOwner, "POST", ivyPath + "/invitation", "", "1", 400},
		{"resend without a caller", "", "POST", ivyPath + "/invitation", "", "", 401},
		{"resend as a member", acmeMember, "POST", ivyPath + "/invitation", "", "", 403},
		{"resend to nobody", acmeOwner, "POST", ghostPath + "/invitation", "", "", 404},
		{"resend to an active user", acmeOwner, "POST", bobPath + "/invitation", "", "", 409},
		{"resend an old version", acmeOwner, "POST", ivyPath + "/invitation", "", tag(ivyID, 2), 412},
		{resendTooSoon, acmeOwner, "POST", ivyPath + "/invitation", "", "", 429},
		// InviteSeveral
		{"invite several", acmeOwner, "POST", acmeInvitationsPath, `{"users":[{"email":"cy@example.com","phone":"+1 415 555 0123"},{"email":"bob@example.com"},{"email":"not an address"},{"email":"dee@example.com","permissions":["home"]}]}`, "", 200},
		{"invite several with 51 entries", acmeOwner, "POST", acmeInvitationsPath, fiftyOneInvitations, "", 400},
		{"invite several with an unknown field in an entry", acmeOwner, "POST", acmeInvitationsPath, `{"users":[{"email":"cy@example.com","role":"admin"}]}`, "", 400},
		{"invite several without a caller", "", "POST", acmeInvitationsPath, `{"users":[{"email":"cy@example.com"}]}`, "", 401},
		{"invite several by a member", acmeMember, "POST", acmeInvitationsPath, `{"users":[{"email":"cy@example.com"}]}`, "", 403},
		{"invite several with a body over 64 KiB", acmeOwner, "POST", acmeInvitationsPath, `{"users":[{"email":"cy@example.com","firstName":"` + strings.Repeat("a", httpapi.MaxInviteSeveralBodyBytes) + `"}]}`, "", 413},
		// ListActivity
		{"activity", acmeOwner, "GET", acmeActivityPath, "", "", 200},
		{"activity, first page", acmeOwner, "GET", acmeActivityPath + "?limit=1", "", "", 200},
		{"activity with limit 101", acmeOwner, "GET", acmeActivityPath + "?limit=101", "", "", 400},
		{"activity without a caller", "", "GET", acmeActivityPath, "", "", 401},
		{"activity by a member", acmeMember, "GET", acmeActivityPath, "", "", 403},
	}
	// What the cases exercise is counted from the cases, not from the
	// runs, so that running some of them (-run) does not fail the check;
	// each run checks that it got its status.
	exercised := map[string]map[int]bool{}
	record := func(op string, status int) {
		if exercised[op] == nil {
			exercised[op] = map[int]bool{}
		}
		exercised[op][status] = true
	}
	for _, c := range cases {
		record(operationOf(t, c.method, c.path), c.status)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTestStack(t)
			if c.caller == acmeManager || strings.Contains(c.body, acmeManager) {
				s.mustDo(t, apiCall{caller: acmeOwner, method: "POST", path: acmeUsersPath,
					body: `{"email":"` + acmeManager + `","permissions":["home","users"]}`}, 201)
				// The manager's first request makes them active: ownership
				// goes only to an active manager (SPEC §2.3, I9).
				s.mustDo(t, apiCall{caller: acmeManager, method: "GET", path: acmeTabsPath}, 200)
			}
			if c.name == inviteOverBudget {
				spendEmailBudget(t, s)
			}
			seedInvitee(t, s)
			if c.name == resendTooSoon {
				s.mustDo(t, resend(acmeOwner, ivyPath, ""), http.StatusOK)
			}
			// Activity with changes of every kind, so that its schema
			// is tested on all of them.
			if c.path == acmeActivityPath {
				s.mustDo(t, apiCall{caller: acmeOwner, method: "PUT", path: bobPath + "/permissions", body: `{"permissions":["crm"]}`}, 200)
				s.mustDo(t, apiCall{caller: acmeOwner, method: "PATCH", path: bobPath, body: `{"firstName":"Rob","phone":"","email":"rob@example.com"}`}, 200)
				s.mustDo(t, apiCall{caller: acmeOwner, method: "DELETE", path: "/v1/businesses/acme/users/rob@example.com"}, 204)
			}
			checkAgainstSpec(t, s.handler, c)
		})
	}
	// Failures of the store, for every route.
	for _, failure := range []struct {
		err    error
		status int
	}{
		{fmt.Errorf("dynamo: users: %w", team.ErrRateLimited), http.StatusTooManyRequests},
		{errors.New("dynamo: connection reset"), http.StatusInternalServerError},
		{fmt.Errorf("dynamo: user: %w", team.ErrUnavailable), http.StatusServiceUnavailable},
	} {
		h := httpapi.New(failingService{failure.err}, slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()
		for _, r := range httpapi.Routes() {
			c := specCall{
				name:   fmt.Sprintf("%s when the store fails with %q", r.Operation, failure.err),
				caller: acmeOwner, method: r.Method, status: failure.status,
				path: strings.NewReplacer("{businessId}", "acme", "{email}", url.PathEscape(bob)).Replace(r.Path),
				body: validBodies[r.Operation],
			}
			record(r.Operation, c.status)
			t.Run(c.name, func(t *testing.T) { checkAgainstSpec(t, h, c) })
		}
	}
	for _, o := range openAPI(t).Operations() {
		for _, status := range o.Statuses {
			if !exercised[o.ID][status] {
				t.Errorf("%s documents status %d for %s, which no case here produced; add a case, or remove it from the document", apispec.Path, status, o.ID)
			}
		}
	}
}

// validBodies are bodies each write route accepts, so that a request
// reaches the service.
var validBodies = map[string]string{
	httpapi.OpInviteUser:        `{"email":"cy@example.com"}`,
	httpapi.OpSetPermissions:    `{"permissions":["home"]}`,
	httpapi.OpUpdateContact:     `{"firstName":"Cy"}`,
	httpapi.OpTransferOwnership: `{"email":"bob@example.com"}`,
	httpapi.OpInviteSeveral:     `{"users":[{"email":"cy@example.com"}]}`,
}

// acmeInvitationsPath is invite several's path for acme.
const acmeInvitationsPath = "/v1/businesses/acme/invitations"

// fiftyOneInvitations is one entry over invite several's limit.
var fiftyOneInvitations = func() string {
	entries := make([]string, 51)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"email":"p%d@example.com"}`, i)
	}
	return `{"users":[` + strings.Join(entries, ",") + `]}`
}()

// failingService is a TeamService whose every call fails with err, as the
// real service does when its store fails.
type failingService struct{ err error }

func (f failingService) TransferOwnership(context.Context, string, team.BusinessID, string) (team.User, error) {
	return team.User{}, f.err
}

func (f failingService) ResendInvitation(context.Context, string, team.BusinessID, string, team.Precondition) (team.User, error) {
	return team.User{}, f.err
}

func (f failingService) GetBusiness(context.Context, string, team.BusinessID) (team.Business, error) {
	return team.Business{}, f.err
}

func (f failingService) ListTabs(context.Context, string, team.BusinessID) ([]team.Tab, error) {
	return nil, f.err
}

func (f failingService) ListUsers(context.Context, string, team.BusinessID, team.UserQuery, team.PageRequest) (team.UserPage, error) {
	return team.UserPage{}, f.err
}

func (f failingService) GetUser(context.Context, string, team.BusinessID, string) (team.User, error) {
	return team.User{}, f.err
}

func (f failingService) InviteUser(context.Context, string, team.BusinessID, team.Invitation) (team.User, error) {
	return team.User{}, f.err
}

func (f failingService) SetPermissions(context.Context, string, team.BusinessID, string, []string, team.Precondition) (team.User, error) {
	return team.User{}, f.err
}

func (f failingService) UpdateContact(context.Context, string, team.BusinessID, string, team.ContactPatch, team.Precondition) (team.User, error) {
	return team.User{}, f.err
}

func (f failingService) RemoveUser(context.Context, string, team.BusinessID, string, team.Precondition) error {
	return f.err
}

func (f failingService) ListActivity(context.Context, string, team.BusinessID, team.ActivityFilter, team.PageRequest) (team.ActivityPage, error) {
	return team.ActivityPage{}, f.err
}

func (f failingService) InviteSeveral(context.Context, string, team.BusinessID, []team.Invitation) ([]team.InviteResult, error) {
	return nil, f.err
}
