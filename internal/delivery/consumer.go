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
	// Metrics receives what each batch delivered (nil: none).
	Metrics Metrics
	// IDs makes up the id of a batch that arrives without one (the local
	// stack; Lambda gives each invocation its id). Nil: no id.
	IDs team.IDSource
}

// Consumer delivers a batch of stream records: the emails the downstream
// table names (the welcome email of every invite; a welcome email and a
// notice for a change of email) and the event of every change, each at most
// once per record as far as the ledger can tell (a crash between the
// provider accepting and the ledger recording is the only window for a
// duplicate).
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
	// What this delivery did about the email and the event, and how long
	// after the commit each was accepted, for the logs and metrics.
	email, event       outcome
	emailLag, eventLag time.Duration
	// What this delivery did, for redelivery's report: the email went out,
	// the event was accepted, or one was refused for good.
	emailSent, eventPut, refused bool
}

// Deliver delivers a batch of records in stream order and returns the IDs
// of the records that failed for a retryable reason, in batch order, so
// that Lambda retries from the earliest of them. It never fails the batch
// as a whole: permanent failures are recorded on the activity record,
// logged, and do not block the shard.
func (c *Consumer) Deliver(ctx context.Context, records []Record) (retry []string) {
	start := c.d.Clock.Now()
	ctx = c.withBatchID(ctx, start)
	items := c.deliver(ctx, records)
	for _, it := range items {
		if it.failed != nil {
			c.d.Log.WarnContext(ctx, "delivery will be retried", slog.String("activityId", it.activity.ID),
				slog.String("sequenceNumber", it.record.ID), slog.Any("error", it.failed))
			retry = append(retry, it.record.ID)
		}
	}
	c.report(ctx, start, len(records), items, len(retry))
	return retry
}

// deliver delivers a batch and returns how each decodable record went, in
// batch order: Deliver reports the failures to Lambda, Redeliver counts
// what went out.
func (c *Consumer) deliver(ctx context.Context, records []Record) []*item {
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
	return items
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
	// The record's type is unknown, so every kind of email is marked.
	errs := []error{c.d.Ledger.EventFailed(ctx, a.BusinessID, a.ID, reason, now)}
	for _, kind := range EmailKinds() {
		errs = append(errs, c.d.Ledger.EmailFailed(ctx, a.BusinessID, a.ID, kind, reason, now))
	}
	if err := errors.Join(errs...); err != nil {
		c.d.Log.ErrorContext(ctx, "could not record an undeliverable record", slog.String("activityId", a.ID), slog.Any("error", err))
	}
}

// readStates reads what was delivered already, for the whole batch in one
// read: a batch that Lambda delivers again finds its records done and
// sends nothing twice.
func (c *Consumer) readStates(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	refs := make([]ActivityRef, len(items))
	for i, it := range items {
		refs[i] = ActivityRef{BusinessID: it.activity.BusinessID, ActivityID: it.activity.ID}
	}
	states, err := c.d.Ledger.States(ctx, refs)
	if err == nil && len(states) != len(items) {
		err = fmt.Errorf("the ledger returned %d states for %d records", len(states), len(items))
	}
	for i, it := range items {
		switch {
		case err != nil:
			it.failed = fmt.Errorf("read delivery state: %w", err)
		case states[i].Gone:
			// The activity record is gone (deleted by hand): there is
			// nothing left to record delivery on, so deliver nothing.
			it.state = State{Emails: map[EmailKind]bool{}, EventDone: true}
			for _, kind := range EmailKinds() {
				it.state.Emails[kind] = true
			}
		default:
			it.state = states[i]
		}
	}
}

