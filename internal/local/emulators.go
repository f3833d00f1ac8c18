package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/sivchari/kumo"

	"github.com/businessapp/usermanagement/internal/eventbus"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
)

// The local bus, the rule that stands for the CRM's subscription, and the
// queue it targets. kumo records an event as delivered only when it matches
// a rule with a target, which is also how the CRM receives events in AWS.
const (
	localBus = "businessapp-local"
	crmRule  = "crm-activity-feed"
	// A log group stands for the CRM's feed: kumo records the delivery and,
	// unlike an SQS or Lambda target, tries to reach no other emulator.
	crmTarget    = "arn:aws:logs:us-east-1:000000000000:log-group:/businessapp/crm-activity-feed"
	localSender  = "Business App <no-reply@businessapp.local>"
	kumoRegion   = "us-east-1"
	kumoAccessID = "local"
)

// emulators is kumo, in process, with SES v2 and EventBridge clients for it.
type emulators struct {
	server      *kumo.Server
	ses         *sesv2.Client
	eventbridge *eventbridge.Client
	// accepted notes when the bus accepted each event the consumer put:
	// kumo records an event's own time, not when it arrived.
	accepted *acceptClock
}

func awsConfig() aws.Config {
	// The consumer's HTTP client, which keeps a batch's connections.
	return aws.Config{Region: kumoRegion, Credentials: credentials.NewStaticCredentialsProvider(kumoAccessID, kumoAccessID, ""),
		HTTPClient: stream.HTTPClient()}
}

// startEmulators starts kumo and creates the bus, the CRM's rule and its
// queue, so that events put on the bus are recorded as delivered.
func startEmulators(ctx context.Context) (*emulators, error) {
	srv := kumo.NewServer()
	cfg := awsConfig()
	endpoint := func(url string) *string { return aws.String(url) }
	e := &emulators{
		server:      srv,
		ses:         sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = endpoint(srv.URL) }),
		eventbridge: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = endpoint(srv.URL) }),
	}
	e.accepted = &acceptClock{Client: e.eventbridge, at: map[string]*acceptStamp{}}
	if _, err := e.eventbridge.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(localBus)}); err != nil && !alreadyExists(err) {
		srv.Close()
		return nil, fmt.Errorf("create the event bus: %w", err)
	}
	pattern := `{"source":["businessapp.users"]}`
	if _, err := e.eventbridge.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(crmRule), EventBusName: aws.String(localBus), EventPattern: &pattern}); err != nil {
		srv.Close()
		return nil, fmt.Errorf("create the CRM rule: %w", err)
	}
	_, err := e.eventbridge.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(crmRule), EventBusName: aws.String(localBus),
		Targets: []ebtypes.Target{{Id: aws.String("crm"), Arn: aws.String(crmTarget)}}})
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("target the CRM feed: %w", err)
	}
	return e, nil
}

func (e *emulators) close() { e.server.Close() }

// alreadyExists reports a create that found its resource there: kumo keeps
// its state per process, so a second local stack in one process (tests)
// finds the bus the first one made.
func alreadyExists(err error) bool {
	var exists *ebtypes.ResourceAlreadyExistsException
	return errors.As(err, &exists)
}

// SentEmail is an email as GET /dev/emails lists it.
type SentEmail struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	HTML    string    `json:"html"`
	SentAt  time.Time `json:"sentAt"`
}

// PutEvent is an event as GET /dev/events lists it.
type PutEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
	Time       string          `json:"time"`
	// CommittedAt is when the activity the event tells of committed (its
	// transaction returned), and AcceptedAt when the bus accepted the
	// event; each is null when the local stack did not see it happen (a
	// write or a put by another process). make load measures the
	// commit-to-event lag, and the commit-to-email lag, by them.
	CommittedAt *time.Time `json:"committedAt"`
	AcceptedAt  *time.Time `json:"acceptedAt"`
}

