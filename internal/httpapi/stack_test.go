package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/memstore"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// The tests run the real stack in process: the route table and handlers of
// httpapi over the real team.Service over the in-memory store. Only the
// clock and the activity ids are fixed, so that every body can be written
// out literally.

// testNow is what the fixed clock always says; testNowJSON is how the API
// writes it.
var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

const testNowJSON = "2026-11-27T10:00:00Z"

// testEmailBudget is each business's email budget in the test stack, set
// explicitly rather than left to the default; spendEmailBudget uses it up.
const testEmailBudget = 10

// spendEmailBudget invites users into acme until its email budget for the
// hour is spent (the seeding used two of it); the clock is fixed, so the
// budget frees up exactly an hour later.
func spendEmailBudget(t testing.TB, s *testStack) {
	t.Helper()
	for i := range testEmailBudget - 2 {
		s.mustDo(t, invite(fmt.Sprintf(`{"email":"spent%d@example.com","permissions":["home"]}`, i)), http.StatusCreated)
	}
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return testNow }

// sequentialIDs numbers activity records in the order they are made. ULIDs
// made at one fixed instant would sort at random, and activity is listed
// newest first by id.
type sequentialIDs struct{ last atomic.Int64 }

func (s *sequentialIDs) NewID(time.Time) string {
	return fmt.Sprintf("act-%06d", s.last.Add(1))
}

// The seeded people. acme is the business under test; globex is another
// tenant whose owner must never see or touch anything of acme.
const (
	acmeOwner   = "owner@acme.test"   // manager of acme: holds every enabled tab
	acmeMember  = "member@acme.test"  // user of acme without the users permission
	bob         = "bob@example.com"   // another user of acme, the usual target
	ghost       = "ghost@example.com" // belongs to no business
	globexOwner = "owner@globex.test" // manager of globex only
)

// acmeTabs are the tabs acme enabled, in display order: not store, not
// automations.
var acmeTabs = []string{"home", "conversations", "crm", "reports", "administration", "users"}

// Paths of the seeded users, as a client writes them.
const (
	acmeUsersPath    = "/v1/businesses/acme/users"
	acmeActivityPath = "/v1/businesses/acme/activity"
	acmeTabsPath     = "/v1/businesses/acme/tabs"
	bobPath          = "/v1/businesses/acme/users/bob@example.com"
	memberPath       = "/v1/businesses/acme/users/member@acme.test"
	ownerPath        = "/v1/businesses/acme/users/owner@acme.test"
	ghostPath        = "/v1/businesses/acme/users/ghost@example.com"
)

type testStack struct {
	store   *memstore.Store
	handler http.Handler
	// log receives what the API logs; it logs only server errors, so it
	// stays empty in every test of behaviour a client can cause.
	log *bytes.Buffer
}

// newTestStack builds the stack and seeds acme (owner, member, bob) and
// globex (its owner). The member and bob are invited through the API, as a
// manager would, so the activity of acme starts with those two additions;
// then they are made active as seeded, so that their requests in tests that
// are not about activation do not activate them (SPEC §2.3: an invitee's
// first request writes). The lifecycle tests invite their own users.
func newTestStack(t testing.TB) *testStack {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	acmePerms, err := team.ParsePermissions(acmeTabs)
	if err != nil {
		t.Fatal(err)
	}
	allPerms := team.PermissionsOf([]string{"home", "conversations", "crm", "store", "automations", "reports", "administration", "users"})
	for _, seed := range []struct {
		business team.Business
		owner    team.User
	}{
		{
			team.Business{ID: "acme", Name: "Acme", Tabs: acmePerms, CreatedAt: testNow},
			team.User{BusinessID: "acme", ID: "usr_acmeowner", Email: acmeOwner, FirstName: "Olive", LastName: "Owner",
				Permissions: acmePerms, CreatedAt: testNow, UpdatedAt: testNow, Version: 1},
		},
		{
			team.Business{ID: "globex", Name: "Globex", Tabs: allPerms, CreatedAt: testNow},
			team.User{BusinessID: "globex", ID: "usr_globexowner", Email: globexOwner, FirstName: "Gus", LastName: "Globex",
				Permissions: allPerms, CreatedAt: testNow, UpdatedAt: testNow, Version: 1},
		},
	} {
		if err := store.CreateBusiness(ctx, seed.business, seed.owner); err != nil {
			t.Fatalf("seed %s: %v", seed.business.ID, err)
		}
	}
	var log bytes.Buffer
	svc := team.NewService(store, fixedClock{}, &sequentialIDs{}, phone.Normalizer{}, team.WithEmailBudget(testEmailBudget))
	s := &testStack{
		store: store,
		// Only server errors reach log: every request has its line at
		// info level (SPEC §7), and the tests check that nothing a client
		// can cause is logged as a server error.
		handler: httpapi.New(svc, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelError}))).Mux(),
		log:     &log,
	}
	for _, body := range []string{
		`{"email":"member@acme.test","firstName":"Mia","lastName":"Member","permissions":["home","conversations"]}`,
		`{"email":"bob@example.com","firstName":"Bob","lastName":"Stone","phone":"+14155550199","permissions":["home","crm"]}`,
	} {
		rec := s.do(apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeUsersPath, body: body})
		if rec.Code != http.StatusCreated {
			t.Fatalf("seed invite %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	for _, email := range []string{acmeMember, bob} {
		u, err := store.User(ctx, "acme", email)
		if err != nil {
			t.Fatal(err)
		}
		u.Status, u.ActivatedAt = team.StatusActive, testNow
		store.SeedUser(u)
	}
	return s
}