// sendEmails sends the batch's emails concurrently: a batch is at most a
// few records, and sending them one after the other would make the
// stream's delivery lag grow with every invite in a burst. Which activity
// sends which email is the downstream table's to say. Each email is sent
// and recorded on its own, so that when one of an activity's two emails
// fails, the retry sends that one alone.
func (c *Consumer) sendEmails(ctx context.Context, items []*item) {
	lookups := &directoryMemo{dir: c.d.Directory, businesses: map[team.BusinessID]*memo[team.Business]{}, users: map[string]*memo[team.User]{}}
	type send struct {
		it   *item
		kind EmailKind
		done outcome
		lag  time.Duration
		err  error
	}
	var (
		wg    sync.WaitGroup
		sends []*send
	)
	for _, it := range items {
		if it.failed != nil {
			continue
		}
		for _, kind := range downstream[it.activity.Type].Emails {
			if _, ok := kind.recipient(it.activity); !ok || it.state.EmailDone(kind) {
				continue
			}
			s := &send{it: it, kind: kind}
			sends = append(sends, s)
			wg.Go(func() { s.done, s.lag, s.err = c.sendEmail(ctx, lookups, it.activity, kind) })
		}
	}
	wg.Wait()
	// An activity's email outcome, for the logs and metrics, is its worst
	// email's: failed over rejected over sent; its lag is its last email's.
	rank := map[outcome]int{outcomeNone: 0, outcomeSent: 1, outcomeRejected: 2, outcomeFailed: 3}
	for _, s := range sends {
		if s.err != nil {
			s.it.failed = errors.Join(s.it.failed, s.err)
		}
		switch s.done {
		case outcomeSent:
			s.it.emailSent = true
			s.it.emailLag = max(s.it.emailLag, s.lag)
		case outcomeRejected:
			s.it.refused = true
		}
		if rank[s.done] > rank[s.it.email] {
			s.it.email = s.done
		}
	}
}

// sendEmail sends one email of an activity and records it. It returns what
// became of the email, how long after the commit SES accepted it, and a
// retryable failure; a permanent one is recorded and logged instead.
func (c *Consumer) sendEmail(ctx context.Context, lookups *directoryMemo, a team.Activity, kind EmailKind) (outcome, time.Duration, error) {
	email, err := c.render(ctx, lookups, a, kind)
	var id string
	if err == nil {
		id, err = c.d.Mailer.Send(ctx, email)
	}
	now := c.d.Clock.Now()
	switch {
	case err == nil:
		if err := c.d.Ledger.EmailSent(ctx, a.BusinessID, a.ID, kind, id, now); err != nil {
			// The email went out but is not recorded: the retry may send
			// it once more, the one duplicate I6 allows.
			return outcomeSent, now.Sub(a.At), fmt.Errorf("record sent %s email: %w", kind, err)
		}
		return outcomeSent, now.Sub(a.At), nil
	case errors.Is(err, ErrPermanent):
		c.d.Log.ErrorContext(ctx, "email refused for good", slog.String("activityId", a.ID), slog.String("kind", string(kind)), slog.Any("error", err))
		if err := c.d.Ledger.EmailFailed(ctx, a.BusinessID, a.ID, kind, err.Error(), now); err != nil {
			return outcomeRejected, 0, fmt.Errorf("record %s email failure: %w", kind, err)
		}
		return outcomeRejected, 0, nil
	default:
		return outcomeFailed, 0, fmt.Errorf("send %s email: %w", kind, err)
	}
}

// render renders the email of the kind for the activity.
func (c *Consumer) render(ctx context.Context, lookups *directoryMemo, a team.Activity, kind EmailKind) (WelcomeEmail, error) {
	if kind.IsWelcome() {
		return c.welcome(ctx, lookups, a)
	}
	return c.notice(ctx, lookups, a)
}

// memo is one lookup of a batch, made once however many records need it.
type memo[T any] struct {
	once  sync.Once
	value T
	err   error
}

// directoryMemo reads each business and inviter once per batch: a burst of
// invites usually comes from one manager of one business. Lookups of
// different keys run at once.
type directoryMemo struct {
	dir        Directory
	mu         sync.Mutex
	businesses map[team.BusinessID]*memo[team.Business]
	users      map[string]*memo[team.User]
}

func lookup[K comparable, T any](mu *sync.Mutex, m map[K]*memo[T], k K, read func() (T, error)) (T, error) {
	mu.Lock()
	e, ok := m[k]
	if !ok {
		e = &memo[T]{}
		m[k] = e
	}
	mu.Unlock()
	e.once.Do(func() { e.value, e.err = read() })
	return e.value, e.err
}

func (m *directoryMemo) business(ctx context.Context, id team.BusinessID) (team.Business, error) {
	return lookup(&m.mu, m.businesses, id, func() (team.Business, error) { return m.dir.Business(ctx, id) })
}

