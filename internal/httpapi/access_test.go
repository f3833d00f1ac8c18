package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/httpapi"
)

// TestMembersManageOnlyTheirOwnContactInfo: a user without the users
// permission may list tabs and read and edit their own contact info; every
// other operation is forbidden to them (SPEC §4, who may call what).
func TestMembersManageOnlyTheirOwnContactInfo(t *testing.T) {
	t.Run("list tabs", func(t *testing.T) {
		s := newTestStack(t)
		rec := s.do(apiCall{caller: acmeMember, method: http.MethodGet, path: acmeTabsPath})
		body, _ := decodeBody(t, rec).(map[string]any)
		if tabs, _ := body["tabs"].([]any); rec.Code != http.StatusOK || len(tabs) != len(acmeTabs) {
			t.Errorf("status %d with %d tabs, want 200 with the %d enabled tabs; body %s", rec.Code, len(tabs), len(acmeTabs), rec.Body)
		}
	})

	t.Run("read themselves", func(t *testing.T) {
		s := newTestStack(t)
		for _, path := range []string{memberPath, "/v1/businesses/acme/users/MEMBER%40Acme.Test"} {
			rec := s.do(apiCall{caller: acmeMember, method: http.MethodGet, path: path})
			assertJSON(t, rec, http.StatusOK, memberBody.json())
			if etag := rec.Header().Get("ETag"); etag != tag(memberID, 1) {
				t.Errorf("ETag = %q, want %q", etag, tag(memberID, 1))
			}
		}
	})

	t.Run("edit their own names and phone", func(t *testing.T) {
		s := newTestStack(t)
		rec := s.do(apiCall{caller: acmeMember, method: http.MethodPatch, path: memberPath, ifMatch: tag(memberID, 1),
			body: `{"firstName":"Mina","lastName":"","phone":"+1 (415) 555-0100"}`})
		want := memberBody
		want.firstName, want.lastName, want.phone, want.phoneDisplay, want.version = "Mina", nil, "+14155550100", "+1 415-555-0100", 2
		assertJSON(t, rec, http.StatusOK, want.json())
	})

	// SPEC v2 (I2): a user's own email is their sign-in identity and
	// cannot be changed by them, whether the new address is free or taken
	// (this used to be 200, and 409 for a taken one). Nothing is written
	// and the account still answers to its email.
	t.Run("cannot change their own email", func(t *testing.T) {
		for _, body := range []string{`{"email":"Mia@Example.com"}`, `{"email":"bob@example.com"}`, `{"email":"mia@example.com","firstName":"Mina"}`} {
			s := newTestStack(t)
			writes := s.store.AppliedCount()
			assertError(t, s.do(apiCall{caller: acmeMember, method: http.MethodPatch, path: memberPath, body: body}),
				http.StatusUnprocessableEntity, "self_lockout", "email")
			if s.store.AppliedCount() != writes {
				t.Errorf("the refused request %s wrote", body)
			}
			assertJSON(t, s.do(apiCall{caller: acmeMember, method: http.MethodGet, path: memberPath}), http.StatusOK, memberBody.json())
		}
	})

	t.Run("may send their own email unchanged", func(t *testing.T) {
		s := newTestStack(t)
		rec := s.do(apiCall{caller: acmeMember, method: http.MethodPatch, path: memberPath, body: `{"email":" MEMBER@acme.test","firstName":"Mina"}`})
		want := memberBody
		want.firstName, want.version = "Mina", 2
		assertJSON(t, rec, http.StatusOK, want.json())
	})

	// Everything else is a manager's: each is forbidden and writes nothing.
	for _, call := range []apiCall{
		{method: http.MethodGet, path: acmeUsersPath},
		{method: http.MethodGet, path: acmeActivityPath},
		{method: http.MethodGet, path: bobPath},
		{method: http.MethodGet, path: ownerPath},
		{method: http.MethodPost, path: acmeUsersPath, body: `{"email":"cy@example.com"}`},
		{method: http.MethodPut, path: bobPath + "/permissions", body: `{"permissions":["crm"]}`},
		{method: http.MethodPut, path: memberPath + "/permissions", body: `{"permissions":["home"]}`},
		{method: http.MethodPatch, path: bobPath, body: `{"firstName":"Robert"}`},
		{method: http.MethodPatch, path: ownerPath, body: `{"email":"mia@example.com"}`},
		{method: http.MethodDelete, path: bobPath},
		{method: http.MethodDelete, path: ownerPath},
	} {
		t.Run("forbidden: "+call.method+" "+call.path, func(t *testing.T) {
			s := newTestStack(t)
			writes := s.store.AppliedCount()
			call.caller = acmeMember
			assertError(t, s.do(call), http.StatusForbidden, "forbidden")
			if s.store.AppliedCount() != writes {
				t.Error("a refused request wrote")
			}
		})
	}

	t.Run("cannot patch their own permissions", func(t *testing.T) {
		s := newTestStack(t)
		writes := s.store.AppliedCount()
		assertError(t, s.do(apiCall{caller: acmeMember, method: http.MethodPatch, path: memberPath, body: `{"permissions":["users"]}`}),
			http.StatusBadRequest, "invalid_request", "permissions")
		if s.store.AppliedCount() != writes {
			t.Error("a refused request wrote")
		}
	})
}

