package team

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Clients branch on it, so the
// values never change once published (SPEC §4).
type Code string

// The error codes of SPEC §4. The HTTP layer maps each to one status code.
const (
	CodeInvalidRequest     Code = "invalid_request"
	CodeUnauthenticated    Code = "unauthenticated"
	CodeForbidden          Code = "forbidden"
	CodeNotFound           Code = "not_found"
	CodeUserExists         Code = "user_exists"
	CodePreconditionFailed Code = "precondition_failed"
	CodePayloadTooLarge    Code = "payload_too_large"
	CodeSelfLockout        Code = "self_lockout"
	CodeRateLimited        Code = "rate_limited"
	CodeInternal           Code = "internal"
	// CodeBusinessExists is used only by the local stack's /dev/businesses.
	CodeBusinessExists Code = "business_exists"
)

// Error is an error a person can act on: a code, a message written for the
// person who made the request, and, for validation errors, a reason per field.
type Error struct {
	Code    Code
	Message string
	// Fields maps a request field name to why its value was refused.
	Fields map[string]string
	// Err is the cause, kept for logs and errors.Is; it is never shown to clients.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields returns an invalid_request error with a reason per field.
func InvalidFields(fields map[string]string) *Error {
	return &Error{Code: CodeInvalidRequest, Message: "Some fields are not valid; see fields for details.", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, ErrRateLimited) {
		return CodeRateLimited
	}
	return CodeInternal
}

// ErrorMessage returns the message of the first *Error in err's chain, and a
// generic message for any other error, so that internals never reach clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, ErrRateLimited) {
		return "Too many requests right now; please retry shortly."
	}
	return "Something went wrong on our side. Please try again; if it keeps happening, contact support."
}

// Sentinel errors returned by a Store. They describe what the storage found;
// the Service turns them into *Error values with messages for people.
var (
	// ErrNotFound: the business, user or item does not exist.
	ErrNotFound = errors.New("team: not found")
	// ErrActorNotAllowed: at commit time the actor was not a user of the
	// business holding the users permission.
	ErrActorNotAllowed = errors.New("team: actor may not manage users")
	// ErrUserExists: a user with that email already belongs to the business.
	ErrUserExists = errors.New("team: user exists")
	// ErrStale: the user changed since it was read (its version moved on).
	ErrStale = errors.New("team: user changed since it was read")
	// ErrTabsNotEnabled: a permission names a tab the business has not enabled.
	ErrTabsNotEnabled = errors.New("team: tab not enabled for the business")
	// ErrBusinessExists: a business with that id already exists.
	ErrBusinessExists = errors.New("team: business exists")
	// ErrInvalidCursor: a paging cursor was malformed or belongs elsewhere.
	ErrInvalidCursor = errors.New("team: invalid cursor")
	// ErrRateLimited: the database throttled the request even after retries.
	ErrRateLimited = errors.New("team: rate limited")
)
