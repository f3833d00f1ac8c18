package sampleevents_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"
	"github.com/sivchari/kumo"

	"github.com/businessapp/usermanagement/internal/apispec"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/team"
)

// repoRoot is the repository root seen from this package's directory, where
// go test runs the tests.
const repoRoot = "../.."

// The world every sample event is written for (events/README.md).
const (
	business     = "demo"
	businessName = "Demo Business"
	owner        = "owner@demo.test"
	ann          = "ann@example.com"
	// ownerID and annID are the users' ids in the world. Ann's is fixed
	// where she is seeded, so that update-contact.json can carry her ETag
	// in If-Match; the invite event invites her with a new id each time.
	ownerID = "usr_01JD8X2M5N6P7Q8R9S0T1V2W3X"
	annID   = "usr_01JD8X4B7K9QZ0M5N2P3R4S6T7"
	// anyUserID stands for a user id made during the test, in headers and
	// bodies a sample expects.
	anyUserID = "<userId>"
	// streamFunction is the folder of the stream consumer, the one function
	// that serves no route.
	streamFunction = "deliver-activity"
	// provisionFunction is the folder of the provisioning function, which
	// the platform events' rule invokes (SPEC §7); it serves no route.
	provisionFunction = "provision-business"
)

// annInvitation is how the invite-user event invites Ann; the other events
// find her invited just so.
var annInvitation = team.Invitation{
	Email: "Ann@Example.com", FirstName: "Ann", LastName: "Lee",
	Phone: "+1 (415) 555-0100", Permissions: []string{"conversations", "crm"},
}

// sample is a sample event and the answer its function must give.
type sample struct {
	// function is the folder under functions/, and the event's file name
	// under events/ (plus .json).
	function string
	// annInvited says Ann is a user before the event arrives: true for
	// every event but the invite itself.
	annInvited bool
	// status and headers are a route's answer; body is its JSON with
	// every timestamp written "<time>" and every activity id "<id>" (nil:
	// no body).
	status  int
	headers map[string]string
	body    any
}

// annJSON is Ann as the API returns her after the invite, with changes
// applied on top.
func annJSON(changes map[string]any) map[string]any {
	u := map[string]any{
		"id": annID, "email": ann, "firstName": "Ann", "lastName": "Lee", "phone": "+14155550100", "phoneDisplay": "+1 415-555-0100",
		"permissions": []any{"conversations", "crm"}, "profileImageUrl": nil, "invitedBy": owner,
		"createdAt": "<time>", "updatedAt": "<time>", "version": 1.0, "isOwner": false,
		"status": "invited", "invitationExpiresAt": "<time>", "activatedAt": nil,
	}
	for k, v := range changes {
		u[k] = v
	}
	return u
}

func tabsJSON() []any {
	var out []any
	for _, tab := range team.Catalogue() {
		out = append(out, map[string]any{"id": string(tab.ID), "name": tab.Name})
	}
	return out
}

