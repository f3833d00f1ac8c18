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
	event := func(typ, email string, occurred int, committed, accepted *time.Time) deliveredEvent {
		detail, _ := json.Marshal(map[string]any{"eventId": typ + email, "occurredAt": at(occurred), "user": map[string]any{"email": email}})
		return deliveredEvent{DetailType: typ, Detail: detail, CommittedAt: committed, AcceptedAt: accepted}
	}
	d := drainResult{
		delivered: []deliveredEvent{
			// The transaction answered 300 ms after occurredAt: the lags
			// count from there.
			event("UserAdded", "ann@b.test", 0, ptr(at(300)), ptr(at(340))),
			event("UserRemoved", "ann@b.test", 1000, ptr(at(1010)), ptr(at(1100))),
			// Ann is invited again: her second email answers this commit.
			event("UserAdded", "ann@b.test", 2000, ptr(at(2020)), ptr(at(2030))),
			// Not timed by the stack: not measured, and said so.
			event("UserAdded", "bo@b.test", 3000, ptr(at(3000)), nil),
			// A commit the stack did not see (another process wrote it):
			// measured from occurredAt, and counted.
			event("UserAdded", "di@b.test", 4000, nil, ptr(at(4500))),
		},
		sent: []sentEmail{
			{To: "Ann@b.test", SentAt: at(350)},
			{To: "ann@b.test", SentAt: at(2070)},
			{To: "bo@b.test", SentAt: at(3200)},
			{To: "di@b.test", SentAt: at(4600)},
			// No commit seen for this one.
			{To: "cy@b.test", SentAt: at(10)},
		},
	}
	got := lags(d)
	want := lagStats{
		email:           []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond, 600 * time.Millisecond},
		event:           []time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 90 * time.Millisecond, 500 * time.Millisecond},
		commit:          []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 300 * time.Millisecond},
		unmatchedEmails: 1, untimedEvents: 1, uncommittedEvents: 1,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(lagStats{})); diff != "" {
		t.Errorf("lags (-want +got):\n%s", diff)
	}
}
