package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/httpapi"
)

// errorCase is a request the API must refuse, and how.
type errorCase struct {
	name   string
	call   apiCall
	status int
	code   string
	fields []string
}

// Placeholders for cursors, which are opaque and so must come from the API.
const (
	acmeUsersCursor    = "{acmeUsersCursor}"
	acmeActivityCursor = "{acmeActivityCursor}"
	// acmeAddedCursor is a cursor of acme's activity under type=user.added.
	acmeAddedCursor = "{acmeAddedCursor}"
)

// runErrorCases sends each call to a freshly seeded stack and checks the
// error answer, that the refused request wrote nothing, and that nothing a
// client can cause is logged as a server error.
func runErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStack(t)
			call := tc.call
			if strings.Contains(call.path, "{") {
				call.path = strings.NewReplacer(
					acmeUsersCursor, url.QueryEscape(firstPageCursor(t, s, acmeUsersPath)),
					acmeActivityCursor, url.QueryEscape(firstPageCursor(t, s, acmeActivityPath)),
					acmeAddedCursor, url.QueryEscape(firstPageCursor(t, s, acmeActivityPath+"?type=user.added")),
				).Replace(call.path)
			}
			writes := s.store.AppliedCount()
			rec := s.do(call)
			assertError(t, rec, tc.status, tc.code, tc.fields...)
			if got := s.store.AppliedCount(); got != writes {
				t.Errorf("the refused request committed %d writes, want none", got-writes)
			}
			if s.log.Len() != 0 {
				t.Errorf("a client error was logged as a server error: %s", s.log)
			}
		})
	}
}

// firstPageCursor returns the nextCursor of acme's list at path, one item a
// page, as the acme owner sees it.
func firstPageCursor(t *testing.T, s *testStack, path string) string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	body, _ := decodeBody(t, s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodGet, path: path + sep + "limit=1"}, http.StatusOK)).(map[string]any)
	cursor, ok := body["nextCursor"].(string)
	if !ok || cursor == "" {
		t.Fatalf("%s?limit=1 gave no cursor: %v", path, body)
	}
	return cursor
}

func invite(body string) apiCall {
	return apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeUsersPath, body: body}
}

