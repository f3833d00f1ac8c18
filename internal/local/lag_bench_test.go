package local_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// BenchmarkDeliveryLag measures commit-to-delivery lag on the local stack:
// from an invite's commit (the user's createdAt, stamped just before the
// transaction) to SES (kumo) accepting its welcome email, through the
// table's stream, the local event source mapping and the consumer. Run it
// with a fixed count of invites:
//
//	make bench-delivery
//
// It reports the p50 and p99 lag in milliseconds and asserts nothing.
func BenchmarkDeliveryLag(b *testing.B) {
	stack := localtest.Start(b, "")
	c := &client{t: b, base: stack.URL}
	c.signIn(local.DemoOwner)
	// One at a time: each invite's email is awaited before the next invite,
	// so the figure is the pipeline's latency. Back to back: invites as fast
	// as one client sends them, so a backlog builds when delivery is slower.
	b.Run("one-at-a-time", func(b *testing.B) { measureLag(b, c, true) })
	b.Run("back-to-back", func(b *testing.B) { measureLag(b, c, false) })
}

func measureLag(b *testing.B, c *client, await bool) {
	run := time.Now().UnixNano()
	committed := map[string]time.Time{}
	var lags []time.Duration
	for i := 0; b.Loop(); i++ {
		email := fmt.Sprintf("lag-%d-%d@example.com", run, i)
		var u struct{ CreatedAt time.Time }
		if resp := c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":%q}`, email), &u); resp.StatusCode != 201 {
			b.Fatalf("invite answered %d", resp.StatusCode)
		}
		committed[email] = u.CreatedAt
		if await {
			lags = append(lags, awaitEmails(b, c, map[string]time.Time{email: u.CreatedAt})...)
		}
	}
	b.StopTimer()
	if !await {
		lags = awaitEmails(b, c, committed)
	}
	slices.Sort(lags)
	pct := func(p float64) float64 {
		return float64(lags[int(p*float64(len(lags)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
}

// awaitEmails waits until every address has its welcome email and returns
// each email's lag after its commit.
func awaitEmails(b *testing.B, c *client, committed map[string]time.Time) []time.Duration {
	var lags []time.Duration
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		lags = lags[:0]
		var all []local.SentEmail
		c.do("GET", "/dev/emails", "", &all)
		for _, e := range all {
			if at, ok := committed[e.To]; ok {
				lags = append(lags, e.SentAt.Sub(at))
			}
		}
		if len(lags) == len(committed) {
			return lags
		}
	}
	b.Fatalf("%d of %d welcome emails arrived", len(lags), len(committed))
	return nil
}