// apiCall is one request as a client sends it.
type apiCall struct {
	caller  string // the verified email claim; "" sends an unauthenticated request
	method  string
	path    string // with query string, percent-encoded as on the wire
	body    string
	ifMatch string
	// contentType defaults to application/json when there is a body.
	contentType string
}

func (s *testStack) do(c apiCall) *httptest.ResponseRecorder {
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if c.caller != "" {
		req = req.WithContext(httpapi.WithCaller(req.Context(), c.caller))
	}
	switch {
	case c.contentType != "":
		req.Header.Set("Content-Type", c.contentType)
	case c.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if c.ifMatch != "" {
		req.Header.Set("If-Match", c.ifMatch)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec
}

// mustDo sends a call that is part of a test's setup and must succeed.
func (s *testStack) mustDo(t testing.TB, c apiCall, status int) *httptest.ResponseRecorder {
	t.Helper()
	rec := s.do(c)
	if rec.Code != status {
		t.Fatalf("setup %s %s: status %d, want %d; body %s", c.method, c.path, rec.Code, status, rec.Body)
	}
	return rec
}

// decodeBody returns the JSON body as generic values, so that comparisons
// see exactly what a client sees: a missing field differs from a null one.
func decodeBody(t testing.TB, rec *httptest.ResponseRecorder) any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body %s", ct, rec.Body)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON: %v; body %q", err, rec.Body)
	}
	if dec.More() {
		t.Fatalf("body holds more than one JSON value: %q", rec.Body)
	}
	return v
}

