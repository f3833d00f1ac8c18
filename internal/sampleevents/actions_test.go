package sampleevents_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestEachRouteCallsExactlyItsActions derives each function's DynamoDB
// permissions from the code: it records, on DynamoDB Local, the IAM
// actions that each route's requests need and the secondary indexes they
// query, and requires them to be exactly the route's DynamoDBActions and
// Indexes, from which template.yaml's policies are generated. A missing
// action or index would fail in AWS with AccessDenied; an extra one is a
// permission no code uses.
//
// Every route is driven by its sample event, in the world the event is
// written for and through the wiring its Lambda runs (lambdaenv), three
// times: as it is, with a picture claim the caller's record does not have
// yet (which the route records), and as its caller's first request (which
// activates them). Those paths are every route's, so a new operation whose
// sample reaches all its actions needs nothing here. The branches a sample
// does not take, and that call another action or take another way through
// the store, are driven by driveBranches below.
func TestEachRouteCallsExactlyItsActions(t *testing.T) {
	// Skip (or, under REQUIRE_DYNAMODB, fail) here without DynamoDB Local:
	// subtests that skip would leave nothing recorded to compare.
	dynamotest.Client(t)
	var (
		mu      sync.Mutex
		need    = map[string]map[string]bool{}
		queried = map[string]map[string]bool{}
	)
	// record drives requests on a client of their own, so that worlds can
	// be driven at the same time, and adds the actions they needed to the
	// operation's.
	record := func(t *testing.T, drive func(*dynamodb.Client, *dynamotest.Actions), operations ...string) {
		rec := &dynamotest.Actions{}
		drive(dynamotest.Client(t, rec.Install), rec)
		mu.Lock()
		defer mu.Unlock()
		for _, op := range operations {
			if need[op] == nil {
				need[op], queried[op] = map[string]bool{}, map[string]bool{}
			}
			for _, action := range rec.Of(op) {
				need[op][action] = true
			}
			for _, index := range rec.IndexesOf(op) {
				queried[op][index] = true
			}
		}
	}
	var operations []string
	for _, r := range httpapi.Routes() {
		operations = append(operations, r.Operation)
	}
	sampled := map[string]bool{}
	t.Run("drive", func(t *testing.T) {
		for _, s := range samples {
			route, ok := routeOf(s.function)
			if !ok {
				continue
			}
			sampled[route.Operation] = true
			for _, v := range sampleVariants {
				t.Run(s.function+"/"+v.name, func(t *testing.T) {
					t.Parallel()
					record(t, func(db *dynamodb.Client, rec *dynamotest.Actions) {
						driveSample(t, db, rec, s, route, v)
					}, route.Operation)
				})
			}
		}
		t.Run("branches", func(t *testing.T) {
			t.Parallel()
			record(t, func(db *dynamodb.Client, rec *dynamotest.Actions) {
				driveBranches(t, db, rec)
			}, operations...)
		})
	})
	if t.Failed() {
		return // a request that failed has not recorded all it needs
	}

	for _, r := range httpapi.Routes() {
		if !sampled[r.Operation] {
			t.Errorf("%s: no sample event drives the route (world_test.go's samples)", r.Operation)
		}
		got := slices.Sorted(maps.Keys(need[r.Operation]))
		want := slices.Sorted(slices.Values(r.DynamoDBActions))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the route's DynamoDBActions (-) differ from what its requests need (+):\n%s", r.Operation, diff)
		}
		gotIndexes := slices.Sorted(maps.Keys(queried[r.Operation]))
		wantIndexes := slices.Sorted(slices.Values(r.Indexes()))
		if diff := cmp.Diff(wantIndexes, gotIndexes, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: the indexes the route may query (routes.go's indexesQueried, -) differ from those its requests query (+):\n%s", r.Operation, diff)
		}
	}
}

// samplePicture is the picture claim the "with a new picture" variant adds
// to a sample event; no user of the world has it.
const samplePicture = "https://example.com/owner.png"

// sampleVariant is one way TestEachRouteCallsExactlyItsActions sends a
// sample event: how it changes the world or the event before, and what it
// checks after, beside the status.
type sampleVariant struct {
	name   string
	before func(t *testing.T, db *dynamodb.Client, table string, ev *events.APIGatewayV2HTTPRequest)
	after  func(t *testing.T, caller team.User)
}

