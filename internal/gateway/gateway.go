// Package gateway adapts API Gateway HTTP API events (payload format 2.0) to
// net/http, so a Lambda serves a route with the same handler the local stack
// serves it with.
package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Handler returns a Lambda handler that serves each event with h. The caller
// is the claim named emailClaim ("" for httpapi.DefaultEmailClaim) that API
// Gateway's JWT authorizer verified; a request without one reaches h without
// a caller and is answered 401. A token whose email_verified claim is
// present and not true is answered 401 without reaching h (SPEC §4).
func Handler(h http.Handler, emailClaim string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		rec := newRecorder()
		if !emailVerified(ev) {
			httpapi.WriteError(rec, team.Errorf(httpapi.CodeUnauthenticated, "%s", httpapi.UnverifiedEmailMessage))
			return rec.response(), nil
		}
		req, err := Request(ctx, ev, emailClaim)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		h.ServeHTTP(rec, req)
		return rec.response(), nil
	}
}

// emailVerified reports whether the event's token may name its caller: its
// email_verified claim is absent or true. API Gateway hands JWT claims to
// the function as strings, so a JSON true arrives as "true".
func emailVerified(ev events.APIGatewayV2HTTPRequest) bool {
	auth := ev.RequestContext.Authorizer
	if auth == nil || auth.JWT == nil {
		return true // no claims at all: h answers 401 for the missing caller
	}
	v, present := auth.JWT.Claims[httpapi.EmailVerifiedClaim]
	return !present || v == "true"
}

// Request builds the http.Request an event describes.
// The caller is the claim named emailClaim ("" for
// httpapi.DefaultEmailClaim).
func Request(ctx context.Context, ev events.APIGatewayV2HTTPRequest, emailClaim string) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("gateway: decode body: %w", err)
		}
		body = decoded
	}
	// HTTP APIs deliver rawPath already percent-decoded; url.URL re-encodes
	// it, so a decoded "?" or "#" in a path cannot turn into syntax.
	u := &url.URL{Path: ev.RawPath, RawQuery: ev.RawQueryString}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		return nil, fmt.Errorf("gateway: event has no HTTP method")
	}
	if jwt := ev.RequestContext.Authorizer; jwt != nil && jwt.JWT != nil {
		if emailClaim == "" {
			emailClaim = httpapi.DefaultEmailClaim
		}
		ctx = httpapi.WithCaller(ctx, jwt.JWT.Claims[emailClaim])
		ctx = httpapi.WithCallerPicture(ctx, jwt.JWT.Claims[httpapi.PictureClaim])
	}
	ctx = httpapi.WithRequestID(ctx, ev.RequestContext.RequestID)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		ctx = httpapi.WithLambdaRequestID(ctx, lc.AwsRequestID)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gateway: build request: %w", err)
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Host = ev.RequestContext.DomainName
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	req.RequestURI = u.RequestURI()
	// Path parameters arrive decoded; API Gateway matched the route already.
	for name, value := range ev.PathParameters {
		req.SetPathValue(name, value)
	}
	return req, nil
}

// recorder collects a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) response() events.APIGatewayV2HTTPResponse {
	r.WriteHeader(http.StatusOK)
	out := events.APIGatewayV2HTTPResponse{StatusCode: r.status, Headers: map[string]string{}, Body: r.body.String()}
	for k, v := range r.header {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, v...)
			continue
		}
		out.Headers[k] = strings.Join(v, ", ")
	}
	return out
}
