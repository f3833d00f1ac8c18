package local

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type clockAt time.Time

func (c clockAt) Now() time.Time { return time.Time(c) }

func TestAuthorizerRefusesBadTokens(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	auth := NewAuthorizer(clockAt(now))
	good, err := auth.Issue("owner@demo.test")
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := NewAuthorizerWithKey(auth.key, clockAt(now.Add(-13*time.Hour))).Issue("owner@demo.test")
	otherKey, _ := NewAuthorizer(clockAt(now)).Issue("owner@demo.test")
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
