package apispec_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/apispec"
)

func load(t *testing.T) *apispec.Spec {
	t.Helper()
	s, err := apispec.Load(filepath.Join("..", "..", apispec.Path))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDocumentIsOpenAPI31 checks that docs/openapi.yaml is a valid OpenAPI
// 3.1 document, by the OpenAPI schema the validator library embeds.
func TestDocumentIsOpenAPI31(t *testing.T) {
	s := load(t)
	if v := s.Version(); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi is %q, want 3.1.x", v)
	}
	if err := s.ValidateDocument(); err != nil {
		t.Error(err)
	}
}

const userJSON = `{"id":"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7","email":"ann@example.com","firstName":"Ann","lastName":"Lee","phone":"+14155550100",
"phoneDisplay":"+1 415-555-0100","permissions":["conversations","crm"],"profileImageUrl":null,"invitedBy":"owner@demo.test",
"status":"invited","createdAt":"2026-11-27T10:00:00Z","updatedAt":"2026-11-27T10:00:00Z",
"invitationExpiresAt":"2026-12-11T10:00:00Z","activatedAt":null,"isOwner":false,"version":1}`

// TestValidateResponse checks that the validator finds what a handler could
// get wrong, so that the tests that rely on it cannot pass by checking
// nothing: each case is a response to GET .../users/ann@example.com.
func TestValidateResponse(t *testing.T) {
	s := load(t)
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		ok     bool
	}{
		{"the documented user", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, userJSON, true},
		{"no ETag", 200, nil, userJSON, false},
		{"an ETag that is not a version", 200, map[string]string{"ETag": `W/"1"`}, userJSON, false},
		{"an ETag of the version alone", 200, map[string]string{"ETag": `"1"`}, userJSON, false},
		{"a user without an id", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"id":"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7",`, "", 1), false},
		{"a missing field", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"profileImageUrl":null,`, "", 1), false},
		{"no phoneDisplay", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"phoneDisplay":"+1 415-555-0100",`, "", 1), false},
		{"a null phoneDisplay", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"phoneDisplay":"+1 415-555-0100",`, `"phoneDisplay":null,`, 1), true},
		{"an extra field", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"version":1`, `"version":1,"role":"admin"`, 1), false},
		{"a phone not in E.164", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"+14155550100"`, `"(415) 555-0100"`, 1), false},
		{"an unknown tab", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"crm"`, `"billing"`, 1), false},
		{"a time that is not RFC 3339", 200, map[string]string{"ETag": `"usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.1"`}, strings.Replace(userJSON, `"updatedAt":"2026-11-27T10:00:00Z"`, `"updatedAt":"yesterday"`, 1), false},
		{"the documented 404", 404, nil, `{"error":{"code":"not_found","message":"No such user."}}`, true},
		{"a 404 with another status's code", 404, nil, `{"error":{"code":"forbidden","message":"No."}}`, false},
		{"API Gateway's 401", 401, nil, `{"message":"Unauthorized"}`, true},
		{"a status GetUser does not document", 409, nil, `{"error":{"code":"user_exists","message":"Taken."}}`, false},
		{"a 429 without Retry-After", 429, nil, `{"error":{"code":"rate_limited","message":"Slow down."}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/businesses/demo/users/ann@example.com", nil)
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", "application/json")
			for k, v := range tc.header {
				rec.Header().Set(k, v)
			}
			rec.WriteHeader(tc.status)
			rec.WriteString(tc.body)
			err := s.ValidateResponse(req, rec.Result())
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestValidateRequest checks that request bodies are held to the document
// too: the sample events' bodies are checked with it.
func TestValidateRequest(t *testing.T) {
	s := load(t)
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"email":"ann@example.com","permissions":["crm"]}`, true},
		{`{"email":"ann@example.com","role":"admin"}`, false},
		{`{"firstName":"Ann"}`, false},
		{`{"email":"ann@example.com","permissions":["billing"]}`, false},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/businesses/demo/users", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		err := s.ValidateRequest(req)
		if tc.ok && err != nil {
			t.Errorf("%s refused: %v", tc.body, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%s accepted", tc.body)
		}
	}
}
