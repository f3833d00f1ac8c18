package main

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
)

func TestFlags(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		args []string
		want delivery.BacklogQuery // checked when ok
		ok   bool
	}{
		// By default the range ends where the stream's retries end, so a
		// run cannot race the consumer.
		{[]string{"-business", "acme"}, delivery.BacklogQuery{BusinessID: "acme", Until: now.Add(-6 * time.Hour)}, true},
		{[]string{"-all", "-since", "48h", "-until", "now"}, delivery.BacklogQuery{Since: now.Add(-48 * time.Hour), Until: now}, true},
		// The same instant in another zone: an empty range.
		{[]string{"-all", "-since", "2026-11-28T09:00:00Z", "-until", "2026-11-28T10:00:00+01:00"}, delivery.BacklogQuery{}, false},
		{[]string{"-all", "-since", "2026-11-28T09:00:00Z", "-until", "2026-11-28T11:00:00+01:00"},
			delivery.BacklogQuery{Since: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}, true},
		{[]string{}, delivery.BacklogQuery{}, false},                                        // neither a business nor -all
		{[]string{"-business", "acme", "-all"}, delivery.BacklogQuery{}, false},             // both
		{[]string{"-all", "-since", "yesterday"}, delivery.BacklogQuery{}, false},           // not a time
		{[]string{"-all", "-since", "-5m"}, delivery.BacklogQuery{}, false},                 // a duration in the future
		{[]string{"-all", "extra"}, delivery.BacklogQuery{}, false},                         // stray argument
		{[]string{"-all", "-since", "now", "-until", "1h"}, delivery.BacklogQuery{}, false}, // until before since
	} {
		o, err := parse(tc.args, now, io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("parse(%q) error = %v, want ok=%t", tc.args, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if diff := cmp.Diff(tc.want, o.query, cmp.Comparer(time.Time.Equal)); diff != "" {
			t.Errorf("parse(%q) query (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestUsageErrorsExitTwoBeforeTouchingAWS(t *testing.T) {
	if code := run(t.Context(), []string{"-business", "acme", "-all"}, time.Now(), io.Discard, io.Discard); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
}
