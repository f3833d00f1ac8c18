// Package eventbus puts user events on Amazon EventBridge. It is the
// delivery.Publisher the stream consumer uses: it batches events into
// PutEvents calls and reports, event by event, which were accepted, which
// are worth retrying and which EventBridge will never accept.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/businessapp/usermanagement/internal/delivery"
)

// Client is the part of the EventBridge client the Bus uses, so that tests
// can stand in for EventBridge with a hand-written fake.
type Client interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ Client = (*eventbridge.Client)(nil)

var _ delivery.Publisher = (*Bus)(nil)

// EventBridge's PutEvents limits: at most ten entries per call, and at most
// 256 KiB for one entry and for all the entries of a call together, counted
// as EventBridge counts them (see entrySize).
const (
	maxEntriesPerCall = 10
	maxSize           = 256 * 1024
)

// Bus puts events on one EventBridge event bus.
type Bus struct {
	client Client
	name   *string // nil for the account's default bus
}

// New returns a Bus that puts events with client on the bus named busName,
// or on the account's default bus when busName is empty.
func New(client Client, busName string) *Bus {
	b := &Bus{client: client}
	if busName != "" {
		b.name = aws.String(busName)
	}
	return b
}

// pending is an entry ready to send, with the index and id of its event.
type pending struct {
	index   int
	eventID string
	entry   types.PutEventsRequestEntry
	size    int
}

// Publish puts events on the bus, at most ten per PutEvents call, and returns
// one error per event in order: nil when EventBridge accepted it, an error
// wrapping delivery.ErrPermanent when it never will (the entry is malformed
// or too large), and any other error when it is worth retrying. A call that
// fails as a whole fails only its own events; the other calls still go. The
// second result is non-nil only when every call failed as a whole, so that
// nothing reached EventBridge; each event that was sent then carries its
// call's error too.
func (b *Bus) Publish(ctx context.Context, events []delivery.Event) ([]error, error) {
	errs := make([]error, len(events))
	var ready []pending
	for i, ev := range events {
		p, err := b.entry(i, ev)
		if err != nil {
			errs[i] = err
			continue
		}
		ready = append(ready, p)
	}

	var calls, failedCalls int
	var callErr error
	for _, chunk := range chunks(ready) {
		calls++
		if err := b.put(ctx, chunk, errs); err != nil {
			failedCalls++
			callErr = err
		}
	}
	if calls > 0 && failedCalls == calls {
		return errs, callErr
	}
	return errs, nil
}

// entry builds the PutEvents entry of ev, or refuses it permanently when it
// can never be accepted.
func (b *Bus) entry(i int, ev delivery.Event) (pending, error) {
	detail, err := json.Marshal(ev.Detail)
	if err != nil {
		return pending{}, fmt.Errorf("eventbus: %w: event %s: marshal detail: %w", delivery.ErrPermanent, ev.Detail.EventID, err)
	}
	e := types.PutEventsRequestEntry{
		EventBusName: b.name,
		Source:       aws.String(delivery.Source),
		DetailType:   aws.String(string(ev.DetailType)),
		Detail:       aws.String(string(detail)),
	}
	// A zero time is left out so that EventBridge stamps the event with the
	// time of the call rather than with year 1.
	if !ev.Time.IsZero() {
		e.Time = aws.Time(ev.Time)
	}
	size := entrySize(e)
	if size > maxSize {
		return pending{}, fmt.Errorf("eventbus: %w: event %s: entry is %d bytes, more than EventBridge's %d", delivery.ErrPermanent, ev.Detail.EventID, size, maxSize)
	}
	return pending{index: i, eventID: ev.Detail.EventID, entry: e, size: size}, nil
}

// entrySize is the size EventBridge counts against its limits: the UTF-8
// bytes of source, detail-type, detail and resources, and 14 bytes for a
// time. The bus name does not count.
func entrySize(e types.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	if e.Time != nil {
		n += 14
	}
	return n
}

// chunks splits entries, in order, into calls within both PutEvents limits.
// Splitting by size too matters: ten large entries under the per-entry limit
// can still exceed the per-call one, and EventBridge would then refuse the
// whole call again on every retry.
func chunks(entries []pending) [][]pending {
	var out [][]pending
	var cur []pending
	size := 0
	for _, p := range entries {
		if len(cur) == maxEntriesPerCall || (len(cur) > 0 && size+p.size > maxSize) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, p)
		size += p.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// put sends one chunk and records each of its events' outcome in errs. It
// returns the error of a call that failed as a whole.
func (b *Bus) put(ctx context.Context, chunk []pending, errs []error) error {
	in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(chunk))}
	for j, p := range chunk {
		in.Entries[j] = p.entry
	}
	out, err := b.client.PutEvents(ctx, in)
	if err != nil {
		// Throttled, 5xx, network or a cancelled context: nothing says which
		// entries arrived, so all of them are retried. Subscribers drop the
		// duplicates by eventId.
		err = fmt.Errorf("eventbus: put events: %w", err)
		for _, p := range chunk {
			errs[p.index] = err
		}
		return err
	}
	if out.FailedEntryCount == 0 {
		return nil
	}
	if len(out.Entries) != len(chunk) {
		// The results are matched to entries by position; without one result
		// per entry there is no telling which failed, so all are retried.
		err := fmt.Errorf("eventbus: put events: %d failed, but %d results for %d entries", out.FailedEntryCount, len(out.Entries), len(chunk))
		for _, p := range chunk {
			errs[p.index] = err
		}
		return nil
	}
	for j, res := range out.Entries {
		errs[chunk[j].index] = entryError(chunk[j], res)
	}
	return nil
}

// permanentCodes are entry error codes that mean the entry itself is
// malformed; putting it again gets the same answer.
var permanentCodes = map[string]bool{
	"MalformedDetail":     true,
	"InvalidArgument":     true,
	"ValidationException": true,
}

// entryError is the outcome of one entry of a call that partly failed. Only
// malformed entries are permanent. Every other code is retried, including
// those AWS calls non-retryable but which are about the deployment rather
// than the event (AccessDeniedException, NotAuthorizedForSourceException,
// a missing bus): failing them permanently would drop every event of the
// outage (invariant I6), while retrying lands them in the stream consumer's
// on-failure destination, where an operator can replay them.
func entryError(p pending, res types.PutEventsResultEntry) error {
	code := aws.ToString(res.ErrorCode)
	if code == "" {
		if res.EventId == nil {
			return fmt.Errorf("eventbus: event %s: neither accepted nor failed", p.eventID)
		}
		return nil
	}
	msg := aws.ToString(res.ErrorMessage)
	if permanentCodes[code] {
		return fmt.Errorf("eventbus: %w: event %s refused: %s: %s", delivery.ErrPermanent, p.eventID, code, msg)
	}
	return fmt.Errorf("eventbus: event %s failed: %s: %s", p.eventID, code, msg)
}