// samples are the events under events/ and what they must produce (SPEC
// §4). Run in this order against `make run`'s database they tell one story;
// here each starts from the world as it stands before it.
var samples = []sample{
	{function: "get-business", annInvited: true, status: 200,
		body: map[string]any{"id": "demo", "name": businessName, "tabs": tabsJSON(), "owner": map[string]any{"email": owner}, "total": 2.0, "invited": 1.0}},
	// Ann is not a manager in this world, so ownership cannot go to her.
	{function: "transfer-ownership", annInvited: true, status: 422,
		body: map[string]any{"error": map[string]any{"code": "owner_protected",
			"message": "Ownership can only go to an active manager; ann@example.com does not hold the User Management permission or is not active.",
			"fields":  map[string]any{"email": "Choose an active user who holds the User Management permission (the Users tab)."}}}},
	{function: "list-tabs", annInvited: true, status: 200,
		body: map[string]any{"tabs": tabsJSON()}},
	{function: "invite-user", status: 201,
		headers: map[string]string{"Etag": `"` + anyUserID + `.1"`, "Location": "/v1/businesses/demo/users/ann@example.com", "Content-Type": "application/json"},
		body:    annJSON(map[string]any{"id": anyUserID})},
	{function: "get-user", annInvited: true, status: 200,
		headers: map[string]string{"Etag": `"` + annID + `.1"`, "Content-Type": "application/json"},
		body:    annJSON(nil)},
	{function: "update-contact", annInvited: true, status: 200,
		headers: map[string]string{"Etag": `"` + annID + `.2"`},
		body:    annJSON(map[string]any{"lastName": "Leigh", "phone": nil, "phoneDisplay": nil, "version": 2.0})},
	{function: "set-permissions", annInvited: true, status: 200,
		headers: map[string]string{"Etag": `"` + annID + `.2"`},
		body:    annJSON(map[string]any{"permissions": []any{"home", "crm"}, "version": 2.0})},
	{function: "list-users", annInvited: true, status: 200,
		body: map[string]any{"users": []any{annJSON(nil), map[string]any{
			"id": ownerID, "email": owner, "firstName": "Demo", "lastName": "Owner", "phone": nil, "phoneDisplay": nil,
			"permissions": jsonTabIDs(), "profileImageUrl": nil, "invitedBy": nil,
			"createdAt": "<time>", "updatedAt": "<time>", "version": 1.0, "isOwner": true,
			"status": "active", "invitationExpiresAt": nil, "activatedAt": nil,
		}}, "nextCursor": nil, "total": 2.0, "invited": 1.0}},
	{function: "list-activity", annInvited: true, status: 200,
		body: map[string]any{"activity": []any{map[string]any{
			"id": "<id>", "type": "user.added", "actor": map[string]any{"id": ownerID, "email": owner},
			"target": map[string]any{"id": annID, "email": ann, "firstName": "Ann", "lastName": "Lee"},
			"at":     "<time>",
			"changes": map[string]any{"permissions": map[string]any{
				"from": []any{}, "to": []any{"conversations", "crm"},
			}},
		}}, "nextCursor": nil}},
	// Ann was invited ten minutes ago (seed), so her invitation may be
	// sent again: a new expiry, version 2.
	{function: "resend-invitation", annInvited: true, status: 200,
		headers: map[string]string{"Etag": `"` + annID + `.2"`},
		body:    annJSON(map[string]any{"version": 2.0})},
	{function: "remove-user", annInvited: true, status: 204},
	{function: streamFunction},
	{function: provisionFunction},
}

func jsonTabIDs() []any {
	var out []any
	for _, tab := range team.Catalogue() {
		out = append(out, string(tab.ID))
	}
	return out
}

// routeOf returns the route a function folder serves.
func routeOf(function string) (httpapi.Route, bool) {
	for _, r := range httpapi.Routes() {
		if r.Function() == function {
			return r, true
		}
	}
	return httpapi.Route{}, false
}

// phonesOf returns what a route's generated main.go passes the composition
// root: the phone parser for the routes that parse phones, nil for others,
// so that these tests wire each route as its Lambda does.
func phonesOf(r httpapi.Route) team.PhoneNormalizer {
	if r.ParsesPhones {
		return phone.Normalizer{}
	}
	return nil
}