// TestOtherTenantsAreForbiddenEverywhere is invariant I5 over HTTP: the
// owner of globex gets the same 403 on every route of acme, whatever the
// email, the body or If-Match, so that the answer never tells whether a user
// (or the business itself) exists, nor which version a user is at.
func TestOtherTenantsAreForbiddenEverywhere(t *testing.T) {
	s := newTestStack(t)
	acmeCursor := url.QueryEscape(firstPageCursor(t, s, acmeUsersPath))
	acmeActivity := url.QueryEscape(firstPageCursor(t, s, acmeActivityPath))
	targets := []string{bob, acmeOwner, ghost, globexOwner}
	bodies := map[string][]string{
		httpapi.OpTransferOwnership: {`{"email":"{target}"}`},
		httpapi.OpInviteUser: {
			`{"email":"{target}"}`,
			`{"email":"{target}","permissions":["home"]}`,
			`{"email":"{target}","permissions":["store"]}`,
		},
		httpapi.OpInviteSeveral: {
			`{"users":[{"email":"{target}"}]}`,
			`{"users":[{"email":"cy@example.com"},{"email":"{target}","permissions":["store"]},{"email":"not an address"}]}`,
		},
		httpapi.OpSetPermissions: {
			`{"permissions":["crm"]}`,
			`{"permissions":["home","crm"]}`, // bob's current set: a no-op
			`{"permissions":[]}`,
		},
		httpapi.OpUpdateContact: {
			`{"firstName":"Robert"}`,
			`{}`,
			`{"email":"member@acme.test"}`,
			`{"email":"owner@globex.test"}`,
		},
	}
	queries := map[string][]string{
		httpapi.OpListUsers:    {"", "?limit=1", "?cursor=" + acmeCursor},
		httpapi.OpListActivity: {"", "?limit=1", "?cursor=" + acmeActivity},
	}
	writes := s.store.AppliedCount()
	for _, route := range httpapi.Routes() {
		t.Run(route.Operation, func(t *testing.T) {
			var firstAnswer string
			for _, business := range []string{"acme", "initech"} {
				for _, target := range targets {
					for _, ifMatch := range []string{"", tag(memberID, 1), tag(bobID, 1), tag(ownerID, 1), `"1"`, `"99"`, "*"} {
						for _, body := range orNothing(bodies[route.Operation]) {
							for _, query := range orNothing(queries[route.Operation]) {
								path := strings.NewReplacer("{businessId}", business, "{email}", url.PathEscape(target)).Replace(route.Path) + query
								call := apiCall{caller: globexOwner, method: route.Method, path: path,
									body: strings.ReplaceAll(body, "{target}", target), ifMatch: ifMatch}
								rec := s.do(call)
								assertError(t, rec, http.StatusForbidden, "forbidden")
								if firstAnswer == "" {
									firstAnswer = rec.Body.String()
								} else if rec.Body.String() != firstAnswer {
									t.Errorf("%s %s %s If-Match %s: the answer differs from other outsiders' and so tells them something:\n%s\nvs\n%s",
										call.method, call.path, call.body, ifMatch, rec.Body, firstAnswer)
								}
							}
						}
					}
				}
			}
		})
	}
	if s.store.AppliedCount() != writes {
		t.Errorf("requests from another tenant committed %d writes", s.store.AppliedCount()-writes)
	}
	// The other way round too: acme's owner reaches nothing of globex.
	for _, route := range httpapi.Routes() {
		path := strings.NewReplacer("{businessId}", "globex", "{email}", globexOwner).Replace(route.Path)
		body := map[string]string{
			httpapi.OpInviteUser: `{"email":"cy@example.com"}`, httpapi.OpSetPermissions: `{"permissions":[]}`, httpapi.OpUpdateContact: `{"firstName":"X"}`,
			httpapi.OpTransferOwnership: `{"email":"owner@globex.test"}`, httpapi.OpInviteSeveral: `{"users":[{"email":"cy@example.com"}]}`,
		}[route.Operation]
		assertError(t, s.do(apiCall{caller: acmeOwner, method: route.Method, path: path, body: body}), http.StatusForbidden, "forbidden")
	}
	if s.store.AppliedCount() != writes {
		t.Errorf("requests from another tenant committed %d writes", s.store.AppliedCount()-writes)
	}
}

// orNothing returns the variants to try, or just "" (no body, no query) for
// routes that take none.
func orNothing(variants []string) []string {
	if len(variants) == 0 {
		return []string{""}
	}
	return variants
}
