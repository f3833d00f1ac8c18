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
	// The retryable failures of the emails and of the event, kept apart
	// because the emails are recorded while the event goes; deliver joins
	// them into failed.
	emailFailed, eventFailed error
	// What this delivery did about the email and the event, and how long
	// after the commit each was accepted, for the logs and metrics.
	email, event       outcome
	emailLag, eventLag time.Duration
	// eventMark is the event's outcome to record: accepted, or refused for
	// good; nil when there is none (done before, or to be retried).
	eventMark *Outcome
	// What this delivery did, for redelivery's report: the email went out,
	// the event was accepted, or one was refused for good.
	emailSent, eventPut        bool
	emailRefused, eventRefused bool
}

// refused reports whether the record's email or event was refused for good.
func (it *item) refused() bool { return it.emailRefused || it.eventRefused }

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
//
// Every step that waits on another service starts as soon as what it needs
// is known, because the delivery lag is the sum of the round trips made
// one after the other: the business and inviter lookups go with the ledger
// read, and the events go as soon as SES has answered. Then each
// activity's outcomes are recorded, all of them in one write when the
// ledger is an OutcomeRecorder: one conditional write per invite instead
// of an email mark and an event mark, which halves the batch's writes
// (the longest step of a batch on the local stack) without adding a round
// trip after PutEvents. An activity's event still waits for its email's
// answer, so that an email to be retried holds its event back, and the
// batch's events go in batch order, in as few PutEvents calls as it needs.
func (c *Consumer) deliver(ctx context.Context, records []Record) []*item {
	var items []*item
	for _, rec := range records {
		if rec.Err != nil {
			c.poison(ctx, rec)
			continue
		}
		items = append(items, &item{record: rec, activity: rec.Activity})
	}
	lookups := &directoryMemo{dir: c.d.Directory, businesses: map[team.BusinessID]*memo[team.Business]{}, users: map[string]*memo[team.User]{}}
	var prefetch sync.WaitGroup
	// The batch's goroutines end with it, whatever the ledger says.
	defer prefetch.Wait()
	lookups.prefetch(ctx, &prefetch, items)
	c.readStates(ctx, items)
	sends := c.sendEmails(ctx, lookups, items)
	c.putEvents(ctx, items)
	c.recordOutcomes(ctx, sends, items)
	emailOutcomes(sends)
	for _, it := range items {
		it.failed = errors.Join(it.failed, it.emailFailed, it.eventFailed)
	}
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

// emailSend is one email of a batch: whom it is for, what SES answered,
// and what became of it once recorded.
type emailSend struct {
	it   *item
	kind EmailKind
	// The answer: the provider's message id and when it came, or why the
	// email was not sent (render or send).
	messageID string
	at        time.Time
	err       error
	// What became of the email, and a retryable failure to record it.
	done     outcome
	recorded error
}

// sendEmails sends the batch's emails concurrently and returns once SES has
// answered each, before anything is recorded: a batch is at most a few
// records, and sending them one after the other would make the stream's
// delivery lag grow with every invite in a burst. Which activity sends
// which email is the downstream table's to say. An activity whose email
// failed for a retryable reason gets emailFailed here, before the events
// go: its event waits for the retry, as it always has.
func (c *Consumer) sendEmails(ctx context.Context, lookups *directoryMemo, items []*item) []*emailSend {
	var (
		wg    sync.WaitGroup
		sends []*emailSend
	)
	for _, it := range items {
		if it.failed != nil {
			continue
		}
		for _, kind := range downstream[it.activity.Type].Emails {
			if _, ok := kind.recipient(it.activity); !ok || it.state.EmailDone(kind) {
				continue
			}
			s := &emailSend{it: it, kind: kind}
			sends = append(sends, s)
			wg.Go(func() {
				var email WelcomeEmail
				email, s.err = c.render(ctx, lookups, it.activity, kind)
				if s.err == nil {
					s.messageID, s.err = c.d.Mailer.Send(ctx, email)
				}
				s.at = c.d.Clock.Now()
			})
		}
	}
	wg.Wait()
	for _, s := range sends {
		if s.err != nil && !errors.Is(s.err, ErrPermanent) {
			s.done = outcomeFailed
			s.it.emailFailed = errors.Join(s.it.emailFailed, fmt.Errorf("send %s email: %w", s.kind, s.err))
		}
	}
	return sends
}

// recordOutcomes records what the batch did on the ledger: each activity's
// answered emails and its event's outcome, the activities at once. Each
// email has a mark of its own, so that when one of an activity's two
// emails fails, the retry sends that one alone.
func (c *Consumer) recordOutcomes(ctx context.Context, sends []*emailSend, items []*item) {
	emails := map[*item][]*emailSend{}
	for _, s := range sends {
		if s.done != outcomeFailed {
			emails[s.it] = append(emails[s.it], s)
		}
	}
	var wg sync.WaitGroup
	for _, it := range items {
		if len(emails[it]) == 0 && it.eventMark == nil {
			continue
		}
		wg.Go(func() { c.recordActivity(ctx, it, emails[it]) })
	}
	wg.Wait()
}

// recordActivity records one activity's answered emails and its event's
// outcome: in one write when the ledger is an OutcomeRecorder, otherwise
// one write per outcome, at once. A permanent refusal of an email is
// logged too. A failure to record is retryable: it sets the email's
// recorded or the item's eventFailed.
func (c *Consumer) recordActivity(ctx context.Context, it *item, sends []*emailSend) {
	a := it.activity
	var outcomes []Outcome
	for _, s := range sends {
		if s.err == nil {
			s.done = outcomeSent
			outcomes = append(outcomes, Outcome{Email: s.kind, MessageID: s.messageID, At: s.at})
			continue
		}
		s.done = outcomeRejected
		c.d.Log.ErrorContext(ctx, "email refused for good", slog.String("activityId", a.ID), slog.String("kind", string(s.kind)), slog.Any("error", s.err))
		outcomes = append(outcomes, Outcome{Email: s.kind, Failed: true, Reason: s.err.Error(), At: s.at})
	}
	if it.eventMark != nil {
		outcomes = append(outcomes, *it.eventMark)
	}
	if recorder, ok := c.d.Ledger.(OutcomeRecorder); ok {
		if err := recorder.RecordOutcomes(ctx, a.BusinessID, a.ID, outcomes); err != nil {
			// The emails went out but are not recorded: the retry may
			// send them once more, the one duplicate I6 allows.
			for _, s := range sends {
				s.recorded = fmt.Errorf("record %s email (%s): %w", s.kind, s.done, err)
			}
			if it.eventMark != nil {
				it.eventFailed = fmt.Errorf("record event: %w", err)
			}
		}
		return
	}
	var wg sync.WaitGroup
	for _, s := range sends {
		wg.Go(func() { s.recorded = c.recordEmail(ctx, s) })
	}
	if it.eventMark != nil {
		wg.Go(func() { it.eventFailed = c.recordEvent(ctx, it) })
	}
	wg.Wait()
}

// recordEmail records one email SES answered, and returns a retryable
// failure to record it.
func (c *Consumer) recordEmail(ctx context.Context, s *emailSend) error {
	a := s.it.activity
	if s.err == nil {
		if err := c.d.Ledger.EmailSent(ctx, a.BusinessID, a.ID, s.kind, s.messageID, s.at); err != nil {
			// The email went out but is not recorded: the retry may send
			// it once more, the one duplicate I6 allows.
			return fmt.Errorf("record sent %s email: %w", s.kind, err)
		}
		return nil
	}
	if err := c.d.Ledger.EmailFailed(ctx, a.BusinessID, a.ID, s.kind, s.err.Error(), s.at); err != nil {
		return fmt.Errorf("record %s email failure: %w", s.kind, err)
	}
	return nil
}

// recordEvent records the event's outcome, and returns a retryable failure
// to record it.
func (c *Consumer) recordEvent(ctx context.Context, it *item) error {
	a, m := it.activity, it.eventMark
	if !m.Failed {
		if err := c.d.Ledger.EventPut(ctx, a.BusinessID, a.ID, m.At); err != nil {
			return fmt.Errorf("record put event: %w", err)
		}
		return nil
	}
	if err := c.d.Ledger.EventFailed(ctx, a.BusinessID, a.ID, m.Reason, m.At); err != nil {
		return fmt.Errorf("record event failure: %w", err)
	}
	return nil
}

// emailOutcomes folds each email's outcome into its activity's, for the
// logs, the metrics and redelivery's report: an activity's email outcome
// is its worst email's (failed over rejected over sent); its lag is its
// last email's.
func emailOutcomes(sends []*emailSend) {
	rank := map[outcome]int{outcomeNone: 0, outcomeSent: 1, outcomeRejected: 2, outcomeFailed: 3}
	for _, s := range sends {
		if s.recorded != nil {
			s.it.emailFailed = errors.Join(s.it.emailFailed, s.recorded)
		}
		switch s.done {
		case outcomeSent:
			s.it.emailSent = true
			s.it.emailLag = max(s.it.emailLag, s.at.Sub(s.it.activity.At))
		case outcomeRejected:
			s.it.emailRefused = true
		}
		if rank[s.done] > rank[s.it.email] {
			s.it.email = s.done
		}
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

// prefetch starts reading, in the background, the business and the actor
// of every activity that sends an email, so that the reads overlap the
// ledger's; the emails then find them in the memo. It reads for records
// whose emails turn out to be done too (a batch delivered again), which
// costs a read and sends nothing. wg tells when the reads are over.
func (m *directoryMemo) prefetch(ctx context.Context, wg *sync.WaitGroup, items []*item) {
	for _, it := range items {
		if len(downstream[it.activity.Type].Emails) == 0 {
			continue
		}
		a := it.activity
		wg.Go(func() { _, _ = m.business(ctx, a.BusinessID) })
		wg.Go(func() { _, _ = m.user(ctx, a.BusinessID, a.Actor) })
	}
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

// putEvents puts the events of the batch's activities whose email is not
// to be retried, in batch order, and notes each event's outcome for
// recordOutcomes.
func (c *Consumer) putEvents(ctx context.Context, items []*item) {
	var pending []*item
	var batch []Event
	now := c.d.Clock.Now()
	for _, it := range items {
		if it.failed != nil || it.emailFailed != nil || it.state.EventDone {
			continue
		}
		ev, err := EventOf(it.activity)
		if err != nil {
			c.refuseEvent(ctx, it, err, now)
			continue
		}
		pending, batch = append(pending, it), append(batch, ev)
	}
	if len(batch) == 0 {
		return
	}
	results, err := c.d.Publisher.Publish(ctx, batch)
	accepted := c.d.Clock.Now()
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
			it.eventMark = &Outcome{At: now}
		case errors.Is(entryErr, ErrPermanent):
			c.refuseEvent(ctx, it, entryErr, now)
		default:
			it.event = outcomeFailed
			it.eventFailed = fmt.Errorf("put event: %w", entryErr)
		}
	}
}

// refuseEvent notes an event refused for good, to be recorded as such.
func (c *Consumer) refuseEvent(ctx context.Context, it *item, cause error, now time.Time) {
	it.event = outcomeRejected
	c.d.Log.ErrorContext(ctx, "event refused for good", slog.String("activityId", it.activity.ID), slog.Any("error", cause))
	it.eventRefused = true
	it.eventMark = &Outcome{Failed: true, Reason: cause.Error(), At: now}
}
