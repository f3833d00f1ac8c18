package streamlambda_test

// Fault tests of delivery over the real pieces: the DynamoDB store and
// ledger on DynamoDB Local, the stream read by the local event source
// mapping and handed to the consumer through this package's Lambda handler,
// and the real SES and EventBridge adapters talking to kumo through
// wrappers that inject the failures AWS produces.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/sivchari/kumo"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/eventbus"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/sesmail"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/streampoll"
	"github.com/businessapp/usermanagement/internal/team"
)

// throttledSES refuses the first n sends as SES does when the sending rate
// is exceeded, then passes calls to the real client.
type throttledSES struct {
	sesmail.Client
	mu sync.Mutex
	n  int
}

func (c *throttledSES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	c.mu.Lock()
	refuse := c.n > 0
	c.n--
	c.mu.Unlock()
	if refuse {
		return nil, &sestypes.TooManyRequestsException{Message: aws.String("Maximum sending rate exceeded.")}
	}
	return c.Client.SendEmail(ctx, in, opts...)
}

// partialEventBridge fails the first entry of the first n calls the way
// PutEvents reports it (FailedEntryCount and an entry ErrorCode), and sends
// the other entries to the real bus.
type partialEventBridge struct {
	eventbus.Client
	mu      sync.Mutex
	n       int
	refused []string // detail of each refused entry
}

func (c *partialEventBridge) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	c.mu.Lock()
	fail := c.n > 0 && len(in.Entries) > 0
	c.n--
	if fail {
		c.refused = append(c.refused, aws.ToString(in.Entries[0].Detail))
	}
	c.mu.Unlock()
	if !fail {
		return c.Client.PutEvents(ctx, in, opts...)
	}
	rest := *in
	rest.Entries = in.Entries[1:]
	out := &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []ebtypes.PutEventsResultEntry{
		{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")},
	}}
	if len(rest.Entries) > 0 {
		sent, err := c.Client.PutEvents(ctx, &rest, opts...)
		if err != nil {
			return nil, err
		}
		out.Entries = append(out.Entries, sent.Entries...)
	}
	return out, nil
}

func TestFaultsLoseNothingAndDuplicateNothing(t *testing.T) {
	db := dynamotest.Client(t)
	table := dynamotest.NewTable(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := dynamo.NewStore(db, table)
	now := time.Now().UTC()
	tabs := team.Permissions{team.TabCRM, team.TabUsers}
	if err := store.CreateBusiness(ctx, team.Business{ID: "acme", Name: "Acme", Tabs: tabs, CreatedAt: now},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: tabs, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}

	srv := kumo.NewServer()
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "k", "")}
	bus := fmt.Sprintf("faults-%d", now.UnixNano())
	eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	route(t, ctx, eb, bus)
	ses := &throttledSES{Client: sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(srv.URL) }), n: 4}
	puts := &partialEventBridge{Client: eb, n: 3}

	var mu sync.Mutex
	var deliveries, reported int
	consumer := delivery.New("https://app.example.test", delivery.Deps{
		Ledger: dynamo.NewLedger(db, table), Directory: store,
		Mailer: sesmail.New(ses, "no-reply@app.example.test"), Publisher: eventbus.New(puts, bus),
		Clock: team.SystemClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	lambdaHandler := streamlambda.Handler(consumer)
	handler := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp, err := lambdaHandler(ctx, ev)
		mu.Lock()
		deliveries++
		reported += len(resp.BatchItemFailures)
		mu.Unlock()
		return resp, err
	}
	poller := streampoll.New(db, dynamodblocal.NewStreamsClient(dynamodblocal.EndpointFromEnv()), streampoll.Config{
		TableName: table, BatchSize: 10, PollInterval: 20 * time.Millisecond, MaxRetryAttempts: 50,
		RetryBackoff: 10 * time.Millisecond, Filter: streamlambda.IsActivityInsert, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnFailure: func(records []events.DynamoDBEventRecord, reason error) {
			t.Errorf("%d records given up on: %v", len(records), reason)
		},
	}, handler)
	done := make(chan error, 1)
	go func() { done <- poller.Run(ctx) }()

	svc := team.NewService(store, team.SystemClock{}, team.ULIDSource{}, phone.Normalizer{})
	invitees := map[string]bool{}
	for i := range 5 {
		email := fmt.Sprintf("fault-%d-%d@example.com", now.UnixNano(), i)
		invitees[email] = true
		if _, err := svc.InviteUser(ctx, "owner@acme.test", "acme", team.Invitation{Email: email}); err != nil {
			t.Fatal(err)
		}
	}

	var emails map[string]int
	var evs map[string]int
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		emails, evs = sentEmails(t, srv, invitees), deliveredEvents(t, srv, bus)
		if len(emails) == len(invitees) && len(evs) == len(invitees) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let any duplicate that retries might cause arrive before counting.
	time.Sleep(300 * time.Millisecond)
	emails, evs = sentEmails(t, srv, invitees), deliveredEvents(t, srv, bus)
	cancel()
	<-done

	for email := range invitees {
		if emails[email] != 1 {
			t.Errorf("%s got %d welcome emails, want exactly 1", email, emails[email])
		}
	}
	if len(evs) != len(invitees) {
		t.Errorf("%d distinct events delivered, want %d", len(evs), len(invitees))
	}
	for id, n := range evs {
		if n != 1 {
			t.Errorf("event %s delivered %d times, want once", id, n)
		}
	}
	if reported == 0 || len(puts.refused) != 3 || ses.n > 0 {
		t.Errorf("the faults did not all happen: %d records reported for retry, %d entries refused, %d SES refusals left",
			reported, len(puts.refused), max(ses.n, 0))
	}
}

// route makes kumo record the events of bus: one rule, one target.
func route(t *testing.T, ctx context.Context, eb *eventbridge.Client, bus string) {
	t.Helper()
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("crm"), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["businessapp.users"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("crm"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("log"), Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/faults")}}}); err != nil {
		t.Fatal(err)
	}
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

// sentEmails counts kumo's sent emails per recipient among the invitees.
func sentEmails(t *testing.T, srv *kumo.Server, invitees map[string]bool) map[string]int {
	var out struct {
		SentEmails []struct {
			Destination struct{ ToAddresses []string }
		}
	}
	getJSON(t, srv.URL+"/kumo/ses/v2/sent-emails", &out)
	counts := map[string]int{}
	for _, e := range out.SentEmails {
		for _, to := range e.Destination.ToAddresses {
			if invitees[to] {
				counts[to]++
			}
		}
	}
	return counts
}

// deliveredEvents counts kumo's delivered events on bus per eventId.
func deliveredEvents(t *testing.T, srv *kumo.Server, bus string) map[string]int {
	var out []struct{ EventBusName, Detail string }
	getJSON(t, srv.URL+"/kumo/eventbridge/delivered-events", &out)
	counts := map[string]int{}
	for _, e := range out {
		if e.EventBusName != bus {
			continue
		}
		var d struct{ EventID string }
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Fatalf("event detail is not JSON: %s", e.Detail)
		}
		counts[d.EventID]++
	}
	return counts
}
