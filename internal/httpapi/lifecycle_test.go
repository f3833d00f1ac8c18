package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// The invitation lifecycle of SPEC §2.3 and §4 "Status": an invitee becomes
// active on their first request to any route of the business, and an
// expired invitation refuses every route until a manager resends it.

const (
	cy     = "cy@example.com" // invited by the tests below
	cyPath = "/v1/businesses/acme/users/cy@example.com"
)

// everyRouteAs returns one call per route of the table, made by caller and
// aimed at bob, so that a test covers a route added later without being
// edited.
func everyRouteAs(caller string) []apiCall {
	bodies := map[string]string{
		httpapi.OpInviteUser:     `{"email":"dee@example.com"}`,
		httpapi.OpSetPermissions: `{"permissions":["crm"]}`,
		httpapi.OpUpdateContact:  `{"firstName":"Robert"}`,
	}
	var calls []apiCall
	for _, r := range httpapi.Routes() {
		body, ok := bodies[r.Operation]
		if !ok && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
			body = `{}`
		}
		path := strings.NewReplacer("{businessId}", "acme", "{email}", bob).Replace(r.Path)
		calls = append(calls, apiCall{caller: caller, method: r.Method, path: path, body: body})
	}
	return calls
}

func TestFirstRequestActivatesTheInvitee(t *testing.T) {
	s := newTestStack(t)
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeUsersPath, body: `{"email":"cy@example.com","permissions":["home"]}`}, http.StatusCreated)
	invited := userBody{email: cy, permissions: []string{"home"}, invitedBy: acmeOwner, version: 1}.json()
	assertJSON(t, s.do(apiCall{caller: acmeOwner, method: http.MethodGet, path: cyPath}), http.StatusOK, invited)

	// Cy's first request, to a route any user may call, makes them active in
	// that same request, and records it once.
	rec := s.do(apiCall{caller: cy, method: http.MethodGet, path: "/v1/businesses/acme/tabs"})
	if rec.Code != http.StatusOK {
		t.Fatalf("first request: %d %s", rec.Code, rec.Body)
	}
	active := userBody{email: cy, permissions: []string{"home"}, invitedBy: acmeOwner, version: 2}.json()
	active["status"], active["activatedAt"] = "active", testNowJSON
	assertJSON(t, s.do(apiCall{caller: cy, method: http.MethodGet, path: cyPath}), http.StatusOK, active)
	if got := s.do(apiCall{caller: cy, method: http.MethodGet, path: cyPath}).Header().Get("ETag"); got != tag(firstInvitedID, 2) {
		t.Errorf("ETag after activation = %s, want %s", got, tag(firstInvitedID, 2))
	}

	rec = s.do(apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeActivityPath})
	body := decodeBody(t, rec).(map[string]any)
	var activated []any
	for _, a := range body["activity"].([]any) {
		if a.(map[string]any)["type"] == "user.activated" {
			activated = append(activated, a)
		}
	}
	if len(activated) != 1 {
		t.Fatalf("user.activated records = %d, want 1: %v", len(activated), body)
	}
	a := activated[0].(map[string]any)
	if a["actor"].(map[string]any)["email"] != cy || a["target"].(map[string]any)["email"] != cy || a["at"] != testNowJSON {
		t.Errorf("user.activated = %v, want Cy acting on Cy at %s", a, testNowJSON)
	}
}

func TestExpiredInvitationRefusesEveryRoute(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perms   team.Permissions
		expires time.Time
	}{
		{"a member", team.Permissions{team.TabHome}, testNow.Add(-time.Second)},
		{"a manager", team.Permissions{team.TabHome, team.TabUsers}, testNow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStack(t)
			s.store.SeedUser(team.User{BusinessID: "acme", ID: "usr_cy", Email: cy, Permissions: tc.perms, InvitedBy: acmeOwner,
				CreatedAt: testNow.Add(-15 * 24 * time.Hour), UpdatedAt: testNow.Add(-15 * 24 * time.Hour), Version: 1,
				Status: team.StatusInvited, InvitationSentAt: testNow.Add(-15 * 24 * time.Hour), InvitationExpiresAt: tc.expires})
			for _, call := range everyRouteAs(cy) {
				writes := s.store.AppliedCount()
				rec := s.do(call)
				if rec.Code != http.StatusForbidden {
					t.Errorf("%s %s: status %d, want 403; body %s", call.method, call.path, rec.Code, rec.Body)
					continue
				}
				if code, problem := errorShapeProblem(rec); problem != "" || code != "invitation_expired" {
					t.Errorf("%s %s: code %q (%s), want invitation_expired", call.method, call.path, code, problem)
				}
				if s.store.AppliedCount() != writes {
					t.Errorf("%s %s: a refused request wrote", call.method, call.path)
				}
			}
			u, err := s.store.User(t.Context(), "acme", cy)
			if err != nil || u.Status != team.StatusInvited || u.Version != 1 {
				t.Errorf("after the refused requests Cy is %+v (%v), want invited at version 1", u, err)
			}
		})
	}
}