func TestInviteUserRefusesBadRequests(t *testing.T) {
	longName := strings.Repeat("n", 101)
	email300 := strings.Repeat("a", 60) + "@" + strings.Repeat("b", 235) + ".com"
	runErrorCases(t, []errorCase{
		{"malformed JSON", invite(`{"email":`), 400, "invalid_request", nil},
		{"trailing comma", invite(`{"email":"cy@example.com",}`), 400, "invalid_request", nil},
		{"empty body", invite(``), 400, "invalid_request", nil},
		{"unknown field", invite(`{"email":"cy@example.com","role":"admin"}`), 400, "invalid_request", []string{"role"}},
		{"field in the wrong case", invite(`{"Email":"cy@example.com"}`), 400, "invalid_request", []string{"Email"}},
		{"duplicate key", invite(`{"email":"cy@example.com","email":"zed@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"duplicate key spelled with an escape", invite(`{"email":"cy@example.com","em\u0061il":"zed@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"a second object after the body", invite(`{"email":"cy@example.com"}{}`), 400, "invalid_request", nil},
		{"trailing data", invite(`{"email":"cy@example.com"} and more`), 400, "invalid_request", nil},
		{"array body", invite(`["cy@example.com"]`), 400, "invalid_request", nil},
		{"string body", invite(`"cy@example.com"`), 400, "invalid_request", nil},
		{"null body", invite(`null`), 400, "invalid_request", nil},
		{"number body", invite(`42`), 400, "invalid_request", nil},
		{"invalid UTF-8", invite("{\"email\":\"cy\xff@example.com\"}"), 400, "invalid_request", nil},
		{"not JSON content type", apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeUsersPath,
			body: `{"email":"cy@example.com"}`, contentType: "text/plain"}, 400, "invalid_request", nil},
		{"number where the email belongs", invite(`{"email":42}`), 400, "invalid_request", []string{"email"}},
		{"list where a name belongs", invite(`{"email":"cy@example.com","firstName":["Cy"]}`), 400, "invalid_request", []string{"firstName"}},
		{"string where permissions belong", invite(`{"email":"cy@example.com","permissions":"home"}`), 400, "invalid_request", []string{"permissions"}},
		{"number in permissions", invite(`{"email":"cy@example.com","permissions":[1]}`), 400, "invalid_request", []string{"permissions"}},
		{"null in permissions", invite(`{"email":"cy@example.com","permissions":[null]}`), 400, "invalid_request", []string{"permissions"}},
		{"no email", invite(`{"firstName":"Cy"}`), 400, "invalid_request", []string{"email"}},
		{"email with a display name", invite(`{"email":"Ann <ann@example.com>"}`), 400, "invalid_request", []string{"email"}},
		{"email with a quoted local part", invite(`{"email":"\"ann lee\"@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"email without a dot in the domain", invite(`{"email":"ann@gmail"}`), 400, "invalid_request", []string{"email"}},
		{"two emails", invite(`{"email":"ann@example.com, bob@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"email of 300 characters", invite(`{"email":"` + email300 + `"}`), 400, "invalid_request", []string{"email"}},
		{"local part over 64 characters", invite(`{"email":"` + strings.Repeat("a", 65) + `@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"email with a NUL", invite(`{"email":"ann\u0000@example.com"}`), 400, "invalid_request", []string{"email"}},
		// Lookalikes: shown as an existing address, yet a different user.
		{"email with a zero-width space", invite(`{"email":"bob\u200b@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"email with a bidi override", invite(`{"email":"\u202emoc.elpmaxe@bob"}`), 400, "invalid_request", []string{"email"}},
		{"email with a C1 control character", invite(`{"email":"bob\u0085@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"email with a non-ASCII local part", invite(`{"email":"bøb@example.com"}`), 400, "invalid_request", []string{"email"}},
		{"phone that is no number", invite(`{"email":"cy@example.com","phone":"call me"}`), 400, "invalid_request", []string{"phone"}},
		{"phone too short", invite(`{"email":"cy@example.com","phone":"+1 555"}`), 400, "invalid_request", []string{"phone"}},
		{"name over 100 characters", invite(`{"email":"cy@example.com","firstName":"` + longName + `"}`), 400, "invalid_request", []string{"firstName"}},
		{"name with a control character", invite(`{"email":"cy@example.com","lastName":"Lee\u0007"}`), 400, "invalid_request", []string{"lastName"}},
		{"name with a bidi override", invite(`{"email":"cy@example.com","firstName":"\u202eAnn"}`), 400, "invalid_request", []string{"firstName"}},
		{"name with a line separator", invite(`{"email":"cy@example.com","firstName":"Ann\u2028Lee"}`), 400, "invalid_request", []string{"firstName"}},
		{"phone with letters", invite(`{"email":"cy@example.com","phone":"+1 415 555 O100"}`), 400, "invalid_request", []string{"phone"}},
		{"several bad fields are all named", invite(`{"email":"nope","phone":"nope","lastName":"` + longName + `"}`),
			400, "invalid_request", []string{"email", "lastName", "phone"}},
		{"unknown tab", invite(`{"email":"cy@example.com","permissions":["home","billing"]}`), 400, "invalid_request", []string{"permissions"}},
		{"tab the business has not enabled", invite(`{"email":"cy@example.com","permissions":["home","store"]}`), 400, "invalid_request", []string{"permissions"}},
		{"body over 16 KiB", invite(`{"email":"cy@example.com","firstName":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`),
			413, "payload_too_large", nil},
		{"email of a user, in another case", invite(`{"email":" BOB@Example.com"}`), 409, "user_exists", []string{"email"}},
		{"the caller's own email", invite(`{"email":"Owner@acme.test"}`), 409, "user_exists", []string{"email"}},
		{"by a member", apiCall{caller: acmeMember, method: http.MethodPost, path: acmeUsersPath, body: `{"email":"cy@example.com"}`},
			403, "forbidden", nil},
		{"into a business that does not exist", apiCall{caller: acmeOwner, method: http.MethodPost, path: "/v1/businesses/initech/users",
			body: `{"email":"cy@example.com"}`}, 403, "forbidden", nil},
		{"business id that cannot be one", apiCall{caller: acmeOwner, method: http.MethodPost, path: "/v1/businesses/ac%20me/users",
			body: `{"email":"cy@example.com"}`}, 400, "invalid_request", nil},
		{"without a caller", apiCall{method: http.MethodPost, path: acmeUsersPath, body: `{"email":"cy@example.com"}`},
			401, "unauthenticated", nil},
	})
}

// TestBodyLimitIsExactly16KiB: a body of exactly 16 KiB is read; one byte
// more is refused before anything is parsed.
func TestBodyLimitIsExactly16KiB(t *testing.T) {
	prefix, suffix := `{"email":"cy@example.com"`, `}`
	padding := strings.Repeat(" ", httpapi.MaxBodyBytes-len(prefix)-len(suffix))
	s := newTestStack(t)
	rec := s.do(invite(prefix + padding + suffix))
	if rec.Code != http.StatusCreated {
		t.Errorf("a body of exactly %d bytes: status %d, want 201; body %s", httpapi.MaxBodyBytes, rec.Code, rec.Body)
	}
	writes := s.store.AppliedCount()
	assertError(t, s.do(invite(prefix+padding+" "+suffix)), http.StatusRequestEntityTooLarge, "payload_too_large")
	if s.store.AppliedCount() != writes {
		t.Error("a body over the limit was written")
	}
}

func TestListsRefuseBadPagingAndOutsiders(t *testing.T) {
	var cases []errorCase
	for _, list := range []struct{ name, path, otherCursor string }{
		{"users", acmeUsersPath, acmeActivityCursor},
		{"activity", acmeActivityPath, acmeUsersCursor},
	} {
		get := func(caller, query string) apiCall {
			return apiCall{caller: caller, method: http.MethodGet, path: list.path + query}
		}
		cases = append(cases,
			errorCase{list.name + ": limit 0", get(acmeOwner, "?limit=0"), 400, "invalid_request", []string{"limit"}},
			errorCase{list.name + ": limit 101", get(acmeOwner, "?limit=101"), 400, "invalid_request", []string{"limit"}},
			errorCase{list.name + ": limit abc", get(acmeOwner, "?limit=abc"), 400, "invalid_request", []string{"limit"}},
			errorCase{list.name + ": limit -1", get(acmeOwner, "?limit=-1"), 400, "invalid_request", []string{"limit"}},
			errorCase{list.name + ": limit 1.5", get(acmeOwner, "?limit=1.5"), 400, "invalid_request", []string{"limit"}},
			errorCase{list.name + ": cursor that was never issued", get(acmeOwner, "?cursor=bm90LWEtY3Vyc29y"), 400, "invalid_request", []string{"cursor"}},
			errorCase{list.name + ": cursor that is not base64", get(acmeOwner, "?cursor=%25%25%25"), 400, "invalid_request", []string{"cursor"}},
			errorCase{list.name + ": cursor of the other list", get(acmeOwner, "?cursor="+list.otherCursor), 400, "invalid_request", []string{"cursor"}},
			errorCase{list.name + ": by a member", get(acmeMember, ""), 403, "forbidden", nil},
			errorCase{list.name + ": without a caller", get("", ""), 401, "unauthenticated", nil},
		)
	}
	// I5: a cursor of acme reveals nothing of, and reaches nothing in, globex.
	cases = append(cases,
		errorCase{"users: cursor of acme used on globex", apiCall{caller: globexOwner, method: http.MethodGet,
			path: "/v1/businesses/globex/users?cursor=" + acmeUsersCursor}, 400, "invalid_request", []string{"cursor"}},
		errorCase{"activity: cursor of acme used on globex", apiCall{caller: globexOwner, method: http.MethodGet,
			path: "/v1/businesses/globex/activity?cursor=" + acmeActivityCursor}, 400, "invalid_request", []string{"cursor"}},
	)
	activity := func(query string) apiCall {
		return apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeActivityPath + "?" + query}
	}
	cases = append(cases,
		errorCase{"activity: unknown type", activity("type=user.exploded"), 400, "invalid_request", []string{"type"}},
		errorCase{"activity: type in another case", activity("type=USER.ADDED"), 400, "invalid_request", []string{"type"}},
		errorCase{"activity: userId with a key separator", activity("userId=usr_1%23TYPE%23user.added"), 400, "invalid_request", []string{"userId"}},
		errorCase{"activity: userId too long", activity("userId=usr_" + strings.Repeat("x", 62)), 400, "invalid_request", []string{"userId"}},
		// A cursor is bound to the filter it was issued under (SPEC §4).
		errorCase{"activity: unfiltered cursor used with a type", activity("type=user.added&cursor=" + acmeActivityCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"activity: unfiltered cursor used with a user", activity("userId=usr_x&cursor=" + acmeActivityCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"activity: typed cursor used without the filter", activity("cursor=" + acmeAddedCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"activity: typed cursor used with another type", activity("type=user.removed&cursor=" + acmeAddedCursor), 400, "invalid_request", []string{"cursor"}},
	)
	users := func(query string) apiCall {
		return apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeUsersPath + "?" + query}
	}
	cases = append(cases,
		errorCase{"users: q over 100 characters", users("q=" + strings.Repeat("a", 101)), 400, "invalid_request", []string{"q"}},
		errorCase{"users: q with a control character", users("q=a%01b"), 400, "invalid_request", []string{"q"}},
		errorCase{"users: unknown status", users("status=pending"), 400, "invalid_request", []string{"status"}},
		errorCase{"users: status in another case", users("status=Invited"), 400, "invalid_request", []string{"status"}},
		errorCase{"users: unknown tab", users("tab=billing"), 400, "invalid_request", []string{"tab"}},
		// acme did not enable the store tab: nobody can hold it effectively.
		errorCase{"users: tab not enabled", users("tab=store"), 400, "invalid_request", []string{"tab"}},
		errorCase{"users: unknown sort", users("sort=age"), 400, "invalid_request", []string{"sort"}},
		errorCase{"users: every bad value named at once", users("status=x&tab=y&sort=z&limit=0"), 400, "invalid_request",
			[]string{"status", "tab", "sort", "limit"}},
		// A cursor is bound to the filters and sort it was issued under.
		errorCase{"users: unfiltered cursor used with q", users("q=b&cursor=" + acmeUsersCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"users: unfiltered cursor used with a status", users("status=active&cursor=" + acmeUsersCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"users: unfiltered cursor used with a tab", users("tab=home&cursor=" + acmeUsersCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"users: email cursor used with sort=name", users("sort=name&cursor=" + acmeUsersCursor), 400, "invalid_request", []string{"cursor"}},
		errorCase{"users: email cursor used with sort=newest", users("sort=newest&cursor=" + acmeUsersCursor), 400, "invalid_request", []string{"cursor"}},
	)
	runErrorCases(t, cases)
}

func TestGetUserRefusals(t *testing.T) {
	get := func(caller, path string) apiCall { return apiCall{caller: caller, method: http.MethodGet, path: path} }
	runErrorCases(t, []errorCase{
		{"unknown user", get(acmeOwner, ghostPath), 404, "not_found", nil},
		{"path that is no email", get(acmeOwner, "/v1/businesses/acme/users/not-an-email"), 400, "invalid_request", []string{"email"}},
		{"email with a NUL", get(acmeOwner, "/v1/businesses/acme/users/bob%00@example.com"), 400, "invalid_request", []string{"email"}},
		// SPEC v2 refuses / % ? # \ in addresses (they cannot travel through
		// API Gateway's decoded paths), so this is no longer a lookup that
		// finds nobody (404) but an address that cannot exist (400).
		{"email with an encoded slash", get(acmeOwner, "/v1/businesses/acme/users/bob%2F@example.com"), 400, "invalid_request", []string{"email"}},
		{"email with an encoded percent", get(acmeOwner, "/v1/businesses/acme/users/bob%25@example.com"), 400, "invalid_request", []string{"email"}},
		{"by a member, someone else", get(acmeMember, bobPath), 403, "forbidden", nil},
		{"by a member, someone who does not exist", get(acmeMember, ghostPath), 403, "forbidden", nil},
		{"without a caller", get("", bobPath), 401, "unauthenticated", nil},
		{"with a caller claim that is no email", get("owner", bobPath), 401, "unauthenticated", nil},
	})
}

func TestSetPermissionsRefusals(t *testing.T) {
	put := func(caller, path, body, ifMatch string) apiCall {
		return apiCall{caller: caller, method: http.MethodPut, path: path + "/permissions", body: body, ifMatch: ifMatch}
	}
	crm := `{"permissions":["crm"]}`
	runErrorCases(t, []errorCase{
		{"stale If-Match", put(acmeOwner, bobPath, crm, tag(bobID, 2)), 412, "precondition_failed", nil},
		{"weak If-Match never matches", put(acmeOwner, bobPath, crm, `W/"1"`), 412, "precondition_failed", nil},
		{"If-Match without quotes", put(acmeOwner, bobPath, crm, `1`), 400, "invalid_request", nil},
		// Tags are compared as strings (RFC 9110 strong comparison): any
		// well-formed tag that is not the current ETag simply does not match.
		{"If-Match that is no version", put(acmeOwner, bobPath, crm, `"abc"`), 412, "precondition_failed", nil},
		{"If-Match of version 0", put(acmeOwner, bobPath, crm, tag(bobID, 0)), 412, "precondition_failed", nil},
		{"If-Match spelling the version differently", put(acmeOwner, bobPath, crm, `"`+bobID+`.01"`), 412, "precondition_failed", nil},
		{"If-Match with an empty entry", put(acmeOwner, bobPath, crm, `"1",`), 400, "invalid_request", nil},
		{"no permissions", put(acmeOwner, bobPath, `{}`, ""), 400, "invalid_request", []string{"permissions"}},
		{"null permissions", put(acmeOwner, bobPath, `{"permissions":null}`, ""), 400, "invalid_request", []string{"permissions"}},
		{"null in permissions", put(acmeOwner, bobPath, `{"permissions":[null]}`, ""), 400, "invalid_request", []string{"permissions"}},
		{"unknown field", put(acmeOwner, bobPath, `{"permissions":["crm"],"email":"x@example.com"}`, ""), 400, "invalid_request", []string{"email"}},
		{"unknown tab", put(acmeOwner, bobPath, `{"permissions":["billing"]}`, ""), 400, "invalid_request", []string{"permissions"}},
		{"tab the business has not enabled", put(acmeOwner, bobPath, `{"permissions":["crm","store"]}`, ""), 400, "invalid_request", []string{"permissions"}},
		{"malformed JSON", put(acmeOwner, bobPath, `{"permissions":["crm"]`, ""), 400, "invalid_request", nil},
		{"body over 16 KiB", put(acmeOwner, bobPath, `{"permissions":["`+strings.Repeat("a", httpapi.MaxBodyBytes)+`"]}`, ""),
			413, "payload_too_large", nil},
		{"manager removes their own users permission", put(acmeOwner, ownerPath, `{"permissions":["home","administration"]}`, ""),
			422, "self_lockout", []string{"permissions"}},
		{"manager removes their own administration permission", put(acmeOwner, ownerPath, `{"permissions":["home","users"]}`, ""),
			422, "self_lockout", []string{"permissions"}},
		{"manager removes every own permission", put(acmeOwner, ownerPath, `{"permissions":[]}`, tag(ownerID, 1)),
			422, "self_lockout", []string{"permissions"}},
		{"unknown user", put(acmeOwner, ghostPath, crm, ""), 404, "not_found", nil},
		{"by a member, someone else", put(acmeMember, bobPath, crm, ""), 403, "forbidden", nil},
		{"by a member, their own", put(acmeMember, memberPath, `{"permissions":["home","conversations","users"]}`, ""), 403, "forbidden", nil},
		{"by a member, someone who does not exist", put(acmeMember, ghostPath, crm, ""), 403, "forbidden", nil},
		{"without a caller", put("", bobPath, crm, ""), 401, "unauthenticated", nil},
	})
}

func TestSetPermissionsAfterAnotherChangeNeedsTheNewVersion(t *testing.T) {
	s := newTestStack(t)
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodPatch, path: bobPath, body: `{"firstName":"Robert"}`}, http.StatusOK)
	writes := s.store.AppliedCount()
	stale := apiCall{caller: acmeOwner, method: http.MethodPut, path: bobPath + "/permissions", body: `{"permissions":["crm"]}`, ifMatch: tag(bobID, 1)}
	assertError(t, s.do(stale), http.StatusPreconditionFailed, "precondition_failed")
	if s.store.AppliedCount() != writes {
		t.Error("a request with a stale If-Match wrote")
	}
	current := stale
	current.ifMatch = tag(bobID, 2)
	rec := s.do(current)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != tag(bobID, 3) {
		t.Errorf("with the current version: status %d ETag %q, want 200 and \"3\"; body %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
}

func TestUpdateContactRefusals(t *testing.T) {
	patch := func(caller, path, body, ifMatch string) apiCall {
		return apiCall{caller: caller, method: http.MethodPatch, path: path, body: body, ifMatch: ifMatch}
	}
	robert := `{"firstName":"Robert"}`
	runErrorCases(t, []errorCase{
		{"permissions cannot be patched", patch(acmeOwner, bobPath, `{"permissions":["home","crm","users"]}`, ""),
			400, "invalid_request", []string{"permissions"}},
		{"version cannot be patched", patch(acmeOwner, bobPath, `{"version":9}`, ""), 400, "invalid_request", []string{"version"}},
		{"field in the wrong case", patch(acmeOwner, bobPath, `{"FirstName":"Robert"}`, ""), 400, "invalid_request", []string{"FirstName"}},
		{"duplicate key", patch(acmeOwner, bobPath, `{"firstName":"Robert","firstName":"Rob"}`, ""), 400, "invalid_request", []string{"firstName"}},
		{"email of another user", patch(acmeOwner, bobPath, `{"email":"Member@acme.test"}`, ""), 409, "user_exists", []string{"email"}},
		{"email of the caller", patch(acmeOwner, bobPath, `{"email":"owner@acme.test"}`, ""), 409, "user_exists", []string{"email"}},
		{"stale If-Match", patch(acmeOwner, bobPath, robert, tag(bobID, 2)), 412, "precondition_failed", nil},
		{"If-Match that is no ETag", patch(acmeOwner, bobPath, robert, `version 1`), 400, "invalid_request", nil},
		{"email with a display name", patch(acmeOwner, bobPath, `{"email":"Bob <bob@example.com>"}`, ""), 400, "invalid_request", []string{"email"}},
		{"empty email", patch(acmeOwner, bobPath, `{"email":""}`, ""), 400, "invalid_request", []string{"email"}},
		{"null email", patch(acmeOwner, bobPath, `{"email":null}`, ""), 400, "invalid_request", []string{"email"}},
		{"number as phone", patch(acmeOwner, bobPath, `{"phone":4155550100}`, ""), 400, "invalid_request", []string{"phone"}},
		{"phone that is no number", patch(acmeOwner, bobPath, `{"phone":"12"}`, ""), 400, "invalid_request", []string{"phone"}},
		{"name with a bidi override", patch(acmeOwner, bobPath, `{"lastName":"Stone\u202e"}`, ""), 400, "invalid_request", []string{"lastName"}},
		{"array body", patch(acmeOwner, bobPath, `[]`, ""), 400, "invalid_request", nil},
		{"unknown user", patch(acmeOwner, ghostPath, robert, ""), 404, "not_found", nil},
		{"path that is no email", patch(acmeOwner, "/v1/businesses/acme/users/bob", robert, ""), 400, "invalid_request", []string{"email"}},
		{"by a member, someone else", patch(acmeMember, bobPath, robert, ""), 403, "forbidden", nil},
		{"by a member, someone else, changing nothing", patch(acmeMember, bobPath, `{"firstName":"Bob"}`, ""), 403, "forbidden", nil},
		{"by a member, someone who does not exist", patch(acmeMember, ghostPath, robert, ""), 403, "forbidden", nil},
		{"by a member, moving someone onto the member's email", patch(acmeMember, bobPath, `{"email":"member@acme.test"}`, ""), 403, "forbidden", nil},
		{"without a caller", patch("", bobPath, robert, ""), 401, "unauthenticated", nil},
	})
}

func TestRemoveUserRefusals(t *testing.T) {
	remove := func(caller, path, ifMatch string) apiCall {
		return apiCall{caller: caller, method: http.MethodDelete, path: path, ifMatch: ifMatch}
	}
	runErrorCases(t, []errorCase{
		{"the caller removes themselves", remove(acmeOwner, ownerPath, ""), 422, "self_lockout", nil},
		{"the caller removes themselves, by another spelling", remove(acmeOwner, "/v1/businesses/acme/users/OWNER%40ACME.TEST", tag(ownerID, 1)), 422, "self_lockout", nil},
		{"stale If-Match", remove(acmeOwner, bobPath, tag(bobID, 2)), 412, "precondition_failed", nil},
		{"If-Match that is no ETag", remove(acmeOwner, bobPath, `"1`), 400, "invalid_request", nil},
		{"unknown user", remove(acmeOwner, ghostPath, ""), 404, "not_found", nil},
		{"by a member", remove(acmeMember, bobPath, ""), 403, "forbidden", nil},
		{"by a member, someone who does not exist", remove(acmeMember, ghostPath, ""), 403, "forbidden", nil},
		{"without a caller", remove("", bobPath, ""), 401, "unauthenticated", nil},
	})
}

// TestEveryRouteRefusesRequestsWithoutACaller: API Gateway's authorizer
// stops such requests in AWS, but the handlers must not trust that.
func TestEveryRouteRefusesRequestsWithoutACaller(t *testing.T) {
	for _, route := range httpapi.Routes() {
		t.Run(route.Operation, func(t *testing.T) {
			s := newTestStack(t)
			path := strings.NewReplacer("{businessId}", "acme", "{email}", bob).Replace(route.Path)
			writes := s.store.AppliedCount()
			rec := s.do(apiCall{method: route.Method, path: path, body: `{"email":"cy@example.com"}`})
			assertError(t, rec, http.StatusUnauthorized, "unauthenticated")
			if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
				t.Errorf("WWW-Authenticate = %q, want Bearer", got)
			}
			if s.store.AppliedCount() != writes {
				t.Error("an unauthenticated request wrote")
			}
		})
	}
}

// TestAnETagFromARemovedUserNeverMatchesTheUserInvitedAgain is the exploit
// of issue 10 (invariant I8): gus is invited, removed and invited again; an
// If-Match kept from the first gus must not change or remove the second,
// although both are at version 1.
func TestAnETagFromARemovedUserNeverMatchesTheUserInvitedAgain(t *testing.T) {
	s := newTestStack(t)
	const gusPath = "/v1/businesses/acme/users/gus@example.com"
	invite := apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeUsersPath, body: `{"email":"gus@example.com","permissions":["crm"]}`}
	old := s.mustDo(t, invite, http.StatusCreated).Header().Get("ETag")
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodDelete, path: gusPath, ifMatch: old}, http.StatusNoContent)
	current := s.mustDo(t, invite, http.StatusCreated).Header().Get("ETag")
	if current == old {
		t.Fatalf("the user invited again has the removed user's ETag %s", old)
	}
	writes := s.store.AppliedCount()
	assertError(t, s.do(apiCall{caller: acmeOwner, method: http.MethodPut, path: gusPath + "/permissions",
		body: `{"permissions":["crm","users"]}`, ifMatch: old}), http.StatusPreconditionFailed, "precondition_failed")
	assertError(t, s.do(apiCall{caller: acmeOwner, method: http.MethodDelete, path: gusPath, ifMatch: old}),
		http.StatusPreconditionFailed, "precondition_failed")
	if got := s.store.AppliedCount() - writes; got != 0 {
		t.Errorf("requests with the removed user's ETag wrote %d times", got)
	}
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodPut, path: gusPath + "/permissions",
		body: `{"permissions":["home"]}`, ifMatch: current}, http.StatusOK)
}

// TestInviteBeyondTheEmailBudgetIsRefusedWithRetryAfter checks SPEC §4's
// business rate limit through the API: once the hour's welcome emails are
// spent an invite is refused with 429 rate_limited, says in Retry-After how
// many seconds until the oldest email of the hour leaves the window (all
// were sent at the fixed clock's instant: a full hour), and writes nothing.
func TestInviteBeyondTheEmailBudgetIsRefusedWithRetryAfter(t *testing.T) {
	s := newTestStack(t)
	spendEmailBudget(t, s)
	writes := s.store.AppliedCount()
	rec := s.do(invite(`{"email":"one-too-many@example.com","permissions":["home"]}`))
	assertError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if got := rec.Header().Get("Retry-After"); got != "3600" {
		t.Errorf("Retry-After = %q, want \"3600\"", got)
	}
	if got := s.store.AppliedCount(); got != writes {
		t.Errorf("the refused invite committed %d writes, want none", got-writes)
	}
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeUsersPath + "/one-too-many@example.com"}, http.StatusNotFound)
	// Changes that send no email go on.
	s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodPatch, path: bobPath, body: `{"lastName":"Stoner"}`}, http.StatusOK)
	if s.log.Len() != 0 {
		t.Errorf("a client error was logged as a server error: %s", s.log)
	}
}
