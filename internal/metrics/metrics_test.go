package metrics_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/emf"
	"github.com/businessapp/usermanagement/internal/metrics"
)

func recorder(t *testing.T, out *bytes.Buffer) *metrics.Recorder {
	t.Helper()
	w, err := emf.New(out, metrics.DefaultNamespace, func() time.Time { return time.UnixMilli(1_700_000_000_000) })
	if err != nil {
		t.Fatal(err)
	}
	return metrics.New(w, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// decoded is a document's members other than _aws, and its metric
// definitions (name → unit) and dimension sets.
type decoded struct {
	values     map[string]any
	units      map[string]string
	namespace  string
	dimensions [][]string
}

func decode(t *testing.T, line string) decoded {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	var meta struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	raw, _ := json.Marshal(doc["_aws"])
	if err := json.Unmarshal(raw, &meta); err != nil || len(meta.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws: %v: %s", err, raw)
	}
	delete(doc, "_aws")
	d := decoded{values: doc, units: map[string]string{}, namespace: meta.CloudWatchMetrics[0].Namespace, dimensions: meta.CloudWatchMetrics[0].Dimensions}
	for _, m := range meta.CloudWatchMetrics[0].Metrics {
		d.units[m.Name] = m.Unit
	}
	return d
}

func TestRequest(t *testing.T) {
	for _, c := range []struct {
		name    string
		status  int
		code    string
		latency time.Duration
		want    map[string]any
	}{
		{"success", 201, "", 12500 * time.Microsecond, map[string]any{"Operation": "InviteUser", "Requests": 1.0, "ClientErrors": 0.0, "ServerErrors": 0.0, "Latency": 12.5, "RateLimited": 0.0}},
		{"client error", 412, "precondition_failed", time.Millisecond, map[string]any{"Operation": "InviteUser", "Requests": 1.0, "ClientErrors": 1.0, "ServerErrors": 0.0, "Latency": 1.0, "RateLimited": 0.0}},
		{"rate limited", 429, "rate_limited", time.Millisecond, map[string]any{"Operation": "InviteUser", "Requests": 1.0, "ClientErrors": 1.0, "ServerErrors": 0.0, "Latency": 1.0, "RateLimited": 1.0}},
		{"server error", 503, "unavailable", 5 * time.Second, map[string]any{"Operation": "InviteUser", "Requests": 1.0, "ClientErrors": 0.0, "ServerErrors": 1.0, "Latency": 5000.0, "RateLimited": 0.0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			recorder(t, &out).Request("InviteUser", c.status, c.code, c.latency)
			d := decode(t, strings.TrimSpace(out.String()))
			if d := cmp.Diff(c.want, d.values); d != "" {
				t.Errorf("document (-want +got):\n%s", d)
			}
			if d.namespace != metrics.DefaultNamespace || !cmp.Equal(d.dimensions, [][]string{{"Operation"}}) {
				t.Errorf("namespace %q, dimensions %v", d.namespace, d.dimensions)
			}
			if d.units["Latency"] != "Milliseconds" || d.units["Requests"] != "Count" {
				t.Errorf("units %v", d.units)
			}
		})
	}
}

func TestDelivery(t *testing.T) {
	var out bytes.Buffer
	recorder(t, &out).Delivery(metrics.Batch{EmailsSent: 2, EmailsFailed: 1, EventsSent: 3, EventsRejected: 1,
		EmailLags: []time.Duration{300 * time.Millisecond, 1200 * time.Millisecond}, EventLags: []time.Duration{250 * time.Millisecond}})
	d := decode(t, strings.TrimSpace(out.String()))
	want := map[string]any{"Operation": "DeliverActivity", "EmailsSent": 2.0, "EmailsFailed": 1.0, "EmailsRejected": 0.0,
		"EventsSent": 3.0, "EventsFailed": 0.0, "EventsRejected": 1.0, "EmailDeliveryLag": []any{300.0, 1200.0}, "EventDeliveryLag": 250.0}
	if diff := cmp.Diff(want, d.values); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
	for _, name := range metrics.Names()[5:] {
		if _, ok := d.units[name]; !ok {
			t.Errorf("the document does not define %s", name)
		}
	}
}

// BenchmarkRequest is the cost the metrics add to every API request: one
// EMF document encoded and written.
func BenchmarkRequest(b *testing.B) {
	w, err := emf.New(io.Discard, metrics.DefaultNamespace, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	r := metrics.New(w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ReportAllocs()
	for b.Loop() {
		r.Request("InviteUser", 201, "", 12*time.Millisecond)
	}
}
