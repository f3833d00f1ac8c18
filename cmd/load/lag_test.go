package main

import (
	"encoding/json"
	"strings"
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
		// Each lag keeps its commit's time; the lags are sorted, and equal
		// ones stay in the order they were sent.
		email: []lagSample{
			{at(300), 50 * time.Millisecond}, {at(2020), 50 * time.Millisecond},
			{at(3000), 200 * time.Millisecond}, {at(4000), 600 * time.Millisecond},
		},
		event: []lagSample{
			{at(2020), 10 * time.Millisecond}, {at(300), 40 * time.Millisecond},
			{at(1010), 90 * time.Millisecond}, {at(4000), 500 * time.Millisecond},
		},
		commit:          []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 300 * time.Millisecond},
		unmatchedEmails: 1, untimedEvents: 1, uncommittedEvents: 1,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(lagStats{}, lagSample{})); diff != "" {
		t.Errorf("lags (-want +got):\n%s", diff)
	}
}

func TestLagsByQuarterShowWhenInTheLoadTheyArose(t *testing.T) {
	start := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	sample := func(committed float64, lagMS int) lagSample {
		return lagSample{at(committed), time.Duration(lagMS) * time.Millisecond}
	}
	// A 20-second load whose consumer falls behind: sorted by lag, as
	// lags() leaves them.
	ls := lagStats{
		email: []lagSample{sample(1, 100), sample(6, 200), sample(-2, 300), sample(11, 400), sample(17, 900), sample(25, 1500)},
		// No event committed in the third quarter.
		event: []lagSample{sample(2, 100), sample(7, 250), sample(19, 950)},
	}
	got := byQuarter(ls.email, start, 20*time.Second)
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, m := range v {
			d[i] = time.Duration(m) * time.Millisecond
		}
		return d
	}
	// The set-up's commit (before the start) counts in the first quarter,
	// a commit after the end in the last.
	want := [4][]time.Duration{ms(100, 300), ms(200), ms(400), ms(900, 1500)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("byQuarter (-want +got):\n%s", diff)
	}

	var out strings.Builder
	ls.print(&out, start, 20*time.Second)
	for _, line := range []string{
		"    0.0–  5.0 s   emails     2  p50  100.0 ms  p99  300.0 ms   events     1  p50  100.0 ms  p99  100.0 ms",
		"   10.0– 15.0 s   emails     1  p50  400.0 ms  p99  400.0 ms   events     0  (none)                      ",
		"   15.0– 20.0 s   emails     2  p50  900.0 ms  p99 1500.0 ms   events     1  p50  950.0 ms  p99  950.0 ms",
		"  welcome emails       6  p50 300.0 ms  p90 900.0 ms  p99 1500.0 ms  max 1500.0 ms",
	} {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("the report lacks the line\n%s\nin\n%s", line, out.String())
		}
	}
}
