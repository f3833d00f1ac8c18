package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

// API serves the routes of the route table.
type API struct {
	svc     TeamService
	log     *slog.Logger
	timeout time.Duration
	metrics Metrics // nil: none
	newID   func() string
	now     func() time.Time
}

// DefaultRequestTimeout is the deadline of every request unless
// RequestTimeout says otherwise (SPEC I11): below the functions' Lambda
// timeout and API Gateway's 30 seconds, so the service answers first.
const DefaultRequestTimeout = 5 * time.Second

// Option configures an API.
type Option func(*API)

// RequestTimeout sets the deadline of every request; d <= 0 keeps the
// default.
func RequestTimeout(d time.Duration) Option {
	return func(a *API) {
		if d > 0 {
			a.timeout = d
		}
	}
}

// New returns an API over the service, logging one line per request to
// log (server errors at error level, with their cause).
func New(svc TeamService, log *slog.Logger, opts ...Option) *API {
	a := &API{svc: svc, log: log, timeout: DefaultRequestTimeout, newID: randomID, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a
}

type callerKey struct{}

// WithCaller returns a context carrying the caller's email claim, as verified
// by whatever authenticated the request (API Gateway's JWT authorizer in AWS,
// the local stack's stand-in locally).
func WithCaller(ctx context.Context, emailClaim string) context.Context {
	return context.WithValue(ctx, callerKey{}, emailClaim)
}

// WithCallerPicture returns a context carrying the caller's token picture
// claim (PictureClaim), read where WithCaller's claim is read; the service
// records it when it is an https URL of at most 2,048 characters and
// ignores it otherwise.
func WithCallerPicture(ctx context.Context, pictureClaim string) context.Context {
	return team.WithCallerPicture(ctx, pictureClaim)
}

// PictureClaim is the standard OpenID Connect claim of the user's picture.
const PictureClaim = "picture"

type requestIDKey struct{}

// WithRequestID returns a context carrying the request's id, which its log
// line names (API Gateway's id in AWS, which the access log names too); a
// request without one gets one made up (RequestIDs).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// Handler returns the handler of one operation, for a Lambda that serves
// only that route. Path wildcards must already be set on the request
// (Request.SetPathValue), as the gateway adapter does.
func (a *API) Handler(operation string) (http.Handler, error) {
	for _, r := range routes {
		if r.Operation == operation {
			return a.wrap(r), nil
		}
	}
	return nil, fmt.Errorf("httpapi: no operation %q", operation)
}

// Mux returns a handler serving every route, with JSON answers for unknown
// paths (404) and for methods a path does not take (405).
func (a *API) Mux() *http.ServeMux {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	for _, r := range routes {
		mux.Handle(r.Method+" "+r.Path, a.wrap(r))
		allowed[r.Path] = append(allowed[r.Path], r.Method)
	}
	for path, methods := range allowed {
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody(team.CodeInvalidRequest,
				fmt.Sprintf("%s is not supported here; use %s.", r.Method, allow), nil))
		})
	}
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody(team.CodeNotFound, "There is no such API endpoint; see the API reference for the routes.", nil))
	})
	return mux
}

// response is what a route returns on success.
type response struct {
	status int
	body   any // nil for no body
	header http.Header
}

func (a *API) wrap(route Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.observe(w, r, route, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, route) })
	})
}

// serve answers a request of the route.
func (a *API) serve(w http.ResponseWriter, r *http.Request, route Route) {
	defer func() {
		if p := recover(); p != nil {
			a.writeError(w, r, route, fmt.Errorf("panic: %v", p))
		}
	}()
	// Every request has a deadline (I11): a database that does not
	// answer makes it fail with 503 unavailable in time, rather than
	// hang until API Gateway gives up with an answer of its own.
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	r = r.WithContext(ctx)
	claim, _ := r.Context().Value(callerKey{}).(string)
	caller, err := team.NormalizeEmail(claim)
	if err != nil {
		a.writeError(w, r, route, team.Errorf(CodeUnauthenticated,
			"Sign in again: the request carries no valid token with an email claim."))
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), callerKey{}, caller))
	if info := infoOf(r.Context()); info != nil {
		info.mu.Lock()
		info.caller = caller
		info.mu.Unlock()
	}
	resp, err := route.serve(a, r)
	if err != nil {
		a.writeError(w, r, route, err)
		return
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	writeJSON(w, resp.status, resp.body)
}

