package eventbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"
	"github.com/sivchari/kumo"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/eventbus"
)

// countingClient counts the PutEvents calls that reach the real client.
type countingClient struct {
	eventbus.Client
	calls atomic.Int32
}

func (c *countingClient) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	c.calls.Add(1)
	return c.Client.PutEvents(ctx, in, optFns...)
}

// deliveredEvent is an entry of kumo's /kumo/eventbridge/delivered-events.
type deliveredEvent struct {
	EventID      string `json:"EventId"`
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	RuleName     string
	TargetID     string `json:"TargetId"`
	TargetArn    string
	Time         string
}

// startKumo starts kumo in-process and returns an EventBridge client for it.
func startKumo(t *testing.T) (*kumo.Server, *eventbridge.Client) {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return srv, eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// logTarget is where the rules send events. kumo records a delivery for any
// target, but it also forwards events to SQS, Lambda and API destination
// targets, at its fixed base URL (localhost:4566 unless KUMO_PORT says
// otherwise) rather than at the in-process server; a CloudWatch Logs target
// is recorded and nothing more.
const logTarget = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/businessapp-users"

// route makes kumo record the events of source businessapp.users put on
// busName ("" for the default bus, which kumo always has): a rule matching
// the source, with one target.
func route(t *testing.T, client *eventbridge.Client, busName string) {
	t.Helper()
	ctx := context.Background()
	var bus *string
	if busName != "" {
		bus = aws.String(busName)
		if _, err := client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: bus}); err != nil {
			t.Fatalf("CreateEventBus: %v", err)
		}
	}
	rule := aws.String("businessapp-users-to-log")
	if _, err := client.PutRule(ctx, &eventbridge.PutRuleInput{
		Name:         rule,
		EventBusName: bus,
		EventPattern: aws.String(`{"source":["businessapp.users"]}`),
	}); err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	if _, err := client.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule:         rule,
		EventBusName: bus,
		Targets:      []types.Target{{Id: aws.String("log"), Arn: aws.String(logTarget)}},
	}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}
}

// delivered returns the events kumo recorded on busName.
func delivered(t *testing.T, srv *kumo.Server, busName string) []deliveredEvent {
	t.Helper()
	resp, err := http.Get(srv.URL + "/kumo/eventbridge/delivered-events")
	if err != nil {
		t.Fatalf("list delivered events: %v", err)
	}
	defer resp.Body.Close()
	var all []deliveredEvent
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatalf("decode delivered events: %v", err)
	}
	var onBus []deliveredEvent
	for _, e := range all {
		if e.EventBusName == busName {
			onBus = append(onBus, e)
		}
	}
	return onBus
}

// wantDelivered is what kumo should record for events: each exactly once,
// with the detail exactly as marshalled.
func wantDelivered(t *testing.T, events []delivery.Event, busName string) map[string]deliveredEvent {
	t.Helper()
	want := make(map[string]deliveredEvent, len(events))
	for _, ev := range events {
		detail, err := json.Marshal(ev.Detail)
		if err != nil {
			t.Fatal(err)
		}
		want[ev.Detail.EventID] = deliveredEvent{
			Source: delivery.Source, DetailType: string(ev.DetailType), Detail: string(detail),
			EventBusName: busName, RuleName: "businessapp-users-to-log", TargetID: "log", TargetArn: logTarget,
		}
	}
	return want
}

// byEventID keys delivered events by their detail's eventId, failing on a
// duplicate, and checks each event's time.
func byEventID(t *testing.T, got []deliveredEvent, times map[string]time.Time) map[string]deliveredEvent {
	t.Helper()
	out := make(map[string]deliveredEvent, len(got))
	for _, e := range got {
		var d delivery.Detail
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Fatalf("delivered detail %q: %v", e.Detail, err)
		}
		if _, dup := out[d.EventID]; dup {
			t.Errorf("event %s delivered more than once", d.EventID)
		}
		if at, err := time.Parse(time.RFC3339, e.Time); err != nil || !at.Equal(times[d.EventID].Truncate(time.Second)) {
			t.Errorf("event %s: time %q, want %s", d.EventID, e.Time, times[d.EventID].Format(time.RFC3339))
		}
		e.EventID, e.Time = "", ""
		out[d.EventID] = e
	}
	return out
}

func TestPublishThroughKumo(t *testing.T) {
	srv, client := startKumo(t)
	// kumo keeps its state in package variables, shared by every server in
	// the process, so the bus is made unique to this run.
	busName := fmt.Sprintf("businessapp-test-%d", time.Now().UnixNano())
	route(t, client, busName)

	events := testEvents(23)
	for i := range events {
		// A sub-second time checks that the time survives the trip.
		events[i].Time = events[i].Time.Add(250 * time.Millisecond)
		events[i].Detail.EventID = fmt.Sprintf("%s-evt-%d", busName, i)
	}
	counting := &countingClient{Client: client}
	errs, err := eventbus.New(counting, busName).Publish(context.Background(), events)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if diff := cmp.Diff(repeat("ok", len(events)), outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if n := counting.calls.Load(); n != 3 {
		t.Errorf("%d PutEvents calls for 23 events, want 3", n)
	}

	times := make(map[string]time.Time, len(events))
	for _, ev := range events {
		times[ev.Detail.EventID] = ev.Time
	}
	got := byEventID(t, delivered(t, srv, busName), times)
	if diff := cmp.Diff(wantDelivered(t, events, busName), got); diff != "" {
		t.Errorf("delivered events (-want +got):\n%s", diff)
	}
}

func TestPublishToDefaultBusThroughKumo(t *testing.T) {
	srv, client := startKumo(t)
	route(t, client, "")

	events := testEvents(2)
	run := time.Now().UnixNano()
	times := make(map[string]time.Time, len(events))
	for i := range events {
		events[i].Detail.EventID = fmt.Sprintf("default-%d-evt-%d", run, i)
		times[events[i].Detail.EventID] = events[i].Time
	}
	errs, err := eventbus.New(client, "").Publish(context.Background(), events)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if diff := cmp.Diff(repeat("ok", len(events)), outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}

	// The default bus is shared with any other run in the process, so only
	// this run's events are compared.
	var mine []deliveredEvent
	for _, e := range delivered(t, srv, "default") {
		var d delivery.Detail
		if json.Unmarshal([]byte(e.Detail), &d) == nil {
			if _, ok := times[d.EventID]; ok {
				mine = append(mine, e)
			}
		}
	}
	if diff := cmp.Diff(wantDelivered(t, events, "default"), byEventID(t, mine, times)); diff != "" {
		t.Errorf("delivered events (-want +got):\n%s", diff)
	}
}
