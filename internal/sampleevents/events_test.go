package sampleevents_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/provisioning"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/sesmail"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/streampoll"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestEveryFunctionHasASampleEvent checks that events/ holds exactly one
// event per folder under functions/, and that this package checks each one.
func TestEveryFunctionHasASampleEvent(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join(repoRoot, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var functions []string
	for _, d := range dirs {
		if d.IsDir() {
			functions = append(functions, d.Name())
		}
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, f := range files {
		evs = append(evs, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	var checked []string
	for _, s := range samples {
		checked = append(checked, s.function)
	}
	slices.Sort(checked)
	if d := cmp.Diff(functions, evs); d != "" {
		t.Errorf("events/*.json differ from the folders under functions/ (-functions +events):\n%s", d)
	}
	if d := cmp.Diff(functions, checked); d != "" {
		t.Errorf("the samples of this test differ from the folders under functions/ (-functions +samples):\n%s", d)
	}
	for _, s := range samples {
		_, isRoute := routeOf(s.function)
		if !isRoute && s.function != streamFunction && s.function != provisionFunction {
			t.Errorf("functions/%s serves no route and is neither the stream consumer %s nor the provisioning function %s", s.function, streamFunction, provisionFunction)
		}
	}
}

// TestRouteEventsAreWhatAPIGatewaySends checks each route's sample event
// against what API Gateway's HTTP API sends for that route, with a JWT
// authorizer, in payload format 2.0: the route key, method and path of its
// route, path parameters as the route takes them from the path, the
// verified claims (an access token with the scope and the email claim), a
// body the OpenAPI document allows, and lower-case header names.
func TestRouteEventsAreWhatAPIGatewaySends(t *testing.T) {
	for _, s := range samples {
		route, ok := routeOf(s.function)
		if !ok {
			continue
		}
		t.Run(s.function, func(t *testing.T) {
			ev := httpEvent(t, s.function)
			routeKey := route.Method + " " + route.Path
			got := map[string]any{
				"version": ev.Version, "routeKey": ev.RouteKey, "requestContext.routeKey": ev.RequestContext.RouteKey,
				"requestContext.http.method": ev.RequestContext.HTTP.Method, "requestContext.http.path": ev.RequestContext.HTTP.Path,
				"requestContext.stage": ev.RequestContext.Stage,
			}
			want := map[string]any{
				"version": "2.0", "routeKey": routeKey, "requestContext.routeKey": routeKey,
				"requestContext.http.method": route.Method, "requestContext.http.path": ev.RawPath,
				"requestContext.stage": "$default",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("event differs from route %s (-want +got):\n%s", route.Operation, d)
			}
			if !rawPathPattern(route).MatchString(ev.RawPath) {
				t.Errorf("rawPath %q is not a path of %s", ev.RawPath, route.Path)
			}
			if d := cmp.Diff(pathValues(route, ev.RawPath), ev.PathParameters); d != "" {
				t.Errorf("pathParameters differ from what %s takes from %s (-want +got):\n%s", route.Path, ev.RawPath, d)
			}
			jwt := ev.RequestContext.Authorizer
			if jwt == nil || jwt.JWT == nil {
				t.Fatal("the event has no requestContext.authorizer.jwt")
			}
			claims := jwt.JWT.Claims
			if claims["email"] != owner {
				t.Errorf("email claim is %q, want %s (the caller of every sample event)", claims["email"], owner)
			}
			if claims["token_use"] != "access" || len(jwt.JWT.Scopes) == 0 || !slices.Equal(strings.Fields(claims["scope"]), jwt.JWT.Scopes) {
				t.Errorf("the claims are not an access token's with its scopes (token_use %q, scope %q, scopes %q): the API requires a scope, so ID tokens never reach it",
					claims["token_use"], claims["scope"], jwt.JWT.Scopes)
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q: HTTP APIs pass header names in lower case", k)
				}
			}
			if !strings.HasPrefix(ev.Headers["authorization"], "Bearer ") {
				t.Errorf("authorization header %q is not a bearer token", ev.Headers["authorization"])
			}
			if n, ok := contentLength(ev.Headers); !ok || n != len(ev.Body) || ev.IsBase64Encoded {
				t.Errorf("content-length %q for a body of %d bytes (base64: %v)", ev.Headers["content-length"], len(ev.Body), ev.IsBase64Encoded)
			}
			req, err := gateway.Request(context.Background(), ev, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := openAPI(t).ValidateRequest(req); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestStreamEventIsWhatTheStreamSends checks the stream consumer's sample
// batch: one INSERT of an activity record, with the keys of its image, that
// the event source mapping's filter passes and the consumer decodes.
func TestStreamEventIsWhatTheStreamSends(t *testing.T) {
	ev := streamEvent(t)
	if len(ev.Records) != 1 {
		t.Fatalf("the batch has %d records, want 1", len(ev.Records))
	}
	rec := ev.Records[0]
	got := []string{rec.EventName, rec.EventSource, rec.EventVersion, rec.Change.StreamViewType}
	if d := cmp.Diff([]string{"INSERT", "aws:dynamodb", "1.1", "NEW_AND_OLD_IMAGES"}, got); d != "" {
		t.Errorf("record (eventName, eventSource, eventVersion, StreamViewType) differs (-want +got):\n%s", d)
	}
	for _, k := range []string{"PK", "SK"} {
		if key, image := rec.Change.Keys[k], rec.Change.NewImage[k]; key.String() == "" || key.String() != image.String() {
			t.Errorf("key %s is %q, and %q in NewImage", k, key.String(), image.String())
		}
	}
	if !streamlambda.IsActivityInsert(rec) {
		t.Error("the event source mapping's filter (streamlambda.IsActivityInsert) would drop the record")
	}
	sr, err := streamlambda.StreamRecord(rec)
	if err != nil {
		t.Fatalf("the record does not convert: %v", err)
	}
	a, ok, err := dynamo.ActivityFromStream(sr)
	if err != nil || !ok {
		t.Fatalf("the consumer cannot decode the record: ok %v, %v", ok, err)
	}
	if a.BusinessID != business || a.Actor != owner || a.Target.Email != ann || a.Type != "user.added" {
		t.Errorf("the record is %+v, want %s adding %s to %s", a, owner, ann, business)
	}
}

// TestStreamEventIsWhatTheInviteCommits checks that the stream sample is
// exactly what the stream carries after the invite-user sample: the invite
// event goes through the route's handler into DynamoDB Local, the stream is
// read as the event source mapping reads it, and the record Lambda would
// receive must equal the sample, except for what differs on every run (the
// activity id, its time, the stream's own ids and numbers).
func TestStreamEventIsWhatTheInviteCommits(t *testing.T) {
	db := dynamotest.Client(t)
	table := dynamotest.NewTable(t, db)
	seed(t, db, table, false)
	ctx := context.Background()
	route, _ := routeOf("invite-user")
	h, err := lambdaenv.NewRouteHandler(db, lambdaenv.RouteSettings{TableName: table}, testLogger(t), route.Operation, phonesOf(route))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := h(ctx, httpEvent(t, "invite-user")); err != nil || resp.StatusCode != 201 {
		t.Fatalf("invite-user: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	pollCtx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	var committed *events.DynamoDBEventRecord
	poller := streampoll.New(db, dynamodblocal.NewStreamsClient(dynamodblocal.EndpointFromEnv()), streampoll.Config{
		TableName: table, PollInterval: 20 * time.Millisecond, Filter: streamlambda.IsActivityInsert, Log: testLogger(t),
	}, func(_ context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		committed = &batch.Records[0]
		stop()
		return events.DynamoDBEventResponse{}, nil
	})
	if err := poller.Run(pollCtx); err != nil && committed == nil {
		t.Fatal(err)
	}
	if committed == nil {
		t.Fatal("the invite's activity record did not reach the stream within 30s")
	}
	sample := streamEvent(t).Records[0].Change
	id := sample.NewImage["id"].String()
	at := sample.NewImage["at"].String()
	// Give the committed record the sample's id and time.
	realID := committed.Change.NewImage["id"].String()
	if _, err := time.Parse(time.RFC3339Nano, committed.Change.NewImage["at"].String()); err != nil {
		t.Errorf("the committed record's at is not RFC 3339: %v", err)
	}
	if !strings.HasSuffix(committed.Change.Keys["SK"].String(), realID) {
		t.Errorf("the committed SK %q does not end in its id %q", committed.Change.Keys["SK"].String(), realID)
	}
	// And the sample's user id: the invite made Ann a new one.
	realUserID := committed.Change.NewImage["target"].Map()["id"].String()
	if !strings.HasPrefix(realUserID, "usr_") {
		t.Errorf("the committed target id is %q, want a user id", realUserID)
	}
	// The invitation's expiry, which the welcome email states, is the
	// invite's time plus INVITATION_TTL, as the sample's is.
	for _, image := range []map[string]events.DynamoDBAttributeValue{committed.Change.NewImage, sample.NewImage} {
		at, errAt := time.Parse(time.RFC3339Nano, image["at"].String())
		expires, errExp := time.Parse(time.RFC3339Nano, image["invitationExpiresAt"].String())
		if errAt != nil || errExp != nil || expires.Sub(at) != team.DefaultInvitationTTL {
			t.Errorf("invitationExpiresAt %q is not at %q + INVITATION_TTL", image["invitationExpiresAt"].String(), image["at"].String())
		}
	}
	replace := strings.NewReplacer(realID, id, committed.Change.NewImage["at"].String(), at,
		realUserID, sample.NewImage["target"].Map()["id"].String(),
		committed.Change.NewImage["invitationExpiresAt"].String(), sample.NewImage["invitationExpiresAt"].String())
	toJSON := func(v any) any {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal([]byte(replace.Replace(string(raw))), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if d := cmp.Diff(toJSON(sample.NewImage), toJSON(committed.Change.NewImage)); d != "" {
		t.Errorf("events/%s.json NewImage differs from what the invite-user sample commits (-sample +committed):\n%s", streamFunction, d)
	}
	if d := cmp.Diff(toJSON(sample.Keys), toJSON(committed.Change.Keys)); d != "" {
		t.Errorf("events/%s.json Keys differ from what the invite-user sample commits (-sample +committed):\n%s", streamFunction, d)
	}
	if committed.EventName != "INSERT" || committed.Change.StreamViewType != sample.StreamViewType {
		t.Errorf("the committed record is %s with %s, the sample INSERT with %s", committed.EventName, committed.Change.StreamViewType, sample.StreamViewType)
	}
}

// TestSampleEvents feeds each sample event to its function's handler, built
// by the same wiring the Lambda runs (lambdaenv.NewRouteHandler,
// stream.NewHandler) over DynamoDB Local and kumo, and checks the
// documented answer.
func TestSampleEvents(t *testing.T) {
	db := dynamotest.Client(t)
	srv := startKumo(t)
	for _, s := range samples {
		t.Run(s.function, func(t *testing.T) {
			t.Parallel()
			table := dynamotest.NewTable(t, db)
			ctx := context.Background()
			if s.function == provisionFunction {
				h, err := provisioning.NewHandler(lambdaenv.ProvisionSettings{TableName: table}, db, testLogger(t))
				if err != nil {
					t.Fatal(err)
				}
				var ev provision.Event
				if err := json.Unmarshal(readEvent(t, s.function), &ev); err != nil {
					t.Fatal(err)
				}
				if out, err := h.Handle(ctx, ev); err != nil || out != provision.Applied {
					t.Fatalf("the handler answered %s, %v; want applied", out, err)
				}
				checkProvisioned(t, db, table)
				return
			}
			if s.function == streamFunction {
				k := newKumoWorld(t, srv)
				ev := streamEvent(t)
				seed(t, db, table, false)
				seedActivity(t, db, table, ev.Records[0])
				ses := &configSetRecorder{Client: k.ses}
				h, err := stream.NewHandler(lambdaenv.StreamSettings{
					TableName: table, EventBusName: k.bus, SenderEmail: k.sender, AppBaseURL: appBaseURL,
					SesConfigurationSet: "usermanagement-sample",
				}, stream.Clients{DynamoDB: db, SES: ses, EventBridge: k.events}, testLogger(t))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := h(ctx, ev)
				if err != nil {
					t.Fatalf("the handler failed the batch: %v", err)
				}
				checkDelivery(t, k, db, table, ev, resp)
				// The deployment's SES configuration set is named on the
				// send (template.yaml's SesConfigurationSet).
				if got := ses.names(); len(got) != 1 || got[0] != "usermanagement-sample" {
					t.Errorf("SendEmail named the configuration sets %q, want [usermanagement-sample]", got)
				}
				return
			}
			route, _ := routeOf(s.function)
			seed(t, db, table, s.annInvited)
			h, err := lambdaenv.NewRouteHandler(db, lambdaenv.RouteSettings{TableName: table}, testLogger(t), route.Operation, phonesOf(route))
			if err != nil {
				t.Fatal(err)
			}
			ev := httpEvent(t, s.function)
			resp, err := h(ctx, ev)
			if err != nil {
				t.Fatalf("the handler failed: %v", err)
			}
			checkRouteAnswer(t, s, ev, resp)
		})
	}
}

// testLogger logs through t, so a failing test shows what the function
// logged.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// configSetRecorder passes sends on to SES (kumo) and records the
// configuration set each names.
type configSetRecorder struct {
	sesmail.Client
	mu   sync.Mutex
	sets []string
}

func (r *configSetRecorder) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	r.mu.Lock()
	r.sets = append(r.sets, aws.ToString(in.ConfigurationSetName))
	r.mu.Unlock()
	return r.Client.SendEmail(ctx, in, optFns...)
}

func (r *configSetRecorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sets)
}
