// Package delivery turns committed activity records into what the outside
// world hears about them: a welcome email for every invite (SES) and an
// event for every change (EventBridge), at least once and never lost
// (invariant I6, SPEC §5). It runs as the Lambda on the table's stream.
package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/businessapp/usermanagement/internal/changejson"
	"github.com/businessapp/usermanagement/internal/team"
)

// ErrPermanent marks a failure that retrying cannot fix (SES rejected the
// message, EventBridge refused the entry as malformed). Adapters wrap such
// failures with it; every other error is treated as retryable (throttling,
// 5xx, network), and the record is handed back to Lambda to retry.
var ErrPermanent = errors.New("delivery: permanent failure")

// Source is the EventBridge source of every event (SPEC §5).
const Source = "businessapp.users"

// DetailType is the EventBridge detail-type of an event.
type DetailType string

// The detail-types of SPEC §5; the downstream table gives each activity
// type its one.
const (
	DetailUserAdded              DetailType = "UserAdded"
	DetailUserRemoved            DetailType = "UserRemoved"
	DetailUserPermissionsChanged DetailType = "UserPermissionsChanged"
	DetailUserContactInfoChanged DetailType = "UserContactInfoChanged"
	DetailOwnerTransferred       DetailType = "OwnerTransferred"
	DetailUserActivated          DetailType = "UserActivated"
	DetailUserInvitationResent   DetailType = "UserInvitationResent"
)

// Event is one event to put on the bus.
type Event struct {
	DetailType DetailType
	Time       time.Time
	Detail     Detail
}

// Detail is the detail of every event; its JSON is the contract with
// subscribers, documented by the JSON Schemas under docs/events.
type Detail struct {
	// EventID is the activity id: unique, and the same on every retry, so
	// subscribers can drop duplicates.
	EventID    string      `json:"eventId"`
	OccurredAt time.Time   `json:"occurredAt"`
	BusinessID string      `json:"businessId"`
	Actor      DetailActor `json:"actor"`
	User       DetailUser  `json:"user"`
	// Changes is the same JSON as an Activity's changes in the API; it is
	// {} when nothing changed (removals).
	Changes changejson.Changes `json:"changes"`
}

// DetailActor is who made the change.
type DetailActor struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// DetailUser is the user the change is about; unset fields are null.
type DetailUser struct {
	// ID lets a subscriber follow one person through email changes.
	ID        string  `json:"id"`
	Email     string  `json:"email"`
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	Phone     *string `json:"phone"`
}

// Publisher puts events on the bus. It returns one error per event, in
// order (nil for an event that was accepted), so that a partial failure
// retries only the events that failed; the second result is for a call that
// failed as a whole. Implementations send at most ten events per call.
type Publisher interface {
	Publish(ctx context.Context, events []Event) ([]error, error)
}

// WelcomeEmail is a rendered email: a welcome email, or a notice, which has
// the same parts.
type WelcomeEmail struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Mailer sends email. It returns the provider's message id.
type Mailer interface {
	Send(ctx context.Context, email WelcomeEmail) (messageID string, err error)
}

// Directory looks up what a welcome email names: the business and the
// person who sent the invitation. The DynamoDB store has it.
type Directory interface {
	Business(ctx context.Context, businessID team.BusinessID) (team.Business, error)
	User(ctx context.Context, businessID team.BusinessID, email string) (team.User, error)
}

// State is what has been delivered for one activity record.
type State struct {
	// Emails holds the kinds of email done: sent, or permanently failed
	// and recorded.
	Emails    map[EmailKind]bool
	EventDone bool // put, or permanently failed and recorded
	// Gone is set by Ledger.States for an activity whose record no
	// longer exists.
	Gone bool
}

// ActivityRef names one activity record.
type ActivityRef struct {
	BusinessID team.BusinessID
	ActivityID string
}

// EmailDone reports whether the email of the kind is done.
func (s State) EmailDone(kind EmailKind) bool { return s.Emails[kind] }

// Ledger records delivery on the activity record itself, with conditional
// writes, so that a batch delivered twice sends nothing twice. Each kind of
// email is recorded apart: one activity may send two (a welcome email and
// a notice), and one failing must not send the other again.
type Ledger interface {
	// State returns what has been delivered for the activity (read
	// consistently). Errors: team.ErrNotFound when the record is gone.
	State(ctx context.Context, businessID team.BusinessID, activityID string) (State, error)
	// States returns what has been delivered for each activity, in
	// order, read consistently and in as few requests as the store
	// allows: a batch's state is one read, not one per record. An
	// activity whose record is gone has Gone set. Errors: the store's
	// read errors, for the whole call.
	States(ctx context.Context, refs []ActivityRef) ([]State, error)
	// EmailSent records that the email of the kind went out with
	// messageID.
	EmailSent(ctx context.Context, businessID team.BusinessID, activityID string, kind EmailKind, messageID string, at time.Time) error
	// EmailFailed records a permanent failure of the email of the kind,
	// and why.
	EmailFailed(ctx context.Context, businessID team.BusinessID, activityID string, kind EmailKind, reason string, at time.Time) error
	// EventPut records that the event was accepted by the bus.
	EventPut(ctx context.Context, businessID team.BusinessID, activityID string, at time.Time) error
	// EventFailed records a permanent event failure and why.
	EventFailed(ctx context.Context, businessID team.BusinessID, activityID, reason string, at time.Time) error
}

// Outcome is one delivery outcome of an activity, for OutcomeRecorder: an
// email of a kind sent (with its message id) or refused for good, or the
// event put or refused for good (Email empty).
type Outcome struct {
	// Email is the kind of email recorded; empty for the event.
	Email EmailKind
	// Failed marks a permanent refusal, with Reason; otherwise the email
	// went out with MessageID, or the bus accepted the event.
	Failed    bool
	MessageID string
	Reason    string
	At        time.Time
}

// OutcomeRecorder is a Ledger that records several outcomes of one
// activity in one write. The consumer records an activity's emails and
// its event with it when the ledger has it: an invite then costs one
// conditional write instead of two, in round trips, capacity and stream
// records. A ledger without it gets one call per outcome.
type OutcomeRecorder interface {
	// RecordOutcomes records each outcome as the Ledger's single-outcome
	// methods would: an outcome whose mark is set already keeps the first
	// one, and that is not an error. Errors: the store's write errors,
	// for all the outcomes (none may be recorded then).
	RecordOutcomes(ctx context.Context, businessID team.BusinessID, activityID string, outcomes []Outcome) error
}
