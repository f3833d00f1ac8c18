// Package local is the local stack of `make run`: DynamoDB Local as the
// table, the same handlers the Lambdas run behind a stand-in for API
// Gateway's JWT authorizer, and the developer endpoints under /dev.
package local

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Token issuer and audience of the local stack. API Gateway in AWS checks
// its own issuer and audience, so a local token is worthless there.
const (
	tokenIssuer   = "businessapp-local"
	tokenAudience = "businessapp-local"
	tokenLifetime = 12 * time.Hour
)

// Authorizer issues and verifies the local stack's tokens (HS256, signed
// with a key made at start, so tokens die with the process).
type Authorizer struct {
	key   []byte
	clock team.Clock
	// emailClaim names the claim that holds the caller's email, the
	// deployment parameter EMAIL_CLAIM (default "email").
	emailClaim string
}

// NewAuthorizer returns an Authorizer with a fresh random key, reading the
// caller from the claim emailClaim ("" for the default, email).
func NewAuthorizer(clock team.Clock, emailClaim string) *Authorizer {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return NewAuthorizerWithKey(key, clock, emailClaim)
}

// NewAuthorizerWithKey returns an Authorizer signing with key.
func NewAuthorizerWithKey(key []byte, clock team.Clock, emailClaim string) *Authorizer {
	if emailClaim == "" {
		emailClaim = httpapi.DefaultEmailClaim
	}
	return &Authorizer{key: key, clock: clock, emailClaim: emailClaim}
}

// Issue returns a signed token for the email, whose email_verified claim
// is emailVerified (SPEC §6: POST /dev/token's "emailVerified").
func (a *Authorizer) Issue(email string, emailVerified bool) (string, error) {
	return a.IssueWithPicture(email, emailVerified, "")
}

// IssueWithPicture is Issue with a picture claim ("" for none), as an
// identity provider puts the user's profile image in their token.
func (a *Authorizer) IssueWithPicture(email string, emailVerified bool, picture string) (string, error) {
	now := a.clock.Now()
	claims := jwt.MapClaims{
		a.emailClaim:               email,
		httpapi.EmailVerifiedClaim: emailVerified,
		"iss":                      tokenIssuer,
		"aud":                      []string{tokenAudience},
		"sub":                      email,
		"iat":                      jwt.NewNumericDate(now),
		"exp":                      jwt.NewNumericDate(now.Add(tokenLifetime)),
	}
	if picture != "" {
		claims[httpapi.PictureClaim] = picture
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
}

// errUnverifiedEmail: the token says its email is not verified.
var errUnverifiedEmail = errors.New("the token's email_verified claim is not true")

// Verify checks a token's signature, algorithm, issuer, audience and expiry
// and returns its email claim. A token whose email_verified claim is
// present and not true is refused with errUnverifiedEmail, as the Lambda's
// gateway adapter refuses it (SPEC §4).
func (a *Authorizer) Verify(token string) (string, error) {
	email, _, err := a.verify(token)
	return email, err
}

// verify is Verify that also returns the token's picture claim ("" when
// absent).
func (a *Authorizer) verify(token string) (email, picture string, err error) {
	c := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return a.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer), jwt.WithAudience(tokenAudience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(a.clock.Now))
	if err != nil {
		return "", "", err
	}
	if v, present := c[httpapi.EmailVerifiedClaim]; present && v != true && v != "true" {
		return "", "", errUnverifiedEmail
	}
	email, _ = c[a.emailClaim].(string)
	if email == "" {
		return "", "", fmt.Errorf("token has no %s claim", a.emailClaim)
	}
	picture, _ = c[httpapi.PictureClaim].(string)
	return email, picture, nil
}

// Middleware does what API Gateway's JWT authorizer does: requests without a
// valid bearer token are refused with 401 before reaching next, and the
// email claim of a valid one is handed to the handlers.
func (a *Authorizer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			httpapi.WriteError(w, team.Errorf(httpapi.CodeUnauthenticated,
				"Send a token as Authorization: Bearer <token>; locally, get one from POST /dev/token."))
			return
		}
		email, picture, err := a.verify(strings.TrimSpace(token))
		if errors.Is(err, errUnverifiedEmail) {
			httpapi.WriteError(w, &team.Error{Code: httpapi.CodeUnauthenticated, Message: httpapi.UnverifiedEmailMessage, Err: err})
			return
		}
		if err != nil {
			httpapi.WriteError(w, &team.Error{Code: httpapi.CodeUnauthenticated,
				Message: fmt.Sprintf("The token was refused (%s); get a new one from POST /dev/token.", reason(err)), Err: err})
			return
		}
		ctx := httpapi.WithCallerPicture(httpapi.WithCaller(r.Context(), email), picture)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature; tokens do not survive a restart of the local stack"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	default:
		return "not issued by this local stack"
	}
}