// sampleVariants send each sample event as it is (the answer the sample
// documents), with a picture claim the caller's record does not have yet
// (the same status, and the record keeps the picture), and as its caller's
// first request (the same status, and the caller is active after).
var sampleVariants = []sampleVariant{
	{name: "as it is"},
	{name: "with a new picture",
		before: func(_ *testing.T, _ *dynamodb.Client, _ string, ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.Authorizer.JWT.Claims[httpapi.PictureClaim] = samplePicture
		},
		after: func(t *testing.T, caller team.User) {
			if caller.ProfileImageURL != samplePicture {
				t.Errorf("the caller's picture is %q after the request, want the claim's %q", caller.ProfileImageURL, samplePicture)
			}
		}},
	{name: "as its caller's first request",
		before: func(t *testing.T, db *dynamodb.Client, table string, _ *events.APIGatewayV2HTTPRequest) {
			ownerNotYetActive(t, db, table)
		},
		after: func(t *testing.T, caller team.User) {
			if !caller.IsActive() {
				t.Errorf("the caller is %s after their first request, want active", caller.EffectiveStatus())
			}
		}},
}

// driveSample sends a route's sample event, changed as the variant says,
// in a world of its own, and records the actions under the route's
// operation.
func driveSample(t *testing.T, db *dynamodb.Client, rec *dynamotest.Actions, s sample, route httpapi.Route, v sampleVariant) {
	ctx := context.Background()
	table := dynamotest.NewTableWithoutStream(t, db)
	seed(t, db, table, s.annInvited)
	ev := httpEvent(t, s.function)
	if v.before != nil {
		v.before(t, db, table, &ev)
	}
	h, err := lambdaenv.NewRouteHandler(db, lambdaenv.RouteSettings{TableName: table}, testLogger(t), route.Operation, phonesOf(route))
	if err != nil {
		t.Fatal(err)
	}
	rec.Attribute(route.Operation)
	resp, err := h(ctx, ev)
	rec.Attribute("") // the world's setup and checks are not the route's
	if err != nil {
		t.Fatalf("the handler failed: %v", err)
	}
	if v.after == nil {
		checkRouteAnswer(t, s, ev, resp)
		return
	}
	if resp.StatusCode != s.status {
		t.Errorf("status %d, want %d (the sample's); body %s", resp.StatusCode, s.status, resp.Body)
	}
	caller, err := dynamo.NewStore(db, table).Member(ctx, business, owner)
	if err != nil {
		t.Fatalf("read the caller after the request: %v", err)
	}
	v.after(t, caller)
}

// ownerNotYetActive puts the world's owner back to invited, as provisioning
// leaves a business's owner until their first request (SPEC §7), so that
// the sample's request is that first request. It comes after seed, since
// Ann's invite there is the owner's request, which would activate them.
func ownerNotYetActive(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	store := dynamo.NewStore(db, table)
	me, err := store.Member(ctx, business, owner)
	if err != nil {
		t.Fatalf("read the owner: %v", err)
	}
	now := time.Now().UTC()
	after := me
	after.Status, after.InvitationSentAt, after.InvitationExpiresAt = team.StatusInvited, now, now.Add(team.DefaultInvitationTTL)
	after.UpdatedAt, after.Version = now, me.Version+1
	if err := store.Apply(ctx, team.Mutation{BusinessID: business, Actor: owner, Before: &me, After: &after, SkipActivity: true,
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: business}}); err != nil {
		t.Fatalf("make the owner invited: %v", err)
	}
}

// branchStep is a request of driveBranches and the status it must get.
type branchStep struct {
	caller, picture, method, path, body string
	status                              int
}

