package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// Record is one record of the table's stream that inserted an activity, as
// the consumer needs it. The edge adapter (internal/streamlambda) reads
// Lambda's stream events into Records and leaves out every other record.
type Record struct {
	// ID identifies the record in its batch (the stream's sequence
	// number); Deliver names the records to retry by it.
	ID string
	// EventID is the stream's id of the record, for logs.
	EventID string
	// Activity is the activity the record inserted. When Err is set, only
	// its BusinessID and ID may be known (from the item's keys), so that
	// the failure can be recorded on the item.
	Activity team.Activity
	// Err says why the record could not be read. Such a record can never
	// be delivered: it is recorded and logged, and never retried.
	Err error
}

// Deps are the consumer's collaborators.
type Deps struct {
	Ledger    Ledger
	Directory Directory
	Mailer    Mailer
	Publisher Publisher
	Clock     team.Clock
	Log       *slog.Logger
}

// Consumer delivers a batch of stream records: the welcome email of every
// invite and the event of every change, each at most once per record as far
// as the ledger can tell (a crash between the provider accepting and the
// ledger recording is the only window for a duplicate).
type Consumer struct {
	appBaseURL string
	d          Deps
}

// New returns a Consumer whose emails link to appBaseURL.
func New(appBaseURL string, d Deps) *Consumer {
	return &Consumer{appBaseURL: appBaseURL, d: d}
}

// item is one activity of the batch and how its delivery went.
type item struct {
	record   Record
	activity team.Activity
	state    State
	failed   error // retryable failure: hand the record back to Lambda
}

// Deliver delivers a batch of records in stream order and returns the IDs
// of the records that failed for a retryable reason, in batch order, so
// that Lambda retries from the earliest of them. It never fails the batch
// as a whole: permanent failures are recorded on the activity record,
// logged, and do not block the shard.
func (c *Consumer) Deliver(ctx context.Context, records []Record) (retry []string) {
	var items []*item
	for _, rec := range records {
		if rec.Err != nil {
			c.poison(ctx, rec)
			continue
		}
		items = append(items, &item{record: rec, activity: rec.Activity})
	}
	c.readStates(ctx, items)
	c.sendEmails(ctx, items)
	c.putEvents(ctx, items)

	for _, it := range items {
		if it.failed != nil {
			c.d.Log.WarnContext(ctx, "delivery will be retried", slog.String("activityId", it.activity.ID),
				slog.String("sequenceNumber", it.record.ID), slog.Any("error", it.failed))
			retry = append(retry, it.record.ID)
		}
	}
	return retry
}

// poison records and logs a record that can never be delivered, so that it
// does not block the records behind it.
func (c *Consumer) poison(ctx context.Context, rec Record) {
	c.d.Log.ErrorContext(ctx, "undeliverable stream record", slog.String("eventId", rec.EventID),
		slog.String("sequenceNumber", rec.ID), slog.Any("error", rec.Err))
	a, err := rec.Activity, rec.Err
	if a.BusinessID == "" || a.ID == "" {
		return
	}
	now := c.d.Clock.Now()
	reason := "undecodable activity record: " + err.Error()
	if err := errors.Join(
		c.d.Ledger.EmailFailed(ctx, a.BusinessID, a.ID, reason, now),
		c.d.Ledger.EventFailed(ctx, a.BusinessID, a.ID, reason, now),
	); err != nil {
		c.d.Log.ErrorContext(ctx, "could not record an undeliverable record", slog.String("activityId", a.ID), slog.Any("error", err))
	}
}

// readStates reads what was delivered already, concurrently: a batch that
// Lambda delivers again finds its records done and sends nothing twice.
func (c *Consumer) readStates(ctx context.Context, items []*item) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Go(func() {
			st, err := c.d.Ledger.State(ctx, it.activity.BusinessID, it.activity.ID)
			switch {
			case errors.Is(err, team.ErrNotFound):
				// The activity record is gone (deleted by hand): there is
				// nothing left to record delivery on, so deliver nothing.
				it.state = State{EmailDone: true, EventDone: true}
			case err != nil:
				it.failed = fmt.Errorf("read delivery state: %w", err)
			default:
				it.state = st
			}
		})
	}
	wg.Wait()
}

// sendEmails sends the batch's emails concurrently: a batch is at most a
// few records, and sending them one after the other would make the
// stream's delivery lag grow with every invite in a burst. Which activity
// sends which email is the downstream table's to say.
func (c *Consumer) sendEmails(ctx context.Context, items []*item) {
	lookups := &directoryMemo{dir: c.d.Directory, businesses: map[team.BusinessID]memo[team.Business]{}, users: map[string]memo[team.User]{}}
	var wg sync.WaitGroup
	for _, it := range items {
		if it.failed != nil || it.state.EmailDone || !sendsEmail(it.activity.Type, EmailWelcomeToTarget) {
			continue
		}
		wg.Go(func() { c.sendEmail(ctx, lookups, it) })
	}
	wg.Wait()
}

