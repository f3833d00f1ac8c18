package dynamo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// overlapGate holds each request until a second one is in flight (or a
// deadline passes), and records whether every request found a partner. Two
// reads that are issued one after the other can never both be held at once,
// so "every request overlapped" proves they were issued concurrently, with
// no timing assumptions beyond a generous deadline.
type overlapGate struct {
	mu      sync.Mutex
	enabled bool
	arrived int
	partner chan struct{}
	alone   int
}

func (g *overlapGate) install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("OverlapGate",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				g.wait()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

func (g *overlapGate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.enabled, g.arrived, g.alone, g.partner = true, 0, 0, make(chan struct{})
}

func (g *overlapGate) disarm() (alone int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.enabled = false
	return g.alone
}

func (g *overlapGate) wait() {
	g.mu.Lock()
	if !g.enabled {
		g.mu.Unlock()
		return
	}
	g.arrived++
	partner := g.partner
	if g.arrived == 2 {
		close(partner)
	}
	g.mu.Unlock()
	select {
	case <-partner:
	case <-time.After(2 * time.Second):
		g.mu.Lock()
		g.alone++
		g.mu.Unlock()
	}
}

// TestRequestsPerOperation pins the DynamoDB cost of every operation: reads
// take at most two requests, issued concurrently; writes take one
// transaction, after reading the caller (every route decides on the caller
// first) and, concurrently, the user being changed where the change must
// be computed from it. Tab validation costs nothing extra: it is a
// condition inside the transaction. A write that sends an email (an
// invite, a manager's change of someone's email) also reads the business's email-budget shards with one Query
// before its transaction (SPEC I10), and uses one of their slots in it. An
// invitee's first request costs one more TransactWriteItems (their
// activation, SPEC §2.3); after it their requests cost what everyone's do.
func TestRequestsPerOperation(t *testing.T) {
	var counter dynamotest.Counter
	gate := &overlapGate{}
	client := dynamotest.Client(t, counter.Install, gate.install)
	store := dynamo.NewStore(client, dynamotest.NewTableWithoutStream(t, client))
	now := time.Now().UTC()
	if err := store.CreateBusiness(context.Background(),
		team.Business{ID: "acme", Name: "Acme", Tabs: allTabs, CreatedAt: now},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: allTabs, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	// ivy's invitation went out an hour ago, so it may be resent.
	sent := now.Add(-time.Hour).Truncate(time.Millisecond)
	ivy := team.User{BusinessID: "acme", ID: "usr_ivy", Email: "ivy@acme.test", Permissions: team.Permissions{team.TabCRM},
		CreatedAt: sent, UpdatedAt: sent, Version: 1, Status: team.StatusInvited, InvitationSentAt: sent, InvitationExpiresAt: now.Add(time.Hour)}
	if err := store.Apply(context.Background(), team.Mutation{BusinessID: "acme", Actor: "owner@acme.test", After: &ivy, SkipActivity: true,
		Activity: team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme"}}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(team.NewService(store, team.SystemClock{}, team.ULIDSource{}, phone.Normalizer{}), slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()

	tests := []struct {
		name, method, path, body string
		caller                   string // "" for the owner
		wantStatus               int
		want                     map[string]int
		concurrent               bool // the requests must overlap
	}{
		// Every request reads its caller with the business's profile in
		// one BatchGetItem (a deleted business's users lose access at
		// once). The business, its owner and its exact total: that read
		// and one Query over the profile and the counter shards, at once.
		{"get business", "GET", "/v1/businesses/acme", "", "", 200, map[string]int{"BatchGetItem": 1, "Query": 1}, true},
		{"list tabs", "GET", "/v1/businesses/acme/tabs", "", "", 200, map[string]int{"BatchGetItem": 1, "Query": 1}, true},
		{"invite with permissions", "POST", "/v1/businesses/acme/users", `{"email":"ann@acme.test","permissions":["crm"]}`, "", 201,
			map[string]int{"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}, false},
		// The default permissions are the business's tabs: its profile is
		// read (one Query with its counters) beside the caller.
		{"invite with default permissions", "POST", "/v1/businesses/acme/users", `{"email":"bob@acme.test"}`, "", 201,
			map[string]int{"BatchGetItem": 1, "Query": 2, "TransactWriteItems": 1}, true},
		// SPEC v3: the list carries the exact total, read (one Query of the
		// profile and counters) beside the caller and the page.
		{"list users", "GET", "/v1/businesses/acme/users?limit=10", "", "", 200, map[string]int{"BatchGetItem": 1, "Query": 2}, true},
		{"get user", "GET", "/v1/businesses/acme/users/ann@acme.test", "", "", 200, map[string]int{"BatchGetItem": 1, "GetItem": 1}, true},
		{"get self", "GET", "/v1/businesses/acme/users/owner@acme.test", "", "", 200, map[string]int{"BatchGetItem": 1}, false},
		{"an invitee's first request activates them", "GET", "/v1/businesses/acme/users/ann@acme.test", "", "ann@acme.test", 200,
			map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}, false},
		{"the activated user's next request", "GET", "/v1/businesses/acme/users/ann@acme.test", "", "ann@acme.test", 200,
			map[string]int{"BatchGetItem": 1}, false},
		{"an invited manager's first write activates them first", "POST", "/v1/businesses/acme/users", `{"email":"cy@acme.test","permissions":["crm"]}`, "bob@acme.test", 201,
			map[string]int{"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 2}, false},
		{"the activated manager's next write", "POST", "/v1/businesses/acme/users", `{"email":"dee@acme.test","permissions":["crm"]}`, "bob@acme.test", 201,
			map[string]int{"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}, false},
		{"set permissions", "PUT", "/v1/businesses/acme/users/ann@acme.test/permissions", `{"permissions":["crm","home"]}`, "", 200,
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}, true},
		{"update contact", "PATCH", "/v1/businesses/acme/users/ann@acme.test", `{"firstName":"Ann"}`, "", 200,
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}, true},
		// A manager's change of someone's email sends a welcome and a
		// notice: it reads the email budget's shards like an invite.
		{"change email", "PATCH", "/v1/businesses/acme/users/ann@acme.test", `{"email":"anne@acme.test"}`, "", 200,
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "Query": 1, "TransactWriteItems": 1}, true},
		{"remove user", "DELETE", "/v1/businesses/acme/users/anne@acme.test", "", "", 204,
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}, true},
		// A resend reads the caller and the invitee at once, then the
		// email budget, and commits one transaction (SPEC §4, I10).
		{"resend an invitation", "POST", "/v1/businesses/acme/users/ivy@acme.test/invitation", "", "", 200,
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "Query": 1, "TransactWriteItems": 1}, false},
		{"list activity", "GET", "/v1/businesses/acme/activity", "", "", 200, map[string]int{"BatchGetItem": 1, "Query": 1}, true},
		// Last: afterwards the caller is no longer the owner. bob holds
		// every tab (the default invite), so he is a manager, and he is
		// active since his first write above.
		{"hand on ownership", "POST", "/v1/businesses/acme/owner", `{"email":"bob@acme.test"}`, "", 200,
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			caller := tt.caller
			if caller == "" {
				caller = "owner@acme.test"
			}
			req = req.WithContext(httpapi.WithCaller(req.Context(), caller))
			rec := httptest.NewRecorder()
			counter.Take()
			if tt.concurrent {
				gate.arm()
			}
			api.ServeHTTP(rec, req)
			alone := gate.disarm()
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", rec.Code, rec.Body, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, counter.Take()); diff != "" {
				t.Errorf("DynamoDB requests (-want +got):\n%s", diff)
			}
			if tt.concurrent && alone > 0 {
				t.Errorf("%d read(s) ran alone: the two reads must be issued concurrently", alone)
			}
		})
	}
}
