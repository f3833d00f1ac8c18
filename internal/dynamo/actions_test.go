package dynamo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestEachRouteCallsExactlyItsActions derives each function's DynamoDB
// permissions from the code: it drives every route of the route table
// through its paths (a manager's first request, which activates them; a
// changed picture claim; the route's own branches) on DynamoDB Local,
// records the IAM actions the requests need, and requires them to be
// exactly the route's DynamoDBActions, from which template.yaml's policies
// are generated. A missing action would fail in AWS with AccessDenied; an
// extra one is a permission no code uses.
func TestEachRouteCallsExactlyItsActions(t *testing.T) {
	rec := &dynamotest.Actions{}
	client := dynamotest.Client(t, rec.Install)
	store := dynamo.NewStore(client, dynamotest.NewTableWithoutStream(t, client))
	now := time.Now().UTC()
	if err := store.CreateBusiness(context.Background(),
		team.Business{ID: "acme", Name: "Acme", Tabs: allTabs, CreatedAt: now},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: allTabs, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	clock := &dynamotest.Clock{}
	api := httpapi.New(team.NewService(store, clock, team.ULIDSource{}, phone.Normalizer{}),
		slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()

	// Which route a request takes, by the route table's own patterns.
	patterns := http.NewServeMux()
	operationOf := map[string]string{}
	for _, r := range httpapi.Routes() {
		pattern := r.Method + " " + r.Path
		patterns.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		operationOf[pattern] = r.Operation
	}

	type step struct {
		caller, picture, method, path, body string
		status                              int
	}
	do := func(t *testing.T, s step) {
		t.Helper()
		if s == (step{}) {
			// A pause: time passes for the service, no request is made.
			clock.Pass(6 * time.Minute)
			return
		}
		req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
		ctx := httpapi.WithCaller(req.Context(), s.caller)
		if s.picture != "" {
			ctx = httpapi.WithCallerPicture(ctx, s.picture)
		}
		req = req.WithContext(ctx)
		_, pattern := patterns.Handler(req)
		rec.Attribute(operationOf[pattern]) // "" for setup outside the table: not recorded
		defer rec.Attribute("")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		if w.Code != s.status {
			t.Fatalf("%s %s as %s: status %d (%s), want %d", s.method, s.path, s.caller, w.Code, w.Body, s.status)
		}
	}
	const owner = "owner@acme.test"
	users := "/v1/businesses/acme/users"
	invite := func(email, perms string) step {
		return step{caller: owner, method: "POST", path: users, body: fmt.Sprintf(`{"email":%q,"permissions":%s}`, email, perms), status: 201}
	}

	all := `["home","conversations","crm","store","automations","reports","administration","users"]`
	// One invited manager per route, whose first request is that route's,
	// and people to act on. These invites are InviteUser's own requests
	// too (explicit permissions).
	firstOf := func(op string) string { return "first-" + strings.ToLower(op) + "@acme.test" }
	for _, r := range httpapi.Routes() {
		do(t, invite(firstOf(r.Operation), all))
	}
	for _, email := range []string{"amy@acme.test", "ben@acme.test", "cat@acme.test"} {
		do(t, invite(email, `["crm"]`))
	}
	steps := []step{
		// Reads: an invited manager's first request activates them; a
		// changed picture is recorded; the read itself.
		{firstOf(httpapi.OpGetBusiness), "", "GET", "/v1/businesses/acme", "", 200},
		{owner, "https://example.com/a.png", "GET", "/v1/businesses/acme", "", 200},
		{firstOf(httpapi.OpListTabs), "", "GET", "/v1/businesses/acme/tabs", "", 200},
		{owner, "https://example.com/b.png", "GET", "/v1/businesses/acme/tabs", "", 200},
		{firstOf(httpapi.OpListUsers), "", "GET", users + "?limit=2", "", 200},
		{owner, "https://example.com/c.png", "GET", users, "", 200},
		// Every shape of the list: a search and a tab read index items
		// and the users they name; a status and the other sorts read the
		// list's indexes.
		{owner, "", "GET", users + "?q=first", "", 200},
		{owner, "", "GET", users + "?tab=crm", "", 200},
		{owner, "", "GET", users + "?tab=crm&sort=name", "", 200},
		{owner, "", "GET", users + "?status=invited&sort=newest", "", 200},
		{owner, "", "GET", users + "?sort=name", "", 200},
		{firstOf(httpapi.OpGetUser), "", "GET", users + "/amy@acme.test", "", 200},
		{owner, "https://example.com/d.png", "GET", users + "/" + owner, "", 200},
		{firstOf(httpapi.OpListActivity), "", "GET", "/v1/businesses/acme/activity", "", 200},
		{owner, "https://example.com/e.png", "GET", "/v1/businesses/acme/activity?type=user.added", "", 200},
		{owner, "", "GET", "/v1/businesses/acme/activity?userId=usr_owner", "", 200},
		// Invites: the default permissions read the business; a
		// duplicate is refused; an invited manager's first invite.
		{owner, "", "POST", users, `{"email":"dan@acme.test"}`, 201},
		{owner, "", "POST", users, `{"email":"dan@acme.test"}`, 409},
		{firstOf(httpapi.OpInviteUser), "", "POST", users, `{"email":"eve@acme.test","permissions":["crm"]}`, 201},
		{owner, "https://example.com/f.png", "POST", users, `{"email":"fay@acme.test","phone":"+1 415 555 0100","permissions":["crm"]}`, 201},
		// Invite several: an invited manager's first request; entries
		// with the default permissions (the business), a duplicate.
		{firstOf(httpapi.OpInviteSeveral), "", "POST", "/v1/businesses/acme/invitations", `{"users":[{"email":"gus@acme.test"},{"email":"eve@acme.test"},{"email":"hal@acme.test","phone":"+1 415 555 0101","permissions":["crm"]}]}`, 200},
		// Permissions: granting checks the tabs on the profile.
		{firstOf(httpapi.OpSetPermissions), "", "PUT", users + "/amy@acme.test/permissions", `{"permissions":["crm","home"]}`, 200},
		{owner, "https://example.com/g.png", "PUT", users + "/amy@acme.test/permissions", `{"permissions":["crm"]}`, 200},
		// Contact: names, then an email change (the old item goes).
		{firstOf(httpapi.OpUpdateContact), "", "PATCH", users + "/ben@acme.test", `{"firstName":"Ben"}`, 200},
		{owner, "https://example.com/h.png", "PATCH", users + "/ben@acme.test", `{"email":"benjamin@acme.test","phone":"+44 20 7946 0958"}`, 200},
		// Removal, and the owner protected.
		{firstOf(httpapi.OpRemoveUser), "", "DELETE", users + "/cat@acme.test", "", 204},
		{owner, "https://example.com/i.png", "DELETE", users + "/dan@acme.test", "", 204},
		{firstOf(httpapi.OpRemoveUser), "", "DELETE", users + "/" + owner, "", 422},
		// Resend: an invited manager's first request resends an
		// invitation (budget shards, a slot); a resend to an active user.
		// A pause of six minutes ({}), past the one-resend-per-five-minutes
		// limit that counts the invite itself.
		{},
		{firstOf(httpapi.OpResendInvitation), "", "POST", users + "/amy@acme.test/invitation", "", 200},
		{owner, "https://example.com/k.png", "POST", users + "/" + firstOf(httpapi.OpGetBusiness) + "/invitation", "", 409},
		// Ownership: an invited manager's first request (not the owner:
		// 403), then a hand-over, last, since the owner changes.
		{firstOf(httpapi.OpTransferOwnership), "", "POST", "/v1/businesses/acme/owner", `{"email":"amy@acme.test"}`, 403},
		{owner, "https://example.com/j.png", "POST", "/v1/businesses/acme/owner", fmt.Sprintf(`{"email":%q}`, firstOf(httpapi.OpGetBusiness)), 200},
	}
	for _, s := range steps {
		do(t, s)
	}

	for _, r := range httpapi.Routes() {
		got := rec.Of(r.Operation)
		want := slices.Sorted(slices.Values(r.DynamoDBActions))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the route's DynamoDBActions (-) differ from what its requests need (+):\n%s", r.Operation, diff)
		}
	}
}
