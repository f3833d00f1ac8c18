package local

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type clockAt time.Time

func (c clockAt) Now() time.Time { return time.Time(c) }

func TestAuthorizerRefusesBadTokens(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	auth := NewAuthorizer(clockAt(now), "")
	good, err := auth.Issue("owner@demo.test", true)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := NewAuthorizerWithKey(auth.key, clockAt(now.Add(-13*time.Hour)), "").Issue("owner@demo.test", true)
	otherKey, _ := NewAuthorizer(clockAt(now), "").Issue("owner@demo.test", true)
	unverified, _ := auth.Issue("owner@demo.test", false)
	otherClaim, _ := NewAuthorizerWithKey(auth.key, clockAt(now), "custom:mail").Issue("owner@demo.test", true)
	claimed := func(extra jwt.MapClaims) string {
		c := jwt.MapClaims{"email": "owner@demo.test", "iss": tokenIssuer, "aud": tokenAudience, "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			c[k] = v
		}
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(auth.key)
		return tok
	}
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"email": "owner@demo.test", "iss": tokenIssuer, "aud": tokenAudience, "exp": now.Add(time.Hour).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	wrongIssuer, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"email": "owner@demo.test", "iss": "someone-else", "aud": tokenAudience, "exp": now.Add(time.Hour).Unix(),
	}).SignedString(auth.key)

	tests := []struct {
		name, header string
		want         int
	}{
		{"valid", "Bearer " + good, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + good, http.StatusOK},
		{"missing", "", http.StatusUnauthorized},
		{"not bearer", "Basic b3duZXI6cHc=", http.StatusUnauthorized},
		{"expired", "Bearer " + expired, http.StatusUnauthorized},
		{"signed by another stack", "Bearer " + otherKey, http.StatusUnauthorized},
		{"alg none", "Bearer " + unsigned, http.StatusUnauthorized},
		{"wrong issuer", "Bearer " + wrongIssuer, http.StatusUnauthorized},
		{"garbage", "Bearer abc.def.ghi", http.StatusUnauthorized},
		// SPEC §4: email_verified present and not true is refused.
		{"email_verified false (POST /dev/token's emailVerified: false)", "Bearer " + unverified, http.StatusUnauthorized},
		{"email_verified absent", "Bearer " + claimed(nil), http.StatusOK},
		{"email_verified the string true", "Bearer " + claimed(jwt.MapClaims{"email_verified": "true"}), http.StatusOK},
		{"email_verified the string false", "Bearer " + claimed(jwt.MapClaims{"email_verified": "false"}), http.StatusUnauthorized},
		{"email_verified null", "Bearer " + claimed(jwt.MapClaims{"email_verified": nil}), http.StatusUnauthorized},
		{"email_verified 1", "Bearer " + claimed(jwt.MapClaims{"email_verified": 1}), http.StatusUnauthorized},
		// The email is read from the configured claim only.
		{"email under another claim than the configured one", "Bearer " + otherClaim, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen bool
			h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = true }))
			req := httptest.NewRequest("GET", "/v1/businesses/demo/users", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want || seen != (tt.want == http.StatusOK) {
				t.Errorf("status %d, reached handler %v; want %d", rec.Code, seen, tt.want)
			}
			if tt.want == http.StatusUnauthorized && rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("401 without a JSON error body")
			}
		})
	}
}

// TestDevTokenEmailVerified: POST /dev/token's "emailVerified": false puts
// email_verified: false in the token (SPEC §6), which the authorizer then
// refuses with 401 saying why; omitted or true, the token is accepted and
// names its caller from the configured claim.
func TestDevTokenEmailVerified(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, claim := range []string{"", "custom:mail"} {
		auth := NewAuthorizer(clockAt(now), claim)
		dev := &devAPI{auth: auth, clock: clockAt(now)}
		for _, tt := range []struct {
			body         string
			wantVerified bool
			want         int
		}{
			{`{"email":"Ann@Example.com"}`, true, http.StatusOK},
			{`{"email":"ann@example.com","emailVerified":true}`, true, http.StatusOK},
			{`{"email":"ann@example.com","emailVerified":false}`, false, http.StatusUnauthorized},
		} {
			t.Run(claim+" "+tt.body, func(t *testing.T) {
				rec := httptest.NewRecorder()
				dev.token(rec, httptest.NewRequest("POST", "/dev/token", strings.NewReader(tt.body)))
				var out struct{ Token string }
				if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != http.StatusOK || err != nil {
					t.Fatalf("POST /dev/token: %d %s", rec.Code, rec.Body)
				}
				c := jwt.MapClaims{}
				if _, _, err := jwt.NewParser().ParseUnverified(out.Token, c); err != nil {
					t.Fatal(err)
				}
				wantClaim := claim
				if wantClaim == "" {
					wantClaim = "email"
				}
				if c["email_verified"] != tt.wantVerified || c[wantClaim] != "ann@example.com" {
					t.Errorf("claims %v, want email_verified %v and %s ann@example.com", c, tt.wantVerified, wantClaim)
				}
				h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
				req := httptest.NewRequest("GET", "/v1/businesses/demo/users", nil)
				req.Header.Set("Authorization", "Bearer "+out.Token)
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tt.want {
					t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
				}
				if tt.want == http.StatusUnauthorized && !strings.Contains(rec.Body.String(), "not verified") {
					t.Errorf("401 body %s does not say the email is not verified", rec.Body)
				}
			})
		}
	}
}