// readEvent returns the raw sample event of a function.
func readEvent(t testing.TB, function string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "events", function+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// decodeStrict decodes JSON refusing unknown fields, so that a misspelt
// field of a sample event is an error rather than silently absent.
func decodeStrict(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

func httpEvent(t testing.TB, function string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := decodeStrict(readEvent(t, function), &ev); err != nil {
		t.Fatalf("events/%s.json is not an API Gateway HTTP API (payload 2.0) event: %v", function, err)
	}
	return ev
}

func streamEvent(t testing.TB) events.DynamoDBEvent {
	t.Helper()
	var ev events.DynamoDBEvent
	if err := decodeStrict(readEvent(t, streamFunction), &ev); err != nil {
		t.Fatalf("events/%s.json is not a DynamoDB Streams event: %v", streamFunction, err)
	}
	return ev
}

// seed creates the world in a fresh table: business demo with every tab,
// its manager, and, when annInvited, Ann invited by the manager through the
// real service (so her item and activity are what an invite commits).
func seed(t testing.TB, db *dynamodb.Client, table string, annInvited bool) {
	t.Helper()
	ctx := context.Background()
	store := dynamo.NewStore(db, table)
	all := team.PermissionsOf(jsonStrings(jsonTabIDs()))
	now := time.Now().UTC()
	if err := store.CreateBusiness(ctx, team.Business{ID: business, Name: businessName, Tabs: all, CreatedAt: now},
		team.User{BusinessID: business, ID: ownerID, Email: owner, FirstName: "Demo", LastName: "Owner",
			Permissions: all, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatalf("seed business: %v", err)
	}
	if !annInvited {
		return
	}
	// Ten minutes ago, so that the resend event finds an invitation it
	// may send again (SPEC §4: one resend per user every 5 minutes).
	svc := team.NewService(store, tenMinutesAgo{}, &annFirst{}, phone.Normalizer{})
	if _, err := svc.InviteUser(ctx, owner, business, annInvitation); err != nil {
		t.Fatalf("seed Ann: %v", err)
	}
}

// tenMinutesAgo is a clock ten minutes behind.
type tenMinutesAgo struct{}

func (tenMinutesAgo) Now() time.Time { return team.SystemClock{}.Now().Add(-10 * time.Minute) }

// annFirst is an IDSource whose first id is Ann's (the invite draws the
// user's id first) and whose others are ULIDs: activity ids must be unique
// across tests, since DynamoDB's idempotency tokens are made from them.
type annFirst struct{ made bool }

func (s *annFirst) NewID(at time.Time) string {
	if !s.made {
		s.made = true
		return strings.TrimPrefix(annID, team.UserIDPrefix)
	}
	return team.ULIDSource{}.NewID(at)
}

// madeUserID matches a user id made during a test (a ULID after the prefix).
var madeUserID = regexp.MustCompile(`usr_[0-9A-HJKMNP-TV-Z]{26}`)

func jsonStrings(values []any) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.(string)
	}
	return out
}

// seedActivity puts the activity record a stream event carries into the
// table, as the transaction that made it committed it: the consumer reads
// the record back to mark what it delivered, and delivers nothing for a
// record that is gone.
func seedActivity(t testing.TB, db *dynamodb.Client, table string, rec events.DynamoDBEventRecord) {
	t.Helper()
	item, err := streamlambda.Item(rec.Change.NewImage)
	if err != nil {
		t.Fatalf("the stream event's NewImage: %v", err)
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("seed the activity record: %v", err)
	}
}

// normalize replaces what changes from run to run in an API answer, after
// checking its form: RFC 3339 times become "<time>", activity ids "<id>".
func normalize(t testing.TB, v any, key string) any {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(t, e, k)
		}
		if _, isActivity := v["actor"]; isActivity {
			if id, _ := v["id"].(string); id != "" {
				out["id"] = "<id>"
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(t, e, key)
		}
		return out
	case string:
		switch key {
		case "id":
			if v != annID && v != ownerID && madeUserID.MatchString(v) {
				return anyUserID
			}
		case "createdAt", "updatedAt", "at", "invitationExpiresAt", "activatedAt":
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				t.Errorf("%s is %q, not an RFC 3339 time", key, v)
			}
			return "<time>"
		}
	}
	return v
}

// checkRouteAnswer checks a route's answer to its sample event: the status,
// headers and body the sample expects, and the answer as a whole against
// docs/openapi.yaml.
func checkRouteAnswer(t *testing.T, s sample, ev events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	if resp.StatusCode != s.status {
		t.Errorf("status %d, want %d; body %s", resp.StatusCode, s.status, resp.Body)
	}
	for k, want := range s.headers {
		got := resp.Headers[k]
		if strings.Contains(want, anyUserID) {
			got = madeUserID.ReplaceAllString(got, anyUserID)
		}
		if got != want {
			t.Errorf("header %s is %q, want %q (headers %v)", k, got, want, resp.Headers)
		}
	}
	if s.body == nil {
		if resp.Body != "" {
			t.Errorf("body %q, want none", resp.Body)
		}
	} else {
		var got any
		if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
			t.Fatalf("body is not JSON: %v; body %q", err, resp.Body)
		}
		if d := cmp.Diff(s.body, normalize(t, got, "")); d != "" {
			t.Errorf("body differs (-want +got):\n%s", d)
		}
	}
	req, err := gateway.Request(context.Background(), ev, "")
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{}
	for k, v := range resp.Headers {
		header.Set(k, v)
	}
	httpResp := &http.Response{StatusCode: resp.StatusCode, Header: header, Body: io.NopCloser(strings.NewReader(resp.Body)), Request: req}
	if err := openAPI(t).ValidateResponse(req, httpResp); err != nil {
		t.Error(err)
	}
}

var loadSpec = sync.OnceValues(func() (*apispec.Spec, error) {
	return apispec.Load(filepath.Join(repoRoot, apispec.Path))
})

