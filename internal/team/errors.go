package team

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. Clients branch on it, so the
// values never change once published (SPEC §4).
type Code string

// The error codes of SPEC §4 that the domain produces. Codes that only a
// transport or the local stack can produce (unauthenticated,
// payload_too_large, business_exists) are declared by the packages that
// produce them; internal/httpapi maps every code to one status code.
const (
	CodeInvalidRequest     Code = "invalid_request"
	CodeForbidden          Code = "forbidden"
	CodeInvitationExpired  Code = "invitation_expired"
	CodeNotFound           Code = "not_found"
	CodeUserExists         Code = "user_exists"
	CodePreconditionFailed Code = "precondition_failed"
	CodeSelfLockout        Code = "self_lockout"
	// CodeAlreadyActive: resending the invitation of a user who is active
	// already; there is nothing to accept.
	CodeAlreadyActive Code = "already_active"
	// CodeOwnerProtected: the change would remove the owner, or change the
	// owner's permissions or email, and the caller is someone else (I9).
	CodeOwnerProtected Code = "owner_protected"
	CodeRateLimited    Code = "rate_limited"
	CodeInternal       Code = "internal"
	// CodeUnavailable: the database did not answer within the request's
	// deadline (invariant I11); the request may be retried.
	CodeUnavailable Code = "unavailable"
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
	// RetryAfter, for rate_limited, is how long the client should wait
	// before the same request can succeed; 0 means "shortly" (the transport
	// then asks for a pause of its own choosing).
	RetryAfter time.Duration
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

// InvalidField returns an invalid_request error about one field: the
// reason is both the message and the field's reason. It is the one shape of
// a validation error; JoinInvalid merges several into one answer.
func InvalidField(field, reason string) *Error {
	return &Error{Code: CodeInvalidRequest, Message: reason, Fields: map[string]string{field: reason}}
}

// Field files a validation error under the request field name: an
// invalid_request *Error about one field becomes the same error about name.
// Validators that cannot know the name of the field they check (a first or
// a last name) use a generic one, and their callers file it with Field.
// Nil and every other error are returned unchanged.
func Field(name string, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidRequest || len(e.Fields) != 1 {
		return err
	}
	for _, reason := range e.Fields {
		renamed := *e
		renamed.Fields = map[string]string{name: reason}
		return &renamed
	}
	return err
}

// JoinInvalid merges the validation errors of several fields into one
// invalid_request error that names every refused field, so that a person
// fixes a form in one go. Nil errors are skipped; it returns nil when all
// are nil. An error that is not an invalid_request *Error is returned as
// it is, since it is not about the input.
func JoinInvalid(errs ...error) error {
	fields := map[string]string{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidRequest || len(e.Fields) == 0 {
			return err
		}
		for name, reason := range e.Fields {
			fields[name] = reason
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return InvalidFields(fields)
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
	if errors.Is(err, ErrUnavailable) {
		return CodeUnavailable
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
	if errors.Is(err, ErrUnavailable) {
		return "The database did not answer in time. Please retry in a moment; if you were making a change, reload first to see whether it was saved."
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
	// ErrOwnerProtected: a Mutation would remove or re-address the owner's
	// record, which the store refuses atomically (invariant I9).
	ErrOwnerProtected = errors.New("team: the owner's record cannot be removed or re-addressed")
	// ErrTabsNotEnabled: a permission names a tab the business has not enabled.
	ErrTabsNotEnabled = errors.New("team: tab not enabled for the business")
	// ErrBusinessExists: a business with that id already exists (only the
	// stores' CreateBusiness, which provisioning and the local stack use).
	ErrBusinessExists = errors.New("team: business exists")
	// ErrInvalidCursor: a paging cursor was malformed or belongs elsewhere.
	ErrInvalidCursor = errors.New("team: invalid cursor")
	// ErrRateLimited: the database throttled the request even after retries.
	ErrRateLimited = errors.New("team: rate limited")
	// ErrEmailBudgetSpent: the business has sent as many emails in the
	// last hour as its budget allows (invariant I10); a Store returns it
	// wrapped in *EmailBudgetError, which says when a slot frees up.
	ErrEmailBudgetSpent = errors.New("team: email budget spent")
	// ErrResendTooSoon: a resend of a user's invitation came within
	// ResendInterval of the last one (SPEC §4); a Store returns it wrapped
	// in *ResendTooSoonError, which says when a resend is allowed again.
	ErrResendTooSoon = errors.New("team: invitation sent too recently")
	// ErrUnavailable: the database did not answer before the request's
	// deadline (or its connection timed out) even after retries. A write
	// that fails so was applied whole or not at all: each is one
	// transaction.
	ErrUnavailable = errors.New("team: database unavailable")
)

// EmailBudgetError is a Store's refusal of a Mutation that would send an
// email while the business's budget for the rolling hour is spent. Nothing
// of the Mutation was written.
type EmailBudgetError struct {
	// RetryAt is when the oldest email of the last hour leaves the window,
	// the earliest instant the same Mutation can be accepted.
	RetryAt time.Time
}

// Error implements error.
func (e *EmailBudgetError) Error() string {
	return fmt.Sprintf("%v until %s", ErrEmailBudgetSpent, e.RetryAt.Format(time.RFC3339Nano))
}

// Unwrap lets errors.Is(err, ErrEmailBudgetSpent) match.
func (e *EmailBudgetError) Unwrap() error { return ErrEmailBudgetSpent }

// ResendTooSoonError is a Store's refusal of a Mutation with LimitResend
// while the user's invitation was sent too recently. Nothing of the
// Mutation was written.
type ResendTooSoonError struct {
	// RetryAt is when the user's invitation may be sent again
	// (NextResendAt of the invitation as stored).
	RetryAt time.Time
}

// Error implements error.
func (e *ResendTooSoonError) Error() string {
	return fmt.Sprintf("%v; allowed again at %s", ErrResendTooSoon, e.RetryAt.Format(time.RFC3339Nano))
}

// Unwrap lets errors.Is(err, ErrResendTooSoon) match.
func (e *ResendTooSoonError) Unwrap() error { return ErrResendTooSoon }