// assertJSON checks the status and that the body is exactly want.
func assertJSON(t testing.TB, rec *httptest.ResponseRecorder, status int, want any) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if diff := cmp.Diff(want, decodeBody(t, rec)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

// specStatus is the error table of SPEC §4, written out here rather than
// taken from httpapi, so that a change to the API's map is caught.
var specStatus = map[string]int{
	"invalid_request":     http.StatusBadRequest,
	"unauthenticated":     http.StatusUnauthorized,
	"forbidden":           http.StatusForbidden,
	"invitation_expired":  http.StatusForbidden,
	"not_found":           http.StatusNotFound,
	"user_exists":         http.StatusConflict,
	"already_active":      http.StatusConflict,
	"precondition_failed": http.StatusPreconditionFailed,
	"payload_too_large":   http.StatusRequestEntityTooLarge,
	"self_lockout":        http.StatusUnprocessableEntity,
	"owner_protected":     http.StatusUnprocessableEntity,
	"rate_limited":        http.StatusTooManyRequests,
	"internal":            http.StatusInternalServerError,
	"unavailable":         http.StatusServiceUnavailable,
}

// errorShapeProblem returns what is wrong with an error response, or "" if
// it is {"error":{"code","message"[,"fields"]}} as JSON with a code of the
// §4 table and a non-empty message. It returns the code it found.
func errorShapeProblem(rec *httptest.ResponseRecorder) (code string, problem string) {
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		return "", fmt.Sprintf("Content-Type = %q, want application/json", ct)
	}
	var body struct {
		Error *struct {
			Code    *string            `json:"code"`
			Message *string            `json:"message"`
			Fields  map[string]*string `json:"fields"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return "", fmt.Sprintf("error body is not {\"error\":{\"code\",\"message\",\"fields\"?}}: %v", err)
	}
	if dec.More() {
		return "", "error body holds more than one JSON value"
	}
	switch e := body.Error; {
	case e == nil:
		return "", "error body has no error object"
	case e.Code == nil || *e.Code == "":
		return "", "error body has no code"
	case e.Message == nil || strings.TrimSpace(*e.Message) == "":
		return *e.Code, "error body has no message"
	default:
		if _, known := specStatus[*e.Code]; !known {
			return *e.Code, fmt.Sprintf("code %q is not in the error table of SPEC §4", *e.Code)
		}
		for name, reason := range e.Fields {
			if reason == nil || *reason == "" {
				return *e.Code, fmt.Sprintf("fields.%s gives no reason", name)
			}
		}
		return *e.Code, ""
	}
}

// assertError checks an error answer: status, code, the body's shape, and
// which fields it names (none when fields is empty: then "fields" must be
// absent).
func assertError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string, fields ...string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	gotCode, problem := errorShapeProblem(rec)
	if problem != "" {
		t.Fatalf("%s; body %s", problem, rec.Body)
	}
	if gotCode != code {
		t.Errorf("code = %q, want %q; body %s", gotCode, code, rec.Body)
	}
	if status != http.StatusMethodNotAllowed && specStatus[gotCode] != status {
		t.Errorf("status %d does not match code %q, which SPEC §4 maps to %d", status, gotCode, specStatus[gotCode])
	}
	var body struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	var gotFields []string
	for name := range body.Error.Fields {
		gotFields = append(gotFields, name)
	}
	slices.Sort(gotFields)
	wantFields := slices.Sorted(slices.Values(fields))
	if diff := cmp.Diff(wantFields, gotFields); diff != "" {
		t.Errorf("fields named (-want +got):\n%s\nbody %s", diff, rec.Body)
	}
}

// userBody is the JSON a client receives for a user. A nil firstName,
// lastName, phone or invitedBy is JSON null; empty timestamps are testNow.
// The lifecycle fields follow from who the user is: the seeded owner is
// active with neither an invitation nor an activation time (seeded as a
// business's first user), the seeded member and bob were invited at testNow
// and are active since testNow, and every user a test invites is invited
// until testNow plus the default INVITATION_TTL.
type userBody struct {
	id                                    string
	email                                 string
	firstName, lastName, phone, invitedBy any
	permissions                           []string
	createdAt, updatedAt                  string
	version                               int
	isOwner                               bool
	// phoneDisplay is what the service computed from phone when it
	// stored it; nil (JSON null) with no phone.
	phoneDisplay any
	// reinvited says a manager changed the user's email: whatever their
	// id, they are invited again at testNow (SPEC §2.5).
	reinvited bool
}

func (u userBody) json() map[string]any {
	perms := make([]any, len(u.permissions))
	for i, p := range u.permissions {
		perms[i] = p
	}
	created, updated := u.createdAt, u.updatedAt
	if created == "" {
		created = testNowJSON
	}
	if updated == "" {
		updated = testNowJSON
	}
	id := u.id
	if id == "" {
		id = firstInvitedID
	}
	body := map[string]any{
		"id": id, "email": u.email, "firstName": u.firstName, "lastName": u.lastName, "phone": u.phone,
		"permissions": perms, "profileImageUrl": nil, "invitedBy": u.invitedBy,
		"createdAt": created, "updatedAt": updated, "version": float64(u.version),
		"isOwner": u.isOwner, "phoneDisplay": u.phoneDisplay,
		"status": "invited", "invitationExpiresAt": testExpiresJSON, "activatedAt": nil,
	}
	switch {
	case u.reinvited:
	case id == ownerID:
		body["status"], body["invitationExpiresAt"] = "active", nil
	case id == memberID, id == bobID:
		body["status"], body["activatedAt"] = "active", testNowJSON
	}
	return body
}

// testExpiresJSON is when an invitation made at testNow expires, with the
// default INVITATION_TTL of 14 days.
var testExpiresJSON = testNow.Add(team.DefaultInvitationTTL).Format(time.RFC3339)

// The ids of the seeded users: the owner's is seeded, the others' are what
// the invites of newTestStack draw from sequentialIDs (each invite draws the
// user's id, then the activity's).
const (
	ownerID  = "usr_acmeowner"
	memberID = "usr_act-000001"
	bobID    = "usr_act-000003"
	// firstInvitedID is the id of the first user a test invites after
	// newTestStack seeded its users; a userBody without an id has it.
	firstInvitedID = "usr_act-000005"
)

// tag is the ETag the API gives a user at a version.
func tag(id string, version int) string { return fmt.Sprintf(`"%s.%d"`, id, version) }

// The seeded users as the API first returns them.
var (
	ownerBody  = userBody{id: ownerID, email: acmeOwner, firstName: "Olive", lastName: "Owner", permissions: acmeTabs, version: 1, isOwner: true}
	memberBody = userBody{id: memberID, email: acmeMember, firstName: "Mia", lastName: "Member",
		permissions: []string{"home", "conversations"}, invitedBy: acmeOwner, version: 1}
	bobBody = userBody{id: bobID, email: bob, firstName: "Bob", lastName: "Stone", phone: "+14155550199", phoneDisplay: "+1 415-555-0199",
		permissions: []string{"home", "crm"}, invitedBy: acmeOwner, version: 1}
)

// jsonStrings returns the values as a client decodes a JSON array of strings.
func jsonStrings(values ...string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}
