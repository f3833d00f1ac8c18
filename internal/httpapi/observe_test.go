package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// notingService reads the caller's user (as team.Service does, through a
// store the composition root wraps) and then answers with err.
type notingService struct {
	failingService
	caller team.User
}

func (s notingService) ListTabs(ctx context.Context, caller string, _ team.BusinessID) ([]team.Tab, error) {
	httpapi.NoteUser(ctx, team.User{ID: "usr_someoneelse", Email: "someone@else.test"})
	if caller == s.caller.Email {
		httpapi.NoteUser(ctx, s.caller)
	}
	return nil, s.err
}

type recordedRequest struct {
	Operation string
	Status    int
	Code      string
	Latency   time.Duration
}

type fakeMetrics struct{ got []recordedRequest }

func (m *fakeMetrics) Request(operation string, status int, code string, latency time.Duration) {
	m.got = append(m.got, recordedRequest{operation, status, code, latency})
}

// steppingClock advances by step at every reading.
func steppingClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

// TestOneLinePerRequest checks SPEC §7's request log line: exactly one per
// request, with the request id (the gateway's, or one made up), the
// operation, the business id, the status, the latency and the caller's user
// id, and no email address; a server error's line is at error level with
// its cause. The metrics see the same request.
func TestOneLinePerRequest(t *testing.T) {
	const caller = "olive@acme.test"
	cases := []struct {
		name      string
		err       error
		requestID string // set by the gateway; "" for one made up
		path      string
		want      map[string]any
		metric    recordedRequest
	}{
		{
			name: "success", requestID: "gw-123", path: "/v1/businesses/acme/tabs",
			want: map[string]any{"level": "INFO", "msg": "request", "requestId": "gw-123", "operation": "ListTabs",
				"businessId": "acme", "status": 200.0, "latencyMs": 25.0, "userId": "usr_olive"},
			metric: recordedRequest{"ListTabs", 200, "", 25 * time.Millisecond},
		},
		{
			name: "client error", err: team.Errorf(team.CodeRateLimited, "slow down"), path: "/v1/businesses/acme/tabs",
			want: map[string]any{"level": "INFO", "msg": "request", "requestId": "made-up-1", "operation": "ListTabs",
				"businessId": "acme", "status": 429.0, "latencyMs": 25.0, "userId": "usr_olive", "code": "rate_limited"},
			metric: recordedRequest{"ListTabs", 429, "rate_limited", 25 * time.Millisecond},
		},
		{
			name: "server error", err: errors.New("dynamo: read olive@acme.test: connection reset"), path: "/v1/businesses/acme/tabs",
			want: map[string]any{"level": "ERROR", "msg": "request", "requestId": "made-up-1", "operation": "ListTabs",
				"businessId": "acme", "status": 500.0, "latencyMs": 25.0, "userId": "usr_olive", "code": "internal",
				"error": "dynamo: read olive@acme.test: connection reset"},
			metric: recordedRequest{"ListTabs", 500, "internal", 25 * time.Millisecond},
		},
		{
			// A malformed business id is the client's text: not logged.
			// The request is refused before the service reads the caller,
			// so no user id either.
			name: "malformed business id", path: "/v1/businesses/olive@acme.test/tabs",
			err: team.Errorf(team.CodeInvalidRequest, "bad id"),
			want: map[string]any{"level": "INFO", "msg": "request", "requestId": "made-up-1", "operation": "ListTabs",
				"status": 400.0, "latencyMs": 25.0, "code": "invalid_request"},
			metric: recordedRequest{"ListTabs", 400, "invalid_request", 25 * time.Millisecond},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A plain JSON handler: what the API hands its logger. The
			// deployed logger (internal/logging) also redacts the
			// server error's address.
			var log bytes.Buffer
			m := &fakeMetrics{}
			ids := 0
			svc := notingService{failingService: failingService{c.err}, caller: team.User{ID: "usr_olive", Email: caller}}
			h := httpapi.New(svc, slog.New(slog.NewJSONHandler(&log, nil)), httpapi.WithMetrics(m),
				httpapi.Clock(steppingClock(25*time.Millisecond)),
				httpapi.RequestIDs(func() string { ids++; return "made-up-" + string(rune('0'+ids)) })).Mux()
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			ctx := httpapi.WithCaller(req.Context(), caller)
			if c.requestID != "" {
				ctx = httpapi.WithRequestID(ctx, c.requestID)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req.WithContext(ctx))

			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want 1:\n%s", len(lines), log.String())
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("log line (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]recordedRequest{c.metric}, m.got); d != "" {
				t.Errorf("metrics (-want +got):\n%s", d)
			}
		})
	}
}

// TestNoteUserOutsideARequest checks that noting a user read outside a
// request (the stream consumer's reads go through the same store) is
// harmless.
func TestNoteUserOutsideARequest(t *testing.T) {
	httpapi.NoteUser(context.Background(), team.User{ID: "usr_1", Email: "a@b.test"})
}