func (c *Consumer) sendEmail(ctx context.Context, lookups *directoryMemo, it *item) {
	a := it.activity
	email, err := c.welcome(ctx, lookups, a)
	var id string
	if err == nil {
		id, err = c.d.Mailer.Send(ctx, email)
	}
	now := c.d.Clock.Now()
	switch {
	case err == nil:
		if err := c.d.Ledger.EmailSent(ctx, a.BusinessID, a.ID, id, now); err != nil {
			// The email went out but is not recorded: the retry may send
			// it once more, the one duplicate I6 allows.
			it.failed = fmt.Errorf("record sent email: %w", err)
		}
	case errors.Is(err, ErrPermanent):
		c.d.Log.ErrorContext(ctx, "welcome email refused for good", slog.String("activityId", a.ID), slog.Any("error", err))
		if err := c.d.Ledger.EmailFailed(ctx, a.BusinessID, a.ID, err.Error(), now); err != nil {
			it.failed = fmt.Errorf("record email failure: %w", err)
		}
	default:
		it.failed = fmt.Errorf("send welcome email: %w", err)
	}
}

type memo[T any] struct {
	value T
	err   error
}

// directoryMemo reads each business and inviter once per batch: a burst of
// invites usually comes from one manager of one business.
type directoryMemo struct {
	dir        Directory
	mu         sync.Mutex
	businesses map[team.BusinessID]memo[team.Business]
	users      map[string]memo[team.User]
}

func (m *directoryMemo) business(ctx context.Context, id team.BusinessID) (team.Business, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.businesses[id]; ok {
		return v.value, v.err
	}
	b, err := m.dir.Business(ctx, id)
	m.businesses[id] = memo[team.Business]{b, err}
	return b, err
}

func (m *directoryMemo) user(ctx context.Context, businessID team.BusinessID, email string) (team.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := businessID.String() + "\x00" + email
	if v, ok := m.users[k]; ok {
		return v.value, v.err
	}
	u, err := m.dir.User(ctx, businessID, email)
	m.users[k] = memo[team.User]{u, err}
	return u, err
}

// PlatformInviterName is who the welcome email says invited an owner the
// platform provisioned (SPEC §7).
const PlatformInviterName = "The Business App"

// welcome renders the email of an invite, looking up the business and the
// inviter's name. An inviter removed since still has their email shown.
func (c *Consumer) welcome(ctx context.Context, lookups *directoryMemo, a team.Activity) (WelcomeEmail, error) {
	biz, err := lookups.business(ctx, a.BusinessID)
	if errors.Is(err, team.ErrNotFound) {
		return WelcomeEmail{}, fmt.Errorf("%w: business %s does not exist", ErrPermanent, a.BusinessID)
	}
	if err != nil {
		return WelcomeEmail{}, fmt.Errorf("read business: %w", err)
	}
	if a.ActorID == provision.PlatformActorID {
		// The owner a provisioning invited: the platform is no user and
		// its placeholder address is not for people to read.
		return RenderWelcome(c.appBaseURL, biz, team.User{FirstName: PlatformInviterName}, a.Target)
	}
	inviter, err := lookups.user(ctx, a.BusinessID, a.Actor)
	if errors.Is(err, team.ErrNotFound) {
		inviter, err = team.User{Email: a.Actor}, nil
	}
	if err != nil {
		return WelcomeEmail{}, fmt.Errorf("read inviter: %w", err)
	}
	return RenderWelcome(c.appBaseURL, biz, inviter, a.Target)
}

func (c *Consumer) putEvents(ctx context.Context, items []*item) {
	var pending []*item
	var batch []Event
	now := c.d.Clock.Now()
	for _, it := range items {
		if it.failed != nil || it.state.EventDone {
			continue
		}
		ev, err := EventOf(it.activity)
		if err != nil {
			c.eventFailed(ctx, it, err, now)
			continue
		}
		pending, batch = append(pending, it), append(batch, ev)
	}
	if len(batch) == 0 {
		return
	}
	results, err := c.d.Publisher.Publish(ctx, batch)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i, it := range pending {
		entryErr := err
		if entryErr == nil && i < len(results) {
			entryErr = results[i]
		} else if entryErr == nil {
			entryErr = errors.New("the publisher returned no result for this event")
		}
		switch {
		case entryErr == nil:
			wg.Go(func() {
				if err := c.d.Ledger.EventPut(ctx, it.activity.BusinessID, it.activity.ID, now); err != nil {
					it.failed = fmt.Errorf("record put event: %w", err)
				}
			})
		case errors.Is(entryErr, ErrPermanent):
			wg.Go(func() { c.eventFailed(ctx, it, entryErr, now) })
		default:
			it.failed = fmt.Errorf("put event: %w", entryErr)
		}
	}
}

func (c *Consumer) eventFailed(ctx context.Context, it *item, cause error, now time.Time) {
	c.d.Log.ErrorContext(ctx, "event refused for good", slog.String("activityId", it.activity.ID), slog.Any("error", cause))
	if err := c.d.Ledger.EventFailed(ctx, it.activity.BusinessID, it.activity.ID, cause.Error(), now); err != nil {
		it.failed = fmt.Errorf("record event failure: %w", err)
	}
}
