package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLagsMeasureFromTheCommitEachDeliveryAnswers(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ptr := func(t time.Time) *time.Time { return &t }
	event := func(typ, email string, occurred int, accepted *time.Time) deliveredEvent {
		detail, _ := json.Marshal(map[string]any{"eventId": typ + email, "occurredAt": at(occurred), "user": map[string]any{"email": email}})
		return deliveredEvent{DetailType: typ, Detail: detail, AcceptedAt: accepted}
	}
	d := drainResult{
		delivered: []deliveredEvent{
			event("UserAdded", "ann@b.test", 0, ptr(at(40))),
			event("UserRemoved", "ann@b.test", 1000, ptr(at(1100))),
			// Ann is invited again: her second email answers this commit.
			event("UserAdded", "ann@b.test", 2000, ptr(at(2030))),
			// Not timed by the stack: not measured, and said so.
			event("UserAdded", "bo@b.test", 3000, nil),
		},
		sent: []sentEmail{
			{To: "Ann@b.test", SentAt: at(50)},
			{To: "ann@b.test", SentAt: at(2070)},
			{To: "bo@b.test", SentAt: at(3200)},
			// No commit seen for this one.
			{To: "cy@b.test", SentAt: at(10)},
		},
	}
	got := lags(d)
	want := lagStats{
		email:           []time.Duration{50 * time.Millisecond, 70 * time.Millisecond, 200 * time.Millisecond},
		event:           []time.Duration{30 * time.Millisecond, 40 * time.Millisecond, 100 * time.Millisecond},
		unmatchedEmails: 1, untimedEvents: 1,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(lagStats{})); diff != "" {
		t.Errorf("lags (-want +got):\n%s", diff)
	}
}
