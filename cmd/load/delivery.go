package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// deliveredEvent is an event as GET /dev/events lists it.
type deliveredEvent struct {
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
	Time       string          `json:"time"`
	// CommittedAt is when the activity it tells of committed, and
	// AcceptedAt when the bus accepted the event (each null from a stack
	// that did not see it happen).
	CommittedAt *time.Time `json:"committedAt"`
	AcceptedAt  *time.Time `json:"acceptedAt"`
}

func (e deliveredEvent) same(o deliveredEvent) bool {
	return e.DetailType == o.DetailType && e.Time == o.Time && string(e.Detail) == string(o.Detail)
}

// eventDetail is the part of an event's detail (SPEC §5) the checks read.
type eventDetail struct {
	EventID    string    `json:"eventId"`
	OccurredAt time.Time `json:"occurredAt"`
	BusinessID string    `json:"businessId"`
	User       struct {
		Email string `json:"email"`
	} `json:"user"`
	// Changes.Email is set on a change of email, which sends a welcome to
	// the new address and a notice to the old one.
	Changes struct {
		Email *struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"email"`
	} `json:"changes"`
}

// eventLog keeps every event delivered while it watches. kumo keeps only
// the newest 1000 delivered events (of every run and business), so one
// look at the end would miss the beginning of a long run: the log polls
// during the run and stitches the windows together. It notices when more
// than 1000 events went out between two polls, in which case some were
// never seen and the event checks cannot be trusted.
type eventLog struct {
	client *apiClient

	mu         sync.Mutex
	window     []deliveredEvent // the list as last polled
	all        []deliveredEvent // every event seen, in delivery order
	overflowed bool
}

// poll reads the emulator's list and appends what is new since the last poll.
func (l *eventLog) poll(ctx context.Context) error {
	r := l.client.call(ctx, "", "GET", "/dev/events", "", nil)
	var latest []deliveredEvent
	if r.status != http.StatusOK || r.decode(&latest) != nil {
		return fmt.Errorf("GET /dev/events: %s", r.outcome())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, l.newSince(latest)...)
	l.window = latest
	return nil
}

// newSince returns the events of latest that the last window did not have.
// The emulator appends at the end and drops from the front, so latest is
// window[d:] followed by the new events, for the d events it dropped.
func (l *eventLog) newSince(latest []deliveredEvent) []deliveredEvent {
	for d := range len(l.window) {
		kept := l.window[d:]
		if len(kept) <= len(latest) && prefix(latest, kept) {
			return latest[len(kept):]
		}
	}
	if len(l.window) > 0 {
		l.overflowed = true // nothing of the last window is left
	}
	return latest
}

func prefix(list, p []deliveredEvent) bool {
	for i := range p {
		if !list[i].same(p[i]) {
			return false
		}
	}
	return true
}

// watch polls until ctx ends.
func (l *eventLog) watch(ctx context.Context, every time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
			_ = l.poll(ctx) // a failed poll is made up by the next one
		}
	}
}

// ofRun returns the events of the run's businesses, and whether the log
// lost sight of some.
func (l *eventLog) ofRun(businesses map[string]bool) ([]deliveredEvent, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []deliveredEvent
	for _, e := range l.all {
		var d eventDetail
		if json.Unmarshal(e.Detail, &d) == nil && businesses[d.BusinessID] {
			out = append(out, e)
		}
	}
	return out, l.overflowed
}

// sentEmail is a welcome email as GET /dev/emails lists it.
type sentEmail struct {
	To     string    `json:"to"`
	SentAt time.Time `json:"sentAt"`
}

// emailsTo returns the welcome emails sent to addresses of the run (kumo
// keeps every email, so one read sees them all).
func emailsTo(ctx context.Context, c *apiClient, domainSuffix string) ([]sentEmail, error) {
	r := c.call(ctx, "", "GET", "/dev/emails", "", nil)
	var all []sentEmail
	if r.status != http.StatusOK || r.decode(&all) != nil {
		return nil, fmt.Errorf("GET /dev/emails: %s", r.outcome())
	}
	var out []sentEmail
	for _, e := range all {
		if strings.HasSuffix(strings.ToLower(e.To), domainSuffix) {
			out = append(out, e)
		}
	}
	return out, nil
}

// drainResult is what was delivered once delivery settled.
type drainResult struct {
	took           time.Duration
	emails, events int
	sent           []sentEmail
	delivered      []deliveredEvent
	overflowed     bool
	err            error
}

// Settling: delivery is done when every expected email and event is there
// and nothing more has come for settleTime (a duplicate would come late);
// it is stuck when nothing has come for stuckTime.
const (
	drainPoll  = 250 * time.Millisecond
	settleTime = time.Second
	stuckTime  = 10 * time.Second
)

// drain waits, within limit, until the stream consumer has delivered what
// the run committed: at least the welcome emails and the UserAdded and
// UserRemoved events the ledger expects, with counts no longer changing.
func drain(ctx context.Context, c *apiClient, log *eventLog, led *ledger, businesses map[string]bool, domainSuffix string, limit time.Duration) drainResult {
	wantEmails, wantEvents := led.expected()
	start := time.Now()
	lastChange := start
	res := drainResult{emails: -1, events: -1}
	for {
		sent, err := emailsTo(ctx, c, domainSuffix)
		if err == nil {
			err = log.poll(ctx)
		}
		if err != nil {
			res.err = err
			return res
		}
		delivered, overflowed := log.ofRun(businesses)
		if len(sent) != res.emails || len(delivered) != res.events {
			lastChange = time.Now()
		}
		res.sent, res.delivered, res.overflowed = sent, delivered, overflowed
		res.emails, res.events, res.took = len(sent), len(delivered), time.Since(start)
		quiet := time.Since(lastChange)
		caughtUp := len(sent) >= wantEmails && countTypes(delivered, "UserAdded", "UserRemoved") >= wantEvents
		if (caughtUp && quiet >= settleTime) || quiet >= stuckTime || time.Since(start) >= limit || ctx.Err() != nil {
			return res
		}
		time.Sleep(drainPoll)
	}
}

func countTypes(events []deliveredEvent, types ...string) int {
	n := 0
	for _, e := range events {
		for _, t := range types {
			if e.DetailType == t {
				n++
			}
		}
	}
	return n
}
