// Package metrics names the service's own CloudWatch metrics and writes
// them in embedded metric format (internal/emf) to the function's stdout:
// requests, errors and latency per API operation, rate-limit refusals, and
// the stream consumer's emails and events sent and failed and its delivery
// lag. template.yaml's dashboard graphs these names, and a test holds the
// two together.
//
// Every metric has one dimension, Operation: the route table's operation
// for the API, DeliverActivity for the stream consumer. Business and user
// ids are properties of the line, searchable in CloudWatch Logs Insights,
// never dimensions: each distinct dimension value is a metric billed by
// the month.
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/businessapp/usermanagement/internal/emf"
)

// DefaultNamespace is the namespace of the metrics unless the deployment
// names another (METRICS_NAMESPACE, the template's MetricsNamespace).
const DefaultNamespace = "BusinessApp/UserManagement"

// DimOperation is the dimension of every metric.
const DimOperation = "Operation"

// OpDeliverActivity is the Operation of the stream consumer's metrics.
const OpDeliverActivity = "DeliverActivity"

// The API's metrics, one document per request. The error counts are
// written as 0 on a success so that their Average is the error rate.
const (
	Requests     = "Requests"     // Count: every request answered
	ClientErrors = "ClientErrors" // Count: 1 for a 4xx answer
	ServerErrors = "ServerErrors" // Count: 1 for a 5xx answer
	Latency      = "Latency"      // Milliseconds: from the handler's start to its answer
	RateLimited  = "RateLimited"  // Count: 1 for a 429 rate_limited (the email budget, SPEC §4)
)

// The stream consumer's metrics, one document per batch.
const (
	EmailsSent       = "EmailsSent"       // Count: welcome emails SES accepted
	EmailsFailed     = "EmailsFailed"     // Count: sends that failed and will be retried
	EmailsRejected   = "EmailsRejected"   // Count: emails refused for good (recorded, never retried)
	EventsSent       = "EventsSent"       // Count: events EventBridge accepted
	EventsFailed     = "EventsFailed"     // Count: puts that failed and will be retried
	EventsRejected   = "EventsRejected"   // Count: events refused for good
	EmailDeliveryLag = "EmailDeliveryLag" // Milliseconds: from the change's commit to SES accepting its email
	EventDeliveryLag = "EventDeliveryLag" // Milliseconds: from the change's commit to EventBridge accepting its event
)

// CodeRateLimited is the API's error code of a 429 refused for the email
// budget (team.CodeRateLimited; this package does not import the domain).
const CodeRateLimited = "rate_limited"

// Recorder writes the service's metrics. It is safe for concurrent use.
type Recorder struct {
	w   *emf.Writer
	log *slog.Logger
}

// New returns a Recorder writing through w, logging to log the documents
// it could not write (metrics never fail a request).
func New(w *emf.Writer, log *slog.Logger) *Recorder {
	return &Recorder{w: w, log: log}
}

func (r *Recorder) write(operation string, ms []emf.Metric, props map[string]any) {
	if err := r.w.Write([]emf.Dimension{{Name: DimOperation, Value: operation}}, ms, props); err != nil {
		r.log.Warn("metrics not written", slog.String("operation", operation), slog.Any("error", err))
	}
}

// Request records one answered API request: its operation, HTTP status,
// error code ("" on success) and latency.
func (r *Recorder) Request(operation string, status int, code string, latency time.Duration) {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	r.write(operation, []emf.Metric{
		emf.Value(Requests, emf.Count, 1),
		emf.Value(ClientErrors, emf.Count, b(status >= 400 && status < 500)),
		emf.Value(ServerErrors, emf.Count, b(status >= http.StatusInternalServerError)),
		emf.Value(Latency, emf.Milliseconds, millis(latency)),
		emf.Value(RateLimited, emf.Count, b(code == CodeRateLimited)),
	}, nil)
}

// Batch is what the stream consumer did with one batch of records.
type Batch struct {
	EmailsSent, EmailsFailed, EmailsRejected int
	EventsSent, EventsFailed, EventsRejected int
	// EmailLags and EventLags are the delivery lags of the emails and
	// events sent, from the commit of the change to the provider's
	// acceptance.
	EmailLags, EventLags []time.Duration
}

// Delivery records one batch of the stream consumer. Counts are written
// even when 0, so that a quiet period reads as zero rather than as no data.
func (r *Recorder) Delivery(b Batch) {
	r.write(OpDeliverActivity, []emf.Metric{
		emf.Value(EmailsSent, emf.Count, float64(b.EmailsSent)),
		emf.Value(EmailsFailed, emf.Count, float64(b.EmailsFailed)),
		emf.Value(EmailsRejected, emf.Count, float64(b.EmailsRejected)),
		emf.Value(EventsSent, emf.Count, float64(b.EventsSent)),
		emf.Value(EventsFailed, emf.Count, float64(b.EventsFailed)),
		emf.Value(EventsRejected, emf.Count, float64(b.EventsRejected)),
		{Name: EmailDeliveryLag, Unit: emf.Milliseconds, Values: millisAll(b.EmailLags)},
		{Name: EventDeliveryLag, Unit: emf.Milliseconds, Values: millisAll(b.EventLags)},
	}, nil)
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func millisAll(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = millis(d)
	}
	return out
}

// Names returns every metric name the Recorder writes, for the checks that
// the dashboard graphs them.
func Names() []string {
	return []string{Requests, ClientErrors, ServerErrors, Latency, RateLimited,
		EmailsSent, EmailsFailed, EmailsRejected, EventsSent, EventsFailed, EventsRejected, EmailDeliveryLag, EventDeliveryLag}
}
