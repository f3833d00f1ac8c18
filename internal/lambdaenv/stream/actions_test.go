package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/samtemplate"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/streampoll"
	"github.com/businessapp/usermanagement/internal/team"
)

// acceptingSES and acceptingBus take every email and event, counting the
// events: the test waits for the consumer to have delivered them all.
type acceptingSES struct{}

func (acceptingSES) SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return &sesv2.SendEmailOutput{MessageId: aws.String("message")}, nil
}

type acceptingBus struct {
	mu     sync.Mutex
	events int
}

func (b *acceptingBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events += len(in.Entries)
	return &eventbridge.PutEventsOutput{}, nil
}

func (b *acceptingBus) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.events
}

// TestConsumerCallsExactlyItsActions derives the stream consumer's
// DynamoDB permissions from its code, as the route functions' are
// (internal/sampleevents' TestEachRouteCallsExactlyItsActions): it commits
// activity of every type through the API, lets the consumer deliver it
// from DynamoDB Local's stream, records the IAM actions of the consumer's
// requests, and requires DeliverActivityFunction's role in template.yaml to
// allow exactly those on the table. (Reading the stream is the event
// source mapping's, with the same role; the template lists those actions
// on the stream, apart.)
func TestConsumerCallsExactlyItsActions(t *testing.T) {
	plain := dynamotest.Client(t)
	table := dynamotest.NewTable(t, plain)
	const function = "DeliverActivityFunction"
	rec := &dynamotest.Actions{}
	rec.Attribute(function)
	recorded := dynamotest.Client(t, rec.Install)

	// The activity: one record of every type the domain produces.
	store := dynamo.NewStore(plain, table)
	now := time.Now().UTC()
	const owner = "owner@acme.test"
	var tabs team.Permissions
	for _, tab := range team.Catalogue() {
		tabs = append(tabs, tab.ID)
	}
	if err := store.CreateBusiness(context.Background(), team.Business{ID: "acme", Name: "Acme", Tabs: tabs, CreatedAt: now},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: owner, Permissions: tabs, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	clock := &dynamotest.Clock{}
	api := httpapi.New(team.NewService(store, clock, team.ULIDSource{}, phone.Normalizer{}), slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()
	users := "/v1/businesses/acme/users"
	steps := []struct {
		caller, method, path, body string
		status                     int
	}{
		{owner, "POST", users, `{"email":"ann@acme.test","firstName":"Ann","permissions":["home","users"]}`, 201},
		{"ann@acme.test", "GET", "/v1/businesses/acme/tabs", "", 200}, // activates ann
		{owner, "POST", users, `{"email":"bob@acme.test","phone":"+1 415 555 0100","permissions":["crm"]}`, 201},
		{"", "", "", "", 0}, // six minutes pass: bob's invitation may be resent
		{owner, "POST", users + "/bob@acme.test/invitation", "", 200},
		{owner, "PUT", users + "/bob@acme.test/permissions", `{"permissions":["crm","home"]}`, 200},
		{owner, "PATCH", users + "/bob@acme.test", `{"lastName":"Stone"}`, 200},
		{owner, "PATCH", users + "/bob@acme.test", `{"email":"robert@acme.test"}`, 200},
		{owner, "DELETE", users + "/robert@acme.test", "", 204},
		{owner, "POST", "/v1/businesses/acme/owner", `{"email":"ann@acme.test"}`, 200},
	}
	activities := 0
	for _, s := range steps {
		if s.method == "" {
			clock.Pass(6 * time.Minute)
			continue
		}
		req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
		req = req.WithContext(httpapi.WithCaller(req.Context(), s.caller))
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		if w.Code != s.status {
			t.Fatalf("%s %s as %s: %d %s, want %d", s.method, s.path, s.caller, w.Code, w.Body, s.status)
		}
		activities++
	}
	seen := map[team.ActivityType]bool{}
	page, err := store.Activity(context.Background(), "acme", team.ActivityFilter{}, team.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range page.Activity {
		seen[a.Type] = true
	}
	for _, typ := range team.ActivityTypes() {
		if !seen[typ] {
			t.Errorf("the journey recorded no %s activity; the test must cover every type", typ)
		}
	}

	// The consumer, fed from the stream as the event source mapping feeds
	// it; the poller reads with its own (unrecorded) clients.
	bus := &acceptingBus{}
	consumer, err := stream.NewConsumer(lambdaenv.StreamSettings{TableName: table, SenderEmail: "no-reply@acme.test", AppBaseURL: "https://app.example.com"},
		stream.Clients{DynamoDB: recorded, SES: acceptingSES{}, EventBridge: bus}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	poller := streampoll.New(plain, dynamodblocal.NewStreamsClient(dynamodblocal.EndpointFromEnv()), streampoll.Config{
		TableName: table, BatchSize: 100, PollInterval: 50 * time.Millisecond, MaxRetryAttempts: 3,
		Filter: streamlambda.IsActivityInsert, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnFailure: func(_ []events.DynamoDBEventRecord, reason error) {
			t.Errorf("the consumer gave a batch up: %v", reason)
		},
	}, streamlambda.Handler(consumer))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- poller.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for bus.count() < activities && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if got := bus.count(); got < activities {
		t.Fatalf("the consumer delivered %d events of %d activity records in 60 s", got, activities)
	}

	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(fns, func(f samtemplate.Function) bool { return f.LogicalID == function })
	if i < 0 {
		t.Fatalf("template.yaml has no %s", function)
	}
	var allowed []string
	for _, p := range fns[i].Policies {
		for _, st := range p.Statements {
			if st.Effect != "Allow" || !slices.ContainsFunc(st.Resources, isTableArn) {
				continue
			}
			for _, a := range st.Actions {
				if strings.HasPrefix(strings.ToLower(a), "dynamodb:") {
					allowed = append(allowed, a)
				}
			}
		}
	}
	slices.Sort(allowed)
	if called := rec.Of(function); !slices.Equal(called, allowed) {
		t.Errorf("%s's role allows %q on the table; its code calls %q", function, allowed, called)
	}
}

// isTableArn reports whether a statement's resource is the table itself
// (!GetAtt UsersTable.Arn), not its stream or an index.
func isTableArn(resource any) bool {
	return fmt.Sprint(resource) == fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"UsersTable", "Arn"}})
}
