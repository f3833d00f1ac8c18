package dynamo_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// I10: with INVITE_RATE = 10, 30 concurrent invites of different people in
// one business send exactly 10 welcome emails: 10 invites succeed, the 20
// others are refused with 429 rate_limited and a Retry-After within the
// hour, and exactly 10 users and 10 user.added records were written. The
// API is wired as the route functions wire it (lambdaenv.NewAPI).
func TestConcurrentInvitesNeverExceedTheEmailBudget(t *testing.T) {
	const rate, invites = 10, 30
	client := dynamotest.Client(t)
	table := dynamotest.NewTableWithoutStream(t, client)
	store := dynamo.NewStore(client, table)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := store.CreateBusiness(ctx, team.Business{ID: "acme", Name: "Acme", Tabs: allTabs, CreatedAt: now},
		team.User{BusinessID: "acme", ID: "usr_owner", Email: "owner@acme.test", Permissions: allTabs, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	api, err := lambdaenv.NewAPI(client, lambdaenv.RouteSettings{TableName: table, InviteRate: rate,
		// DynamoDB Local on a busy machine may take seconds to decide a
		// race of 30 transactions; this test is about the limit, not I11.
		RequestTimeout: time.Minute}, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelError})), phone.Normalizer{})
	if err != nil {
		t.Fatal(err)
	}
	h := api.Mux()
	recs := make([]*httptest.ResponseRecorder, invites)
	var fns []func() error
	for i := range invites {
		fns = append(fns, func() error {
			body := fmt.Sprintf(`{"email":"user%02d@example.com","permissions":["crm"]}`, i)
			req := httptest.NewRequest(http.MethodPost, "/v1/businesses/acme/users", strings.NewReader(body))
			req = req.WithContext(httpapi.WithCaller(req.Context(), "owner@acme.test"))
			recs[i] = httptest.NewRecorder()
			h.ServeHTTP(recs[i], req)
			return nil
		})
	}
	race(fns...)

	statuses := map[int]int{}
	for i, rec := range recs {
		statuses[rec.Code]++
		if rec.Code != http.StatusTooManyRequests {
			continue
		}
		if !strings.Contains(rec.Body.String(), `"rate_limited"`) {
			t.Errorf("invite %d: 429 body %s, want code rate_limited", i, rec.Body)
		}
		// Every slot was used moments ago, so the first frees up about an
		// hour from now: a little less, or a second more when a winner
		// took its time after this request took its own (rounded up).
		secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if err != nil || secs < 3600-120 || secs > 3601 {
			t.Errorf("invite %d: Retry-After = %q, want the seconds until an hour after the oldest send", i, rec.Header().Get("Retry-After"))
		}
	}
	t.Logf("statuses of %d concurrent invites with INVITE_RATE=%d: %v", invites, rate, statuses)
	if statuses[http.StatusCreated] != rate || statuses[http.StatusTooManyRequests] != invites-rate {
		t.Errorf("statuses = %v, want %d × 201 and %d × 429", statuses, rate, invites-rate)
	}
	// Only server errors reach log: every request has its line at info
	// level (SPEC §7).
	if log.Len() != 0 {
		t.Errorf("server errors logged: %s", log.String())
	}
	e := &env{ctx: ctx, store: store}
	if got := len(e.users(t, "acme")) - 1; got != rate {
		t.Errorf("%d users were added, want %d", got, rate)
	}
	added := 0
	cursor := ""
	for {
		page, err := store.Activity(ctx, "acme", team.ActivityFilter{}, team.PageRequest{Limit: team.MaxPageSize, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Activity {
			if a.Type == team.ActivityUserAdded {
				added++
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if added != rate {
		t.Errorf("%d user.added records, want %d (one per welcome email)", added, rate)
	}
}
