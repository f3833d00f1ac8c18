package local_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
	"github.com/businessapp/usermanagement/internal/team"
)

type client struct {
	t     testing.TB
	base  string
	token string
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (c *client) do(method, path, body string, out any, header ...string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp
}

func (c *client) signIn(email string) {
	c.t.Helper()
	var tok struct{ Token string }
	c.token = ""
	if resp := c.do("POST", "/dev/token", `{"email":"`+email+`"}`, &tok); resp.StatusCode != 200 || tok.Token == "" {
		c.t.Fatalf("POST /dev/token = %d, token %q", resp.StatusCode, tok.Token)
	}
	c.token = tok.Token
}

type apiError struct {
	Error struct {
		Code    team.Code
		Message string
	}
}

func expect(t *testing.T, what string, resp *http.Response, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, status)
	}
}

// TestReadmeSession walks the session the README shows: sign in as the
// seeded manager, invite, list, edit, remove, read the activity.
func TestReadmeSession(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}

	var unauth apiError
	expect(t, "no token", c.do("GET", "/v1/businesses/demo/users", "", &unauth), 401)
	if unauth.Error.Code != httpapi.CodeUnauthenticated {
		t.Errorf("no token: code %q, want unauthenticated", unauth.Error.Code)
	}
	c.token = "not-a-token"
	expect(t, "bad token", c.do("GET", "/v1/businesses/demo/users", "", nil), 401)

	c.signIn(local.DemoOwner)
	var ann struct {
		Email, Phone string
		Permissions  []string
		Version      int
	}
	resp := c.do("POST", "/v1/businesses/demo/users",
		`{"email":"Ann@Example.com","firstName":"Ann","lastName":"Lee","phone":"+1 (415) 555-0100","permissions":["conversations","crm"]}`, &ann)
	expect(t, "invite", resp, 201)
	if ann.Email != "ann@example.com" || ann.Phone != "+14155550100" || resp.Header.Get("Location") != "/v1/businesses/demo/users/ann@example.com" {
		t.Errorf("invited %+v at %q", ann, resp.Header.Get("Location"))
	}
	var dup apiError
	expect(t, "duplicate invite", c.do("POST", "/v1/businesses/demo/users", `{"email":"ANN@example.com"}`, &dup), 409)

	var list struct {
		Users []struct{ Email string }
	}
	expect(t, "list", c.do("GET", "/v1/businesses/demo/users", "", &list), 200)
	if len(list.Users) != 2 || list.Users[0].Email != "ann@example.com" || list.Users[1].Email != local.DemoOwner {
		t.Errorf("users = %+v, want ann then the owner", list.Users)
	}

	etag := resp.Header.Get("ETag")
	expect(t, "stale edit", c.do("PATCH", "/v1/businesses/demo/users/ann%40example.com", `{"lastName":"Leigh"}`, nil, "If-Match", strings.Replace(etag, ".1", ".7", 1)), 412)
	expect(t, "edit", c.do("PATCH", "/v1/businesses/demo/users/ann%40example.com", `{"lastName":"Leigh"}`, &ann, "If-Match", etag), 200)
	expect(t, "permissions", c.do("PUT", "/v1/businesses/demo/users/ann@example.com/permissions", `{"permissions":["home"]}`, &ann), 200)
	if ann.Version != 3 || len(ann.Permissions) != 1 {
		t.Errorf("after two edits: %+v, want version 3 with [home]", ann)
	}

	// Ann signs in: her first request makes her active (SPEC §2.3); she
	// may read herself but not the team.
	owner := c.token
	c.signIn("ann@example.com")
	var self struct{ Status string }
	expect(t, "member reads self", c.do("GET", "/v1/businesses/demo/users/ann@example.com", "", &self), 200)
	if self.Status != "active" {
		t.Errorf("after her first request Ann's status is %q, want active", self.Status)
	}
	expect(t, "member lists team", c.do("GET", "/v1/businesses/demo/users", "", nil), 403)
	c.token = owner

	expect(t, "remove", c.do("DELETE", "/v1/businesses/demo/users/ann@example.com", "", nil), 204)
	expect(t, "removed", c.do("GET", "/v1/businesses/demo/users/ann@example.com", "", nil), 404)
	var activity struct {
		Activity []struct{ Type string }
	}
	expect(t, "activity", c.do("GET", "/v1/businesses/demo/activity", "", &activity), 200)
	var types []string
	for _, a := range activity.Activity {
		types = append(types, a.Type)
	}
	if got := strings.Join(types, ","); got != "user.removed,user.activated,user.permissions_changed,user.contact_changed,user.added" {
		t.Errorf("activity = %s", got)
	}
}