func (m *directoryMemo) user(ctx context.Context, businessID team.BusinessID, email string) (team.User, error) {
	return lookup(&m.mu, m.users, businessID.String()+"\x00"+email, func() (team.User, error) { return m.dir.User(ctx, businessID, email) })
}

// PlatformInviterName is who the welcome email says invited an owner the
// platform provisioned (SPEC §7).
const PlatformInviterName = "The Business App"

// welcome renders the email of an invite, looking up the business and the
// inviter's name. An inviter removed since still has their email shown.
func (c *Consumer) welcome(ctx context.Context, lookups *directoryMemo, a team.Activity) (WelcomeEmail, error) {
	// Both lookups at once: each is a round trip to the table.
	var biz team.Business
	var bizErr error
	var wg sync.WaitGroup
	wg.Go(func() { biz, bizErr = lookups.business(ctx, a.BusinessID) })
	inviter, err := lookups.user(ctx, a.BusinessID, a.Actor)
	wg.Wait()
	if errors.Is(bizErr, team.ErrNotFound) {
		return WelcomeEmail{}, fmt.Errorf("%w: business %s does not exist", ErrPermanent, a.BusinessID)
	}
	if bizErr != nil {
		return WelcomeEmail{}, fmt.Errorf("read business: %w", bizErr)
	}
	if errors.Is(err, team.ErrNotFound) {
		inviter, err = team.User{Email: a.Actor}, nil
	}
	if a.ActorID == provision.PlatformActorID {
		// The owner a provisioning invited: the platform is no user and
		// its placeholder address is not for people to read.
		inviter, err = team.User{FirstName: PlatformInviterName}, nil
	}
	if err != nil {
		return WelcomeEmail{}, fmt.Errorf("read inviter: %w", err)
	}
	return RenderWelcome(c.appBaseURL, biz, inviter, a.Target, a.InvitationExpiresAt)
}

// notice renders the notice to the old address of a change of email,
// looking up the business and the name of who changed it. Like the
// inviter, someone removed since is named by their email.
func (c *Consumer) notice(ctx context.Context, lookups *directoryMemo, a team.Activity) (WelcomeEmail, error) {
	if a.Changes.Email == nil {
		return WelcomeEmail{}, fmt.Errorf("%w: activity %s changed no email", ErrPermanent, a.ID)
	}
	biz, err := lookups.business(ctx, a.BusinessID)
	if errors.Is(err, team.ErrNotFound) {
		return WelcomeEmail{}, fmt.Errorf("%w: business %s does not exist", ErrPermanent, a.BusinessID)
	}
	if err != nil {
		return WelcomeEmail{}, fmt.Errorf("read business: %w", err)
	}
	changer, err := lookups.user(ctx, a.BusinessID, a.Actor)
	if errors.Is(err, team.ErrNotFound) {
		changer, err = team.User{Email: a.Actor}, nil
	}
	if err != nil {
		return WelcomeEmail{}, fmt.Errorf("read who changed the email: %w", err)
	}
	return RenderNotice(biz, changer, a.Target, a.Changes.Email.From)
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
	accepted := c.d.Clock.Now()
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
			it.event, it.eventLag = outcomeSent, accepted.Sub(it.activity.At)
			it.eventPut = true
			wg.Go(func() {
				if err := c.d.Ledger.EventPut(ctx, it.activity.BusinessID, it.activity.ID, now); err != nil {
					it.failed = fmt.Errorf("record put event: %w", err)
				}
			})
		case errors.Is(entryErr, ErrPermanent):
			wg.Go(func() { c.eventFailed(ctx, it, entryErr, now) })
		default:
			it.event = outcomeFailed
			it.failed = fmt.Errorf("put event: %w", entryErr)
		}
	}
}

func (c *Consumer) eventFailed(ctx context.Context, it *item, cause error, now time.Time) {
	it.event = outcomeRejected
	c.d.Log.ErrorContext(ctx, "event refused for good", slog.String("activityId", it.activity.ID), slog.Any("error", cause))
	it.refused = true
	if err := c.d.Ledger.EventFailed(ctx, it.activity.BusinessID, it.activity.ID, cause.Error(), now); err != nil {
		it.failed = fmt.Errorf("record event failure: %w", err)
	}
}
