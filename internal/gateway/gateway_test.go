package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/memstore"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }

func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// annID is the id of the user the handler's business invites, which
// testdata/patch-user.json names in its If-Match.
const annID = "usr_01JD8X4B7K9QZ0M5N2P3R4S6T7"

// fixedIDs makes the same id every time, so that the invited user's ETag
// is known to the sample event.
type fixedIDs struct{}

func (fixedIDs) NewID(time.Time) string { return strings.TrimPrefix(annID, team.UserIDPrefix) }

func handler(t *testing.T, operation string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	t.Helper()
	return handlerWithClaim(t, operation, "")
}

// handlerWithClaim is handler reading the caller from the claim emailClaim.
func handlerWithClaim(t *testing.T, operation, emailClaim string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	t.Helper()
	store := memstore.New()
	tabs := team.Permissions{team.TabCRM, team.TabUsers}
	at := fixedClock{}.Now()
	if err := store.CreateBusiness(context.Background(), team.Business{ID: "acme", Name: "Acme", Tabs: tabs, CreatedAt: at},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: tabs, CreatedAt: at, UpdatedAt: at, Version: 1}); err != nil {
		t.Fatal(err)
	}
	svc := team.NewService(store, fixedClock{}, fixedIDs{}, phone.Normalizer{})
	if _, err := svc.InviteUser(context.Background(), "owner@acme.test", "acme", team.Invitation{Email: "ann+tag@acme.test", LastName: "Lee"}); err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler(operation)
	if err != nil {
		t.Fatal(err)
	}
	return gateway.Handler(h, emailClaim)
}

// An API Gateway event reaches the handler with its claims, decoded path
// parameters, headers and base64 body, and the answer goes back intact.
func TestEventRoundTrip(t *testing.T) {
	resp, err := handler(t, httpapi.OpUpdateContact)(context.Background(), loadEvent(t, "patch-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var user struct {
		Email, LastName string
		Version         int
	}
	if err := json.Unmarshal([]byte(resp.Body), &user); err != nil {
		t.Fatal(err)
	}
	want := struct {
		Email, LastName string
		Version         int
	}{"ann+tag@acme.test", "Leigh", 2}
	if diff := cmp.Diff(want, user); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	if resp.Headers["Etag"] != `"`+annID+`.2"` || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("headers = %v, want ETag \"%s.2\" and JSON", resp.Headers, annID)
	}
}

func TestEventWithoutClaimsIsUnauthenticated(t *testing.T) {
	ev := loadEvent(t, "patch-user.json")
	ev.RequestContext.Authorizer = nil
	resp, err := handler(t, httpapi.OpUpdateContact)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 {
		t.Errorf("status = %d, want 401", resp.StatusCode)
	}
}

// HTTP APIs hand over the path decoded; characters that are syntax in a URL
// must not change which request the handler sees.
func TestDecodedPathWithURLSyntax(t *testing.T) {
	ev := loadEvent(t, "patch-user.json")
	ev.RawPath = "/v1/businesses/acme/users/a?b#c@acme.test"
	ev.PathParameters["email"] = "a?b#c@acme.test"
	req, err := gateway.Request(context.Background(), ev, "")
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.Path != ev.RawPath || req.URL.RawQuery != "" || req.PathValue("email") != "a?b#c@acme.test" {
		t.Errorf("request path %q query %q email %q", req.URL.Path, req.URL.RawQuery, req.PathValue("email"))
	}
}