func openAPI(t testing.TB) *apispec.Spec {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// kumoWorld is a corner of kumo (in process): a bus whose rule has a
// target, so that kumo records the events put on the bus (it records
// deliveries, and only to targets), and a sender address of its own. kumo
// keeps its state per process, so the names are unique to the world and the
// checks count only what this world sent.
type kumoWorld struct {
	server *kumo.Server
	bus    string
	sender string
	ses    *sesv2.Client
	events *eventbridge.Client
}

// startKumo starts kumo for a test. Start it once per test, before any
// parallel subtests: kumo.NewServer wires process-wide state and is not safe
// to call concurrently.
func startKumo(t testing.TB) *kumo.Server {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// newKumoWorld makes a bus, rule, target and sender of its own on srv.
func newKumoWorld(t testing.TB, srv *kumo.Server) *kumoWorld {
	t.Helper()
	unique := strings.ToLower(rand.Text())
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	k := &kumoWorld{
		server: srv,
		bus:    "sample-events-" + unique,
		sender: "no-reply@" + unique + ".example.test",
		ses:    sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
		events: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
	}
	ctx := context.Background()
	if _, err := k.events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(k.bus)}); err != nil {
		t.Fatalf("kumo: create bus: %v", err)
	}
	rule := "crm-" + unique
	if _, err := k.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(k.bus),
		EventPattern: aws.String(`{"source":["businessapp.users"]}`)}); err != nil {
		t.Fatalf("kumo: put rule: %v", err)
	}
	// A log group target: kumo records the delivery without calling any
	// other emulator.
	if _, err := k.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(k.bus),
		Targets: []ebtypes.Target{{Id: aws.String("crm"), Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/sample-events/" + unique)}}}); err != nil {
		t.Fatalf("kumo: put targets: %v", err)
	}
	return k
}

// sentEmail is an email kumo's SES accepted.
type sentEmail struct {
	FromEmailAddress string
	Destination      struct{ ToAddresses []string }
	Subject          string
	Body             string
	HTMLBody         string
}

// deliveredEvent is an event kumo's EventBridge delivered to a target.
type deliveredEvent struct {
	Source, DetailType, Detail, EventBusName string
}

func (k *kumoWorld) get(t testing.TB, path string, into any) {
	t.Helper()
	resp, err := http.Get(k.server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("kumo answered %s for %s", resp.Status, path)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

// emails returns the emails sent from this world's sender.
func (k *kumoWorld) emails(t testing.TB) []sentEmail {
	t.Helper()
	var all struct{ SentEmails []sentEmail }
	k.get(t, "/kumo/ses/v2/sent-emails", &all)
	var out []sentEmail
	for _, e := range all.SentEmails {
		if e.FromEmailAddress == k.sender {
			out = append(out, e)
		}
	}
	return out
}

// deliveredEvents returns the events delivered from this world's bus.
func (k *kumoWorld) deliveredEvents(t testing.TB) []deliveredEvent {
	t.Helper()
	var all []deliveredEvent
	k.get(t, "/kumo/eventbridge/delivered-events", &all)
	var out []deliveredEvent
	for _, e := range all {
		if e.EventBusName == k.bus {
			out = append(out, e)
		}
	}
	return out
}

// appBaseURL is where the consumer's welcome emails link to.
const appBaseURL = "https://app.example.test"

// checkDelivery checks what the stream consumer must have done with the
// sample batch: answered with no failures, emailed Ann the welcome email
// once, put the UserAdded event on the bus once, and marked both on the
// activity record.
func checkDelivery(t *testing.T, k *kumoWorld, db *dynamodb.Client, table string, ev events.DynamoDBEvent, resp events.DynamoDBEventResponse) {
	t.Helper()
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("BatchItemFailures = %v, want none", resp.BatchItemFailures)
	}
	activityID := ev.Records[0].Change.NewImage["id"].String()
	emails := k.emails(t)
	if len(emails) != 1 {
		t.Fatalf("%d welcome emails were sent, want 1: %+v", len(emails), emails)
	}
	e := emails[0]
	if to := e.Destination.ToAddresses; len(to) != 1 || to[0] != ann {
		t.Errorf("the welcome email went to %v, want [%s]", to, ann)
	}
	for _, want := range []string{businessName, "Demo Owner"} {
		if !strings.Contains(e.Subject+e.Body, want) || !strings.Contains(e.HTMLBody, want) {
			t.Errorf("the welcome email does not name %q: %+v", want, e)
		}
	}
	if link := appBaseURL + "/" + business; !strings.Contains(e.Body, link) || !strings.Contains(e.HTMLBody, link) {
		t.Errorf("the welcome email does not link to %s: %+v", link, e)
	}
	evs := k.deliveredEvents(t)
	if len(evs) != 1 {
		t.Fatalf("%d events were put on the bus, want 1: %+v", len(evs), evs)
	}
	var detail struct {
		EventID    string `json:"eventId"`
		BusinessID string `json:"businessId"`
		Actor      struct{ Email string }
		User       struct{ Email string }
	}
	if err := json.Unmarshal([]byte(evs[0].Detail), &detail); err != nil {
		t.Fatalf("event detail is not JSON: %v", err)
	}
	got := []string{evs[0].Source, evs[0].DetailType, detail.EventID, detail.BusinessID, detail.Actor.Email, detail.User.Email}
	want := []string{"businessapp.users", "UserAdded", activityID, business, owner, ann}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("event (source, detail-type, eventId, businessId, actor, user) differs (-want +got):\n%s", d)
	}
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: ev.Records[0].Change.Keys["PK"].String()},
			"SK": &types.AttributeValueMemberS{Value: ev.Records[0].Change.Keys["SK"].String()},
		}})
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]string{"emailStatus": "sent", "eventStatus": "put"} {
		if got, _ := out.Item[attr].(*types.AttributeValueMemberS); got == nil || got.Value != want {
			t.Errorf("the activity record's %s is %v, want %q", attr, out.Item[attr], want)
		}
	}
}