// caller returns the normalised caller email that wrap put in the context.
func caller(r *http.Request) string {
	s, _ := r.Context().Value(callerKey{}).(string)
	return s
}

// Token claims (SPEC §4). The caller is the claim the deployment names
// (EMAIL_CLAIM, default DefaultEmailClaim); a token whose EmailVerifiedClaim
// is present and not true is refused with 401, whoever verified it.
const (
	DefaultEmailClaim  = "email"
	EmailVerifiedClaim = "email_verified"
)

// UnverifiedEmailMessage is the 401 message for a token whose email is not
// verified, the same from the gateway adapter and the local authorizer.
const UnverifiedEmailMessage = "Your email address is not verified yet: verify it with your sign-in provider, then sign in again."

// Error codes that only the transport produces: the domain never sees a
// token or a request body (SPEC §4).
const (
	CodeUnauthenticated team.Code = "unauthenticated"
	CodePayloadTooLarge team.Code = "payload_too_large"
)

// codeBusinessExists is the code of internal/local's CodeBusinessExists
// (the local stack's POST /dev/businesses). The local stack answers in this
// API's format through WriteError, so its status is decided here with the
// rest; local imports this package, not the other way round, hence the
// value rather than the name. local's tests check that the two agree.
const codeBusinessExists team.Code = "business_exists"

// unavailableRetryAfterSeconds is the Retry-After of a 503 unavailable.
const unavailableRetryAfterSeconds = 2

// statusOf is the one place error codes become HTTP status codes.
var statusOf = map[team.Code]int{
	team.CodeInvalidRequest:     http.StatusBadRequest,
	CodeUnauthenticated:         http.StatusUnauthorized,
	team.CodeForbidden:          http.StatusForbidden,
	team.CodeInvitationExpired:  http.StatusForbidden,
	team.CodeNotFound:           http.StatusNotFound,
	team.CodeUserExists:         http.StatusConflict,
	team.CodeAlreadyActive:      http.StatusConflict,
	team.CodePreconditionFailed: http.StatusPreconditionFailed,
	CodePayloadTooLarge:         http.StatusRequestEntityTooLarge,
	team.CodeSelfLockout:        http.StatusUnprocessableEntity,
	team.CodeOwnerProtected:     http.StatusUnprocessableEntity,
	team.CodeRateLimited:        http.StatusTooManyRequests,
	team.CodeInternal:           http.StatusInternalServerError,
	team.CodeUnavailable:        http.StatusServiceUnavailable,
	codeBusinessExists:          http.StatusConflict,
}

// StatusOf returns the HTTP status for an error code.
func StatusOf(code team.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteError writes err as an API error response, for other components
// (such as the local authorizer) that answer in the API's format.
func WriteError(w http.ResponseWriter, err error) {
	code := team.ErrorCode(err)
	var fields map[string]string
	var e *team.Error
	if errors.As(err, &e) {
		fields = e.Fields
	}
	switch code {
	case team.CodeRateLimited:
		// The domain says how long when it knows (an email budget frees
		// a slot at a known instant); otherwise a short pause.
		retryAfter := 1
		if e != nil && e.RetryAfter > 0 {
			retryAfter = int((e.RetryAfter + time.Second - 1) / time.Second)
		}
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	case team.CodeUnavailable:
		// A database that missed a deadline is usually back within
		// seconds; asking for a short pause spreads the retries out.
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfterSeconds))
	}
	if code == CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer`)
	}
	writeJSON(w, StatusOf(code), errorBody(code, team.ErrorMessage(err), fields))
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, route Route, err error) {
	code := team.ErrorCode(err)
	if code == team.CodeInternal && errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		// Whatever failed, it failed because the deadline passed: the
		// client may retry, as for any database that did not answer.
		err = &team.Error{Code: team.CodeUnavailable, Message: team.ErrorMessage(team.ErrUnavailable), Err: err}
		code = team.CodeUnavailable
	}
	// A server error is logged once, on the request's line (observe), with
	// its cause; the client gets a generic message.
	if info := infoOf(r.Context()); info != nil {
		info.mu.Lock()
		info.code, info.err = code, err
		info.mu.Unlock()
	}
	WriteError(w, err)
}