func TestDevBusinesses(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	body := `{"id":"globex","name":"Globex","tabs":["crm","users","administration"],"owner":{"email":"Hank@Globex.test","firstName":"Hank"}}`
	expect(t, "create", c.do("POST", "/dev/businesses", body, nil), 201)
	var exists apiError
	expect(t, "create again", c.do("POST", "/dev/businesses", body, &exists), 409)
	expect(t, "no users tab", c.do("POST", "/dev/businesses", `{"id":"x","tabs":["crm"],"owner":{"email":"a@b.co"}}`, nil), 400)

	c.signIn("hank@globex.test")
	var tabs struct {
		Tabs []struct{ ID string }
	}
	expect(t, "tabs", c.do("GET", "/v1/businesses/globex/tabs", "", &tabs), 200)
	if len(tabs.Tabs) != 3 || tabs.Tabs[0].ID != "crm" {
		t.Errorf("tabs = %+v, want crm, administration, users", tabs.Tabs)
	}
	// The owner of globex is nobody in demo, and the other way round.
	expect(t, "cross-tenant", c.do("GET", "/v1/businesses/demo/users", "", nil), 403)
}

// Restarting against the same database keeps the data and seeds nothing twice.
func TestRestartKeepsDataAndSeedsOnce(t *testing.T) {
	table := dynamotest.NewTable(t, dynamotest.Client(t))
	first := localtest.Start(t, table)
	c := &client{t: t, base: first.URL}
	c.signIn(local.DemoOwner)
	expect(t, "invite", c.do("POST", "/v1/businesses/demo/users", `{"email":"kept@demo.test"}`, nil), 201)
	first.Stop()

	second := localtest.Start(t, table)
	c = &client{t: t, base: second.URL}
	c.signIn(local.DemoOwner)
	expect(t, "still there", c.do("GET", "/v1/businesses/demo/users/kept@demo.test", "", nil), 200)
}

// TestBusinessExistsIsAConflict checks that httpapi's status map, the one
// place codes become statuses, answers the local stack's own code with 409.
func TestBusinessExistsIsAConflict(t *testing.T) {
	if got := httpapi.StatusOf(local.CodeBusinessExists); got != http.StatusConflict {
		t.Errorf("StatusOf(%s) = %d, want %d", local.CodeBusinessExists, got, http.StatusConflict)
	}
}

// TestDevTokenPicture: POST /dev/token's "picture" becomes the token's
// picture claim, which the local authorizer hands on as API Gateway's does:
// the invitee's first request records it as their profile image.
func TestDevTokenPicture(t *testing.T) {
	stack := localtest.Start(t, "")
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	expect(t, "invite", c.do("POST", "/v1/businesses/demo/users", `{"email":"pia@example.com","permissions":["home"]}`, nil), 201)
	var tok struct{ Token string }
	c.token = ""
	expect(t, "token", c.do("POST", "/dev/token", `{"email":"pia@example.com","picture":"https://img.example.com/pia.png"}`, &tok), 200)
	c.token = tok.Token
	var pia struct {
		Status          string
		ProfileImageURL *string `json:"profileImageUrl"`
	}
	expect(t, "first request", c.do("GET", "/v1/businesses/demo/users/pia@example.com", "", &pia), 200)
	if pia.Status != "active" || pia.ProfileImageURL == nil || *pia.ProfileImageURL != "https://img.example.com/pia.png" {
		t.Errorf("after her first request: status %q, profileImageUrl %v; want active with the token's picture", pia.Status, pia.ProfileImageURL)
	}
}