// rawPathPattern is what a route's rawPath must look like: the route's path
// with each {name} a non-empty segment.
func rawPathPattern(route httpapi.Route) *regexp.Regexp {
	quoted := regexp.QuoteMeta(route.Path)
	return regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-zA-Z]+\\\}`).ReplaceAllString(quoted, `[^/]+`) + "$")
}

// pathValues returns the path parameters a route's pattern takes from path,
// as ServeMux reads them.
func pathValues(route httpapi.Route, path string) map[string]string {
	values := map[string]string{}
	mux := http.NewServeMux()
	mux.HandleFunc(route.Method+" "+route.Path, func(w http.ResponseWriter, r *http.Request) {
		for _, name := range regexp.MustCompile(`\{([a-zA-Z]+)\}`).FindAllStringSubmatch(route.Path, -1) {
			values[name[1]] = r.PathValue(name[1])
		}
	})
	req, _ := http.NewRequest(route.Method, (&url.URL{Path: path}).String(), nil)
	mux.ServeHTTP(discard{}, req)
	return values
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// contentLength is the body length a content-length header claims.
func contentLength(headers map[string]string) (int, bool) {
	n, err := strconv.Atoi(headers["content-length"])
	return n, err == nil
}

// checkProvisioned checks what events/provision-business.json does to an
// empty table: business acme with its tabs, and Ann its owner, invited,
// holding every enabled tab, added by the platform (which sends her
// welcome email through the stream).
func checkProvisioned(t testing.TB, db *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	store := dynamo.NewStore(db, table)
	b, err := store.Business(ctx, "acme")
	if err != nil {
		t.Fatalf("business acme: %v", err)
	}
	if b.Name != "Acme Inc." || !slices.Equal(b.Tabs.Strings(), []string{"home", "crm", "administration", "users"}) || b.OwnerEmail != "ann@acme.example" || b.Total != 1 {
		t.Errorf("business = %+v, want Acme Inc. owned by ann@acme.example, 1 user", b)
	}
	u, err := store.User(ctx, "acme", "ann@acme.example")
	if err != nil || !u.IsOwner || u.Status != team.StatusInvited || len(u.Permissions) != 4 {
		t.Errorf("owner = %+v, %v; want ann, the owner, invited, with every enabled tab", u, err)
	}
	page, err := store.Activity(ctx, "acme", team.ActivityFilter{}, team.PageRequest{Limit: 10})
	if err != nil || len(page.Activity) != 1 || page.Activity[0].Type != team.ActivityUserAdded || page.Activity[0].ActorID != provision.PlatformActorID {
		t.Errorf("activity = %+v, %v; want one user.added by the platform", page.Activity, err)
	}
}
