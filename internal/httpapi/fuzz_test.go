package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// fuzzMethods and fuzzCallers are what the fuzzer's indexes choose from:
// every method the API serves, some it does not, and callers of every kind
// (manager, member, other tenant, none, unnormalised, not an email).
var (
	fuzzMethods = []string{
		http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodHead, http.MethodOptions, "BREW",
	}
	fuzzCallers = []string{acmeOwner, acmeMember, globexOwner, "", " Owner@ACME.test ", "not-an-email", "Olive <owner@acme.test>"}
)

// Indexes into fuzzMethods and fuzzCallers, for readable seeds.
const (
	fuzzGet, fuzzPost, fuzzPut, fuzzPatch, fuzzDelete, fuzzHead, fuzzOptions, fuzzBrew      = 0, 1, 2, 3, 4, 5, 6, 7
	asOwner, asMember, asGlobex, asNobody, asOwnerUnnormalised, asNotAnEmail, asDisplayName = 0, 1, 2, 3, 4, 5, 6
)

// FuzzRequest sends arbitrary requests through the whole API over a seeded
// store and checks what SPEC §3 (I7) and §4 promise for any input: never a
// 5xx; every refusal is a JSON error with a code of the §4 table and the
// status that code maps to; a refused request writes nothing; a request
// writes at most once; and neither tenant nor the last manager is ever lost.
func FuzzRequest(f *testing.F) {
	nested := strings.Repeat("[", 6000) + strings.Repeat("]", 6000)
	seeds := []struct {
		method, caller uint8
		path, body     string
		ifMatch        string
	}{
		// Ordinary requests, so that the fuzzer starts from every route.
		{fuzzGet, asOwner, "/v1/businesses/acme/tabs", "", ""},
		{fuzzGet, asMember, "/v1/businesses/acme/users?limit=1", "", ""},
		{fuzzGet, asOwner, "/v1/businesses/acme/users/bob%40example.com", "", ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":" Ann@Example.COM ","phone":"+1 (415) 555-0100","permissions":["home"]}`, ""},
		{fuzzPut, asOwner, "/v1/businesses/acme/users/bob@example.com/permissions", `{"permissions":["crm"]}`, tag(bobID, 1)},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":"bobby@example.com","phone":""}`, ""},
		{fuzzPatch, asMember, "/v1/businesses/acme/users/member@acme.test", `{"firstName":"Mina","email":"mia@example.com"}`, tag(memberID, 1)},
		{fuzzDelete, asOwner, "/v1/businesses/acme/users/bob@example.com", "", "*"},
		{fuzzGet, asOwner, "/v1/businesses/acme/activity?limit=2", "", ""},
		// Hostile bodies.
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":` + nested + `}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"cy@example.com","firstName":` + nested + `}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"cy@example.com","firstName":"` + strings.Repeat("a", 20000) + `"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"cy@example.com","lastName":"` + strings.Repeat("é", 101) + `"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", "{\"email\":\"cy\x00@example.com\"}", ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"cy@example.com","firstName":"A\u0000B"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", "{\"email\":\"\xff\xfe@example.com\"}", ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"cy@example.com","firstName":"\u202eAnn","lastName":"\u2066Lee\u2069"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"Ann <a@b.co>"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"bob\u200b@example.com","firstName":"Bob\u2028"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"\"ann lee\"@example.com"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 231) + `.com"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"cy@example.com","permissions":[null]}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":1,"firstName":true,"phone":4155550100,"permissions":{"home":true}}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"a@b.co","email":"c@d.co"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"email":"a@b.co"}{}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/users", `{"Email":"a@b.co","permissions":["store"]}`, ""},
		{fuzzPost, asGlobex, "/v1/businesses/acme/users", `{"email":"owner@acme.test"}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"permissions":["users"]}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":"owner@acme.test"}`, `W/"1"`},
		{fuzzPatch, asMember, "/v1/businesses/acme/users/member@acme.test", `{"email":"bob@example.com"}`, ""},
		{fuzzPut, asOwner, "/v1/businesses/acme/users/owner@acme.test/permissions", `{"permissions":["home"]}`, ""},
		{fuzzPut, asGlobex, "/v1/businesses/acme/users/bob@example.com/permissions", `{"permissions":[]}`, `"99"`},
		{fuzzDelete, asOwner, "/v1/businesses/acme/users/OWNER%40acme.test", "", ""},
		{fuzzDelete, asMember, "/v1/businesses/acme/users/member@acme.test", "", `"1", "2"`},
		// Email changes (SPEC v2 §2.5, I2, I9): a manager's change of
		// someone's email, your own email, the owner's, and hostile emails.
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":" BOBBY@example.com ","lastName":"Stone"}`, tag(bobID, 1)},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/owner@acme.test", `{"email":"olive@example.com","firstName":"Olive"}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/owner@acme.test", `{"email":"OWNER@acme.test","phone":"+1 (415) 555-0100"}`, ""},
		{fuzzPatch, asMember, "/v1/businesses/acme/users/owner@acme.test", `{"email":"boss@example.com"}`, ""},
		{fuzzPatch, asMember, "/v1/businesses/acme/users/member@acme.test", `{"email":"member@acme.test","lastName":""}`, ""},
		{fuzzPatch, asGlobex, "/v1/businesses/acme/users/bob@example.com", `{"email":"boss@globex.test"}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":"bo%2Fb@example.com"}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":null,"phone":null}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":"","firstName":"Bob"}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":["bob@example.com"]}`, ""},
		{fuzzPatch, asOwner, "/v1/businesses/acme/users/bob@example.com", `{"email":"bobby@example.com","email":"member@acme.test"}`, ""},
		// Handing on ownership: the body {"email"}.
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":"bob@example.com"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":" Member@ACME.test "}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":"owner@acme.test"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":"nobody@acme.test"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":null}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":"bob@example.com","isOwner":true}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `{"email":"Bob <bob@example.com>"}`, ""},
		{fuzzPost, asOwner, "/v1/businesses/acme/owner", `[{"email":"bob@example.com"}]`, ""},
		{fuzzPost, asMember, "/v1/businesses/acme/owner", `{"email":"member@acme.test"}`, ""},
		{fuzzPost, asGlobex, "/v1/businesses/acme/owner", `{"email":"boss@globex.test"}`, ""},
		// Hostile paths and headers.
		{fuzzGet, asOwner, "/v1/businesses/acme/users/a%2Fb@example.com", "", ""},
		{fuzzGet, asOwner, "/v1/businesses/acme/users/%00", "", ""},
		{fuzzGet, asOwner, "/v1/businesses/acme%2F..%2Fglobex/users", "", ""},
		{fuzzGet, asOwner, "/v1/businesses/acme/../globex/users", "", ""},
		{fuzzGet, asOwner, "/v1/businesses/acme/users?limit=0&cursor=%ff", "", ""},
		{fuzzGet, asOwner, "/v1/businesses/" + strings.Repeat("x", 65) + "/tabs", "", ""},
		{fuzzHead, asNobody, "/v1/businesses/acme/users", "", ""},
		{fuzzOptions, asOwnerUnnormalised, "/v1/businesses/acme/users/bob@example.com", "", ""},
		{fuzzBrew, asNotAnEmail, "/v1/businesses/acme/tabs", "", ""},
		{fuzzPut, asDisplayName, "/v1/businesses/acme/users/bob@example.com/permissions", `{"permissions":[]}`, "\x00"},
	}
	for _, seed := range seeds {
		f.Add(seed.method, seed.caller, seed.path, []byte(seed.body), seed.ifMatch)
	}
	// Cursors are opaque: take real ones from acme and offer them to globex.
	s := newTestStack(f)
	for _, list := range []string{"users", "activity"} {
		rec := s.do(apiCall{caller: acmeOwner, method: http.MethodGet, path: "/v1/businesses/acme/" + list + "?limit=1"})
		var page struct{ NextCursor string }
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.NextCursor == "" {
			f.Fatalf("no cursor from acme's %s: %s", list, rec.Body)
		}
		f.Add(uint8(fuzzGet), uint8(asGlobex), "/v1/businesses/globex/"+list+"?cursor="+page.NextCursor, []byte(nil), "")
	}

	f.Fuzz(func(t *testing.T, methodIndex, callerIndex uint8, path string, body []byte, ifMatch string) {
		method := fuzzMethods[int(methodIndex)%len(fuzzMethods)]
		caller := fuzzCallers[int(callerIndex)%len(fuzzCallers)]
		// The API is mounted at /v1/; whatever is outside it belongs to
		// other handlers of the local stack.
		if !strings.HasPrefix(path, "/v1/") {
			path = "/v1/" + strings.TrimLeft(path, "/")
		}
		req, err := http.NewRequestWithContext(context.Background(), method, "http://api.test"+path, bytes.NewReader(body))
		if err != nil {
			return // no server receives a request line that does not parse
		}
		if caller != "" {
			req = req.WithContext(httpapi.WithCaller(req.Context(), caller))
		}
		req.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}

		s := newTestStack(t)
		writes := s.store.AppliedCount()
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		wrote := s.store.AppliedCount() - writes

		// Bodies are cut short in the log: a failing input is kept whole in
		// testdata/fuzz anyway.
		t.Logf("%s %s as %q, If-Match %q, body %.300q: %d %.300s", method, req.URL.RequestURI(), caller, ifMatch, body, rec.Code, rec.Body)
		if rec.Code >= 500 {
			t.Fatalf("server error %d for client input; log: %s", rec.Code, s.log)
		}
		if wrote > 1 {
			t.Errorf("one request committed %d writes", wrote)
		}
		if wrote > 0 && (method == http.MethodGet || method == http.MethodHead) {
			t.Errorf("a %s request wrote", method)
		}
		if _, err := team.NormalizeEmail(caller); err != nil {
			// Without a valid caller no route serves the request: it is
			// refused, or answered for a path that has no route at all.
			switch rec.Code {
			case http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusTemporaryRedirect:
			default:
				t.Errorf("a request without a valid caller got %d", rec.Code)
			}
		}

		switch {
		case rec.Code >= 200 && rec.Code < 300:
			checkSuccess(t, rec)
		case rec.Code == http.StatusTemporaryRedirect:
			// ServeMux sends non-canonical paths ("//", "/./", "/../") to
			// their cleaned form before any route runs.
			if rec.Header().Get("Location") == "" || wrote != 0 {
				t.Errorf("redirect without Location, or after writing %d times", wrote)
			}
		default:
			code, problem := errorShapeProblem(rec)
			if problem != "" {
				t.Fatalf("%d: %s", rec.Code, problem)
			}
			switch {
			case rec.Code == http.StatusMethodNotAllowed:
				// A method the path does not take: SPEC §4 has no code
				// for it, and the API says invalid_request.
				if code != "invalid_request" || rec.Header().Get("Allow") == "" {
					t.Errorf("405 with code %q and Allow %q", code, rec.Header().Get("Allow"))
				}
			case specStatus[code] != rec.Code:
				t.Errorf("status %d for code %q, which SPEC §4 maps to %d", rec.Code, code, specStatus[code])
			}
			if wrote != 0 {
				t.Errorf("a refused request (%d %s) committed %d writes", rec.Code, code, wrote)
			}
		}
		checkInvariants(t, s, caller)
	})
}

// checkSuccess checks a 2xx answer: no body for 204, otherwise one JSON
// value; a single user answers with its version as ETag.
func checkSuccess(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code == http.StatusNoContent {
		if rec.Body.Len() != 0 {
			t.Errorf("204 with a body: %q", rec.Body)
		}
		return
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%d with Content-Type %q", rec.Code, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%d with a body that is not a JSON object: %v", rec.Code, err)
	}
	if etag := rec.Header().Get("ETag"); etag != "" {
		version, _ := body["version"].(float64)
		id, _ := body["id"].(string)
		if want := `"` + id + "." + strconv.FormatInt(int64(version), 10) + `"`; etag != want {
			t.Errorf("ETag %s but the body is user %q at version %v", etag, id, body["version"])
		}
	}
}

// checkInvariants looks at the store after the request: acme still has a
// manager (I2, I3), and a tenant's request changed nothing of the other
// tenant (I5).
func checkInvariants(t *testing.T, s *testStack, caller string) {
	t.Helper()
	ctx := context.Background()
	users, err := s.store.Users(ctx, "acme", team.UserQuery{}, team.PageRequest{Limit: team.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	managers := 0
	for _, u := range users.Users {
		if u.IsManager() {
			managers++
		}
	}
	if managers == 0 {
		t.Error("acme has no manager left")
	}
	normalised, _ := team.NormalizeEmail(caller)
	// I2: nothing a user of acme does takes them out of it, their email
	// (their sign-in identity) included.
	if normalised == acmeOwner || normalised == acmeMember {
		if _, err := s.store.User(ctx, "acme", normalised); err != nil {
			t.Errorf("the caller %s is no longer a user of acme at their email: %v", normalised, err)
		}
	}
	for business, seededActivity := range map[team.BusinessID]int{"acme": 2, "globex": 0} {
		acts, err := s.store.Activity(ctx, business, team.ActivityFilter{}, team.PageRequest{Limit: team.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		mayWrite := (business == "globex") == (normalised == globexOwner)
		if !mayWrite && len(acts.Activity) != seededActivity {
			t.Errorf("a caller of another business changed %s", business)
		}
	}
}
