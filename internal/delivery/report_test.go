package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/metrics"
	"github.com/businessapp/usermanagement/internal/team"
)

// steppingClock advances a second at every reading, so that every lag is
// measured after the commit at t0.
type steppingClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(time.Second)
	return c.at
}

type fakeMetrics struct{ got []metrics.Batch }

func (m *fakeMetrics) Delivery(b metrics.Batch) { m.got = append(m.got, b) }

type ids struct{}

func (ids) NewID(time.Time) string { return "batch-1" }

// TestBatchIsReported checks what a batch leaves behind for an operator:
// one log line per activity record and one for the batch, all naming the
// batch's id, with outcomes and ids but no email address, and metrics with
// the counts of emails and events sent, failed and refused, and the lag of
// each from its commit.
func TestBatchIsReported(t *testing.T) {
	var log bytes.Buffer
	m := &fakeMetrics{}
	pub := &publisher{fail: func(_ int, ev delivery.Event) error {
		switch ev.Detail.EventID {
		case "a3":
			return errors.New("throttled")
		case "a4":
			return delivery.ErrPermanent
		}
		return nil
	}}
	c := delivery.New("https://app.example.test/", delivery.Deps{
		Ledger: newLedger(), Directory: directory{}, Mailer: &mailer{script: []error{nil, errors.New("SES is down")}}, Publisher: pub,
		Clock: &steppingClock{at: t0}, Log: slog.New(slog.NewJSONHandler(&log, nil)), Metrics: m, IDs: ids{},
	})
	b := newBatch().
		add(activity("a1", team.ActivityUserAdded, "ann@acme.test")).
		add(activity("a2", team.ActivityUserAdded, "bea@acme.test")).
		add(activity("a3", team.ActivityContactChanged, "ann@acme.test")).
		add(activity("a4", team.ActivityUserRemoved, "ann@acme.test"))
	retry := c.Deliver(context.Background(), b.records)
	if len(retry) != 2 {
		t.Fatalf("retry = %v, want the failed email's and the failed event's records", retry)
	}

	if len(m.got) != 1 {
		t.Fatalf("%d metric reports, want 1 per batch", len(m.got))
	}
	got := m.got[0]
	// The two emails go out concurrently, so which of a1 and a2 met the
	// scripted failure is not fixed; their counts are.
	if got.EmailsSent != 1 || got.EmailsFailed != 1 || got.EmailsRejected != 0 {
		t.Errorf("emails sent/failed/rejected = %d/%d/%d, want 1/1/0", got.EmailsSent, got.EmailsFailed, got.EmailsRejected)
	}
	// a2's event is not put while its email is to be retried; a1's is, and
	// a3 fails, a4 is refused for good.
	if got.EventsSent != 1 || got.EventsFailed != 1 || got.EventsRejected != 1 {
		t.Errorf("events sent/failed/rejected = %d/%d/%d, want 1/1/1", got.EventsSent, got.EventsFailed, got.EventsRejected)
	}
	if len(got.EmailLags) != 1 || got.EmailLags[0] <= 0 || len(got.EventLags) != 1 || got.EventLags[0] <= 0 {
		t.Errorf("lags: emails %v, events %v; want one positive lag each", got.EmailLags, got.EventLags)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if v["level"] == "INFO" {
			lines = append(lines, v)
		}
	}
	byActivity := map[string]map[string]any{}
	var batchLine map[string]any
	for _, l := range lines {
		if l["requestId"] != "batch-1" {
			t.Errorf("line without the batch's id: %v", l)
		}
		switch l["msg"] {
		case "activity delivery":
			byActivity[l["activityId"].(string)] = l
		case "delivery batch":
			batchLine = l
		}
	}
	if len(byActivity) != 4 {
		t.Errorf("activity lines for %d records, want 4: %v", len(byActivity), lines)
	}
	if l := byActivity["a4"]; l["event"] != "rejected" || l["businessId"] != "acme" || l["type"] != string(team.ActivityUserRemoved) {
		t.Errorf("a4's line = %v, want its event rejected, with its business and type", l)
	}
	if l := byActivity["a3"]; l["event"] != "failed" {
		t.Errorf("a3's line = %v, want its event failed", l)
	}
	wantBatch := map[string]any{"records": 4.0, "retries": 2.0, "emailsSent": 1.0, "emailsFailed": 1.0, "emailsRejected": 0.0,
		"eventsSent": 1.0, "eventsFailed": 1.0, "eventsRejected": 1.0, "operation": "DeliverActivity"}
	for k, v := range wantBatch {
		if !cmp.Equal(batchLine[k], v) {
			t.Errorf("batch line %s = %v, want %v (line %v)", k, batchLine[k], v, batchLine)
		}
	}
	for _, l := range lines {
		raw, _ := json.Marshal(l)
		if strings.Contains(string(raw), "@") {
			t.Errorf("an info line holds an address: %s", raw)
		}
	}
}

// TestBatchKeepsLambdasID checks that a batch Lambda delivers is logged
// under the invocation's id (streamlambda puts it in the context), not a
// made-up one.
func TestBatchKeepsLambdasID(t *testing.T) {
	var log bytes.Buffer
	c := delivery.New("https://app.example.test/", delivery.Deps{
		Ledger: newLedger(), Directory: directory{}, Mailer: &mailer{}, Publisher: &publisher{},
		Clock: fixedClock{}, Log: slog.New(slog.NewJSONHandler(&log, nil)), IDs: ids{},
	})
	c.Deliver(delivery.WithBatchID(context.Background(), "lambda-req-7"), newBatch().add(activity("a1", team.ActivityUserRemoved, "ann@acme.test")).records)
	if !strings.Contains(log.String(), `"requestId":"lambda-req-7"`) || strings.Contains(log.String(), "batch-1") {
		t.Errorf("lines do not carry Lambda's request id:\n%s", log.String())
	}
}