// acceptClock is the EventBridge client the local consumer puts events
// with: it passes every call to kumo and notes when each event was
// accepted, by the eventId of its detail (SPEC §5).
//
// kumo lists an event as delivered while its PutEvents call is still
// running, so the time is noted before the call and withdrawn if the entry
// fails: noted after the call, a GET /dev/events in between would list an
// accepted event without its time (make load's TestSmoke then counted it
// as not measured).
type acceptClock struct {
	eventbus.Client
	mu sync.Mutex
	at map[string]*acceptStamp
}

// acceptStamp is the time noted for one event id, and what became of the
// calls that put it.
type acceptStamp struct {
	at time.Time
	// accepted is set once a call that put the event returned with the
	// entry accepted: the time then stays, whatever later puts of the same
	// event (a retried batch) do.
	accepted bool
	// pending counts the calls putting the event that have not returned:
	// the time is withdrawn only when none is left and none succeeded.
	pending int
}

var _ eventbus.Client = (*acceptClock)(nil)

// PutEvents implements eventbus.Client.
func (c *acceptClock) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	ids := make([]string, len(in.Entries))
	for i, entry := range in.Entries {
		ids[i] = eventID(aws.ToString(entry.Detail))
	}
	now := time.Now().UTC()
	c.mu.Lock()
	for _, id := range ids {
		if id == "" {
			continue
		}
		s, ok := c.at[id]
		if !ok {
			s = &acceptStamp{at: now}
			c.at[id] = s
		}
		s.pending++
	}
	c.mu.Unlock()

	out, err := c.Client.PutEvents(ctx, in, optFns...)

	c.mu.Lock()
	defer c.mu.Unlock()
	for i, id := range ids {
		s, ok := c.at[id]
		if id == "" || !ok {
			continue
		}
		s.pending--
		if err == nil && out != nil && i < len(out.Entries) && out.Entries[i].ErrorCode == nil {
			s.accepted = true
		}
		if !s.accepted && s.pending == 0 {
			delete(c.at, id)
		}
	}
	return out, err
}

// acceptedAt returns when the event with detail was accepted, nil when it
// was not seen. An event whose call is still running has its time already.
func (c *acceptClock) acceptedAt(detail string) *time.Time {
	id := eventID(detail)
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.at[id]; ok && id != "" {
		at := s.at
		return &at
	}
	return nil
}

// eventID reads the eventId of an event's detail; "" when it has none.
func eventID(detail string) string {
	var d struct {
		EventID string `json:"eventId"`
	}
	_ = json.Unmarshal([]byte(detail), &d)
	return d.EventID
}

func (e *emulators) fetch(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.server.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask the emulator: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the emulator answered %s for %s", resp.Status, path)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// emails lists the welcome emails SES (kumo) accepted, oldest first.
func (e *emulators) emails(ctx context.Context) ([]SentEmail, error) {
	var sent struct {
		SentEmails []struct {
			Destination struct{ ToAddresses []string }
			Subject     string
			Body        string
			HTMLBody    string
			SentAt      time.Time
		}
	}
	if err := e.fetch(ctx, "/kumo/ses/v2/sent-emails", &sent); err != nil {
		return nil, err
	}
	out := make([]SentEmail, 0, len(sent.SentEmails))
	for _, m := range sent.SentEmails {
		to := ""
		if len(m.Destination.ToAddresses) > 0 {
			to = m.Destination.ToAddresses[0]
		}
		out = append(out, SentEmail{To: to, Subject: m.Subject, Text: m.Body, HTML: m.HTMLBody, SentAt: m.SentAt.UTC()})
	}
	return out, nil
}

// events lists the events the CRM's rule received, oldest first.
func (e *emulators) events(ctx context.Context) ([]PutEvent, error) {
	var delivered []struct {
		Source, DetailType, Detail, Time string
	}
	if err := e.fetch(ctx, "/kumo/eventbridge/delivered-events", &delivered); err != nil {
		return nil, err
	}
	out := make([]PutEvent, 0, len(delivered))
	for _, d := range delivered {
		out = append(out, PutEvent{Source: d.Source, DetailType: d.DetailType, Detail: json.RawMessage(d.Detail), Time: d.Time,
			AcceptedAt: e.accepted.acceptedAt(d.Detail)})
	}
	return out, nil
}
