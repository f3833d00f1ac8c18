package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/businessapp/usermanagement/internal/team"
)

// TeamService is what the API needs of the domain; *team.Service has it.
type TeamService interface {
	ListTabs(ctx context.Context, caller string, businessID team.BusinessID) ([]team.Tab, error)
	ListUsers(ctx context.Context, caller string, businessID team.BusinessID, page team.PageRequest) (team.UserPage, error)
	GetUser(ctx context.Context, caller string, businessID team.BusinessID, email string) (team.User, error)
	InviteUser(ctx context.Context, caller string, businessID team.BusinessID, in team.Invitation) (team.User, error)
	SetPermissions(ctx context.Context, caller string, businessID team.BusinessID, email string, tabs []string, pre team.Precondition) (team.User, error)
	UpdateContact(ctx context.Context, caller string, businessID team.BusinessID, email string, patch team.ContactPatch, pre team.Precondition) (team.User, error)
	RemoveUser(ctx context.Context, caller string, businessID team.BusinessID, email string, pre team.Precondition) error
	ListActivity(ctx context.Context, caller string, businessID team.BusinessID, page team.PageRequest) (team.ActivityPage, error)
}

var _ TeamService = (*team.Service)(nil)

// API serves the routes of the route table.
type API struct {
	svc TeamService
	log *slog.Logger
}

// New returns an API over the service, logging server errors to log.
func New(svc TeamService, log *slog.Logger) *API {
	return &API{svc: svc, log: log}
}

type callerKey struct{}

// WithCaller returns a context carrying the caller's email claim, as verified
// by whatever authenticated the request (API Gateway's JWT authorizer in AWS,
// the local stack's stand-in locally).
func WithCaller(ctx context.Context, emailClaim string) context.Context {
	return context.WithValue(ctx, callerKey{}, emailClaim)
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id that server-error
// logs and responses mention, so a report from a client can be found in logs.
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
		defer func() {
			if p := recover(); p != nil {
				a.writeError(w, r, route, fmt.Errorf("panic: %v", p))
			}
		}()
		claim, _ := r.Context().Value(callerKey{}).(string)
		caller, err := team.NormalizeEmail(claim)
		if err != nil {
			a.writeError(w, r, route, team.Errorf(CodeUnauthenticated,
				"Sign in again: the request carries no valid token with an email claim."))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, caller))
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
	})
}

// caller returns the normalised caller email that wrap put in the context.
func caller(r *http.Request) string {
	s, _ := r.Context().Value(callerKey{}).(string)
	return s
}

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

// statusOf is the one place error codes become HTTP status codes.
var statusOf = map[team.Code]int{
	team.CodeInvalidRequest:     http.StatusBadRequest,
	CodeUnauthenticated:         http.StatusUnauthorized,
	team.CodeForbidden:          http.StatusForbidden,
	team.CodeInvitationExpired:  http.StatusForbidden,
	team.CodeNotFound:           http.StatusNotFound,
	team.CodeUserExists:         http.StatusConflict,
	team.CodePreconditionFailed: http.StatusPreconditionFailed,
	CodePayloadTooLarge:         http.StatusRequestEntityTooLarge,
	team.CodeSelfLockout:        http.StatusUnprocessableEntity,
	team.CodeRateLimited:        http.StatusTooManyRequests,
	team.CodeInternal:           http.StatusInternalServerError,
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
	if code == team.CodeRateLimited {
		w.Header().Set("Retry-After", "1")
	}
	if code == CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer`)
	}
	writeJSON(w, StatusOf(code), errorBody(code, team.ErrorMessage(err), fields))
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, route Route, err error) {
	code := team.ErrorCode(err)
	if StatusOf(code) >= 500 {
		// Logged here and only here; the client gets a generic message.
		id, _ := r.Context().Value(requestIDKey{}).(string)
		a.log.ErrorContext(r.Context(), "request failed",
			slog.String("operation", route.Operation), slog.String("requestId", id), slog.Any("error", err))
	}
	WriteError(w, err)
}