// TestEmailVerifiedClaim: API Gateway passes JWT claims as strings, so a
// token's JSON true arrives as "true". A token whose email_verified claim is
// present and anything but true is refused with 401 in the API's JSON,
// and the request never reaches the handler (nothing is written).
func TestEmailVerifiedClaim(t *testing.T) {
	for _, tt := range []struct {
		name     string
		verified *string
		want     int
	}{
		{"claim absent", nil, 200},
		{"true", ptr("true"), 200},
		{"false", ptr("false"), 401},
		{"empty", ptr(""), 401},
		{"not a boolean", ptr("yes"), 401},
		{"upper case", ptr("TRUE"), 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "patch-user.json")
			if tt.verified != nil {
				ev.RequestContext.Authorizer.JWT.Claims["email_verified"] = *tt.verified
			}
			resp, err := handler(t, httpapi.OpUpdateContact)(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, resp.Body)
			}
			if tt.want != 401 {
				return
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.Headers["Content-Type"] != "application/json" {
				t.Fatalf("401 is not the JSON error format (%v): %q %v", err, resp.Body, resp.Headers)
			}
			if body.Error.Code != "unauthenticated" || !strings.Contains(body.Error.Message, "not verified") {
				t.Errorf("error = %+v, want unauthenticated saying the email is not verified", body.Error)
			}
		})
	}
}

// TestEmailClaimName: the claim that names the caller is a deployment
// parameter; with another name configured, the email claim is not used.
func TestEmailClaimName(t *testing.T) {
	ev := loadEvent(t, "patch-user.json")
	claims := ev.RequestContext.Authorizer.JWT.Claims
	claims["custom:mail"] = claims["email"]
	claims["email"] = "someone-else@acme.test"
	resp, err := handlerWithClaim(t, httpapi.OpUpdateContact, "custom:mail")(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("with EMAIL_CLAIM custom:mail: status %d, want 200: %s", resp.StatusCode, resp.Body)
	}
	delete(claims, "custom:mail")
	claims["email"] = "Owner@Acme.test"
	resp, err = handlerWithClaim(t, httpapi.OpUpdateContact, "custom:mail")(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 {
		t.Errorf("without the configured claim: status %d, want 401: %s", resp.StatusCode, resp.Body)
	}
}

func ptr[T any](v T) *T { return &v }

// TestPictureClaim: the JWT's picture claim reaches the service, which
// records it as the caller's profile image.
func TestPictureClaim(t *testing.T) {
	ev := loadEvent(t, "patch-user.json")
	ev.RequestContext.HTTP.Method = "GET"
	ev.RouteKey = "GET /v1/businesses/{businessId}/users/{email}"
	ev.RawPath = "/v1/businesses/acme/users/owner@acme.test"
	ev.PathParameters = map[string]string{"businessId": "acme", "email": "owner@acme.test"}
	ev.Body, ev.IsBase64Encoded = "", false
	delete(ev.Headers, "if-match")
	delete(ev.Headers, "If-Match")
	ev.RequestContext.Authorizer.JWT.Claims["picture"] = "https://img.example.com/owner.png"
	resp, err := handler(t, httpapi.OpGetUser)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ProfileImageURL *string `json:"profileImageUrl"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET self: %d %s", resp.StatusCode, resp.Body)
	}
	if body.ProfileImageURL == nil || *body.ProfileImageURL != "https://img.example.com/owner.png" {
		t.Errorf("profileImageUrl = %v, want the token's picture claim", body.ProfileImageURL)
	}
}

// TestRequestLineNamesBothIDs checks that the request's log line names API
// Gateway's request id (the access log's) and Lambda's (its platform
// lines'), so that one request can be followed through both.
func TestRequestLineNamesBothIDs(t *testing.T) {
	var log strings.Builder
	store := memstore.New()
	at := fixedClock{}.Now()
	tabs := team.Permissions{team.TabCRM, team.TabUsers}
	if err := store.CreateBusiness(context.Background(), team.Business{ID: "acme", Name: "Acme", Tabs: tabs, CreatedAt: at},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: tabs, CreatedAt: at, UpdatedAt: at, Version: 1}); err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(team.NewService(store, fixedClock{}, fixedIDs{}, phone.Normalizer{}), slog.New(slog.NewJSONHandler(&log, nil))).Handler(httpapi.OpUpdateContact)
	if err != nil {
		t.Fatal(err)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	ev := loadEvent(t, "patch-user.json")
	ev.RequestContext.RequestID = "gw-req-1"
	if _, err := gateway.Handler(h, "")(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"requestId":"gw-req-1"`, `"lambdaRequestId":"lambda-req-1"`, `"operation":"UpdateContact"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the request line lacks %s: %s", want, log.String())
		}
	}
}