// driveBranches drives the branches of existing routes that their sample
// events do not take, each of which calls another action than the sample
// or reads another way (another index, the items a search or tab names),
// in a world of its own (business acme), recording their actions under
// the route the request takes.
func driveBranches(t *testing.T, db *dynamodb.Client, rec *dynamotest.Actions) {
	const acmeOwner, manager = "owner@acme.test", "max@acme.test"
	store := dynamo.NewStore(db, dynamotest.NewTableWithoutStream(t, db))
	now := time.Now().UTC()
	if err := store.CreateBusiness(context.Background(),
		team.Business{ID: "acme", Name: "Acme", Tabs: allTabs(), CreatedAt: now},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: acmeOwner, Permissions: allTabs(), CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(team.NewService(store, team.SystemClock{}, team.ULIDSource{}, phone.Normalizer{}),
		slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()

	// Which route a request takes, by the route table's own patterns.
	patterns := http.NewServeMux()
	operationOf := map[string]string{}
	for _, r := range httpapi.Routes() {
		pattern := r.Method + " " + r.Path
		patterns.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		operationOf[pattern] = r.Operation
	}
	do := func(t *testing.T, s branchStep) {
		t.Helper()
		req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
		ctx := httpapi.WithCaller(req.Context(), s.caller)
		if s.picture != "" {
			ctx = httpapi.WithCallerPicture(ctx, s.picture)
		}
		req = req.WithContext(ctx)
		_, pattern := patterns.Handler(req)
		rec.Attribute(operationOf[pattern])
		defer rec.Attribute("")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		if w.Code != s.status {
			t.Fatalf("%s %s as %s: status %d (%s), want %d", s.method, s.path, s.caller, w.Code, w.Body, s.status)
		}
	}

	users := "/v1/businesses/acme/users"
	all := `["home","conversations","crm","store","automations","reports","administration","users"]`
	steps := []branchStep{
		// People to act on: Max, a manager of every tab, and Ben (these
		// invites are InviteUser's own requests too).
		{acmeOwner, "", "POST", users, fmt.Sprintf(`{"email":%q,"permissions":%s}`, manager, all), 201},
		{acmeOwner, "", "POST", users, `{"email":"ben@acme.test","permissions":["crm"]}`, 201},
		// Every shape of the list: a page that ends before the users do;
		// a search and a tab read index items and the users they name; a
		// status (ByStatus, or under another sort that sort's index) and
		// the other sorts read the list's indexes.
		{acmeOwner, "", "GET", users + "?limit=2", "", 200},
		{acmeOwner, "", "GET", users + "?q=ben", "", 200},
		{acmeOwner, "", "GET", users + "?tab=crm", "", 200},
		{acmeOwner, "", "GET", users + "?tab=crm&sort=name", "", 200},
		{acmeOwner, "", "GET", users + "?status=active", "", 200},
		{acmeOwner, "", "GET", users + "?status=invited&sort=newest", "", 200},
		{acmeOwner, "", "GET", users + "?sort=name", "", 200},
		// A user reading themselves reads only their own record.
		{acmeOwner, "https://example.com/d.png", "GET", users + "/" + acmeOwner, "", 200},
		// The activity's filters read its indexes.
		{acmeOwner, "https://example.com/e.png", "GET", "/v1/businesses/acme/activity?type=user.added", "", 200},
		{acmeOwner, "", "GET", "/v1/businesses/acme/activity?userId=usr_owner", "", 200},
		// Invites: the default permissions read the business; a
		// duplicate is refused.
		{acmeOwner, "", "POST", users, `{"email":"dan@acme.test"}`, 201},
		{acmeOwner, "", "POST", users, `{"email":"dan@acme.test"}`, 409},
		// Invite several: entries with the default permissions (the
		// business), a duplicate, a phone.
		{acmeOwner, "", "POST", "/v1/businesses/acme/invitations", `{"users":[{"email":"gus@acme.test"},{"email":"dan@acme.test"},{"email":"hal@acme.test","phone":"+1 415 555 0101","permissions":["crm"]}]}`, 200},
		// Contact: an email change (the old item goes, the new address
		// gets a welcome email from the budget).
		{acmeOwner, "https://example.com/h.png", "PATCH", users + "/ben@acme.test", `{"email":"benjamin@acme.test","phone":"+44 20 7946 0958"}`, 200},
		// Ownership asked for by a manager who is not the owner (Max's
		// first request); the owner protected from removal; a resend to
		// an active user.
		{manager, "", "POST", "/v1/businesses/acme/owner", `{"email":"ben@acme.test"}`, 403},
		{manager, "", "DELETE", users + "/" + acmeOwner, "", 422},
		{acmeOwner, "https://example.com/k.png", "POST", users + "/" + manager + "/invitation", "", 409},
		// A hand-over, last, since the owner changes.
		{acmeOwner, "https://example.com/j.png", "POST", "/v1/businesses/acme/owner", fmt.Sprintf(`{"email":%q}`, manager), 200},
	}
	for _, s := range steps {
		do(t, s)
	}
}

// allTabs is every tab of the catalogue.
func allTabs() team.Permissions {
	return team.PermissionsOf(jsonStrings(jsonTabIDs()))
}
