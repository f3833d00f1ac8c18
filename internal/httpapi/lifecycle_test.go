package httpapi_test

import (
	"net/http"
	"net/http/httptest"
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
		httpapi.OpInviteSeveral:  `{"users":[{"email":"dee@example.com"}]}`,
		httpapi.OpSetPermissions: `{"permissions":["crm"]}`,
		httpapi.OpUpdateContact:  `{"firstName":"Robert"}`,
		// A valid body, so that the refusal comes from the caller.
		httpapi.OpTransferOwnership: `{"email":"bob@example.com"}`,
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

// The token's picture claim (https, at most 2,048 characters) becomes the
// user's profileImageUrl at activation, and is kept current afterwards with
// one write only when it changes, recording no activity.
func TestPictureClaimBecomesTheProfileImage(t *testing.T) {
	s := newTestStack(t)
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeUsersPath, body: `{"email":"cy@example.com","permissions":["home"]}`}, http.StatusCreated)
	activityCount := func() int {
		body := decodeBody(t, s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeActivityPath}, http.StatusOK)).(map[string]any)
		return len(body["activity"].([]any))
	}
	asCy := func(picture string) map[string]any {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, cyPath, nil)
		ctx := httpapi.WithCallerPicture(httpapi.WithCaller(req.Context(), cy), picture)
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET self with picture %q: %d %s", picture, rec.Code, rec.Body)
		}
		return decodeBody(t, rec).(map[string]any)
	}
	const pic1, pic2 = "https://img.example.com/cy.png", "https://img.example.com/cy-2.png"

	acts := activityCount()
	got := asCy(pic1) // the first request: activation records the picture
	if got["profileImageUrl"] != pic1 || got["status"] != "active" || got["version"] != 2.0 {
		t.Errorf("after activation: profileImageUrl %v, status %v, version %v; want %s, active, 2", got["profileImageUrl"], got["status"], got["version"], pic1)
	}
	if n := activityCount(); n != acts+1 {
		t.Errorf("activation recorded %d activity records, want 1 (user.activated)", n-acts)
	}

	for _, tc := range []struct {
		name, picture string
		want          any
		version       float64
		writes        int
	}{
		{"the same picture writes nothing", pic1, pic1, 2, 0},
		{"no picture keeps the stored one", "", pic1, 2, 0},
		{"an http picture is ignored", "http://img.example.com/cy.png", pic1, 2, 0},
		{"a picture over 2,048 characters is ignored", "https://img.example.com/" + strings.Repeat("x", 2048), pic1, 2, 0},
		{"a new picture is one write", pic2, pic2, 3, 1},
	} {
		writes, acts := s.store.AppliedCount(), activityCount()
		got := asCy(tc.picture)
		if got["profileImageUrl"] != tc.want || got["version"] != tc.version {
			t.Errorf("%s: profileImageUrl %v at version %v, want %v at %v", tc.name, got["profileImageUrl"], got["version"], tc.want, tc.version)
		}
		if n := s.store.AppliedCount() - writes; n != tc.writes {
			t.Errorf("%s: %d writes, want %d", tc.name, n, tc.writes)
		}
		if n := activityCount(); n != acts {
			t.Errorf("%s: %d activity records added, want none", tc.name, n-acts)
		}
	}
}
