package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/businessapp/usermanagement/internal/metrics"
)

// Metrics receives what each batch delivered; internal/metrics's Recorder
// writes it as CloudWatch metrics.
type Metrics interface {
	Delivery(metrics.Batch)
}

// outcome is what one delivery did about an activity's email or event.
type outcome string

const (
	outcomeNone     outcome = ""         // nothing to send, or sent by an earlier delivery
	outcomeSent     outcome = "sent"     // accepted by SES or EventBridge
	outcomeFailed   outcome = "failed"   // failed; the record is retried
	outcomeRejected outcome = "rejected" // refused for good; recorded, never retried
)

type batchIDKey struct{}

// WithBatchID returns a context carrying the id of the invocation that
// delivers a batch (Lambda's request id), which every log line of the
// batch names.
func WithBatchID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, batchIDKey{}, id)
}

// withBatchID makes sure the batch has an id: the invocation's, or one
// made up for a batch delivered outside Lambda (the local stack).
func (c *Consumer) withBatchID(ctx context.Context, now time.Time) context.Context {
	if id, _ := ctx.Value(batchIDKey{}).(string); id != "" || c.d.IDs == nil {
		return ctx
	}
	return WithBatchID(ctx, c.d.IDs.NewID(now))
}

// report writes a batch's log lines, one per activity record and one for
// the batch, and its metrics. The lines carry ids and outcomes only: who
// was invited, and at which address, stays in the table (SPEC §7).
func (c *Consumer) report(ctx context.Context, start time.Time, records int, items []*item, retries int) {
	id, _ := ctx.Value(batchIDKey{}).(string)
	var b metrics.Batch
	for _, it := range items {
		attrs := []slog.Attr{
			slog.String("requestId", id),
			slog.String("activityId", it.activity.ID),
			slog.String("businessId", it.activity.BusinessID.String()),
			slog.String("type", string(it.activity.Type)),
			slog.String("sequenceNumber", it.record.ID),
		}
		if it.email != outcomeNone {
			attrs = append(attrs, slog.String("email", string(it.email)))
		}
		if it.event != outcomeNone {
			attrs = append(attrs, slog.String("event", string(it.event)))
		}
		switch it.email {
		case outcomeSent:
			b.EmailsSent++
			b.EmailLags = append(b.EmailLags, it.emailLag)
			attrs = append(attrs, slog.Float64("emailLagMs", millis(it.emailLag)))
		case outcomeFailed:
			b.EmailsFailed++
		case outcomeRejected:
			b.EmailsRejected++
		}
		switch it.event {
		case outcomeSent:
			b.EventsSent++
			b.EventLags = append(b.EventLags, it.eventLag)
			attrs = append(attrs, slog.Float64("eventLagMs", millis(it.eventLag)))
		case outcomeFailed:
			b.EventsFailed++
		case outcomeRejected:
			b.EventsRejected++
		}
		c.d.Log.LogAttrs(ctx, slog.LevelInfo, "activity delivery", attrs...)
	}
	c.d.Log.LogAttrs(ctx, slog.LevelInfo, "delivery batch",
		slog.String("requestId", id),
		slog.String("operation", metrics.OpDeliverActivity),
		slog.Int("records", records),
		slog.Int("retries", retries),
		slog.Int("emailsSent", b.EmailsSent), slog.Int("emailsFailed", b.EmailsFailed), slog.Int("emailsRejected", b.EmailsRejected),
		slog.Int("eventsSent", b.EventsSent), slog.Int("eventsFailed", b.EventsFailed), slog.Int("eventsRejected", b.EventsRejected),
		slog.Float64("latencyMs", millis(c.d.Clock.Now().Sub(start))))
	if c.d.Metrics != nil {
		c.d.Metrics.Delivery(b)
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
