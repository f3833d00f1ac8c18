package main

import "testing"

// The counts of a run are exact for a user every request to whom was
// answered, and for a user with unanswered requests they may be higher by
// at most one per such request, since each may or may not have been
// applied; never lower.
func TestCompareCountsAllowsOneMorePerUnansweredRequest(t *testing.T) {
	tests := []struct {
		name   string
		want   int
		got    int
		unsure int
		ok     bool
	}{
		{name: "answered, exact", want: 1, got: 1, ok: true},
		{name: "answered, one more", want: 1, got: 2, ok: false},
		{name: "answered, one fewer", want: 2, got: 1, ok: false},
		{name: "one unanswered, applied", want: 1, got: 2, unsure: 1, ok: true},
		{name: "one unanswered, not applied", want: 1, got: 1, unsure: 1, ok: true},
		{name: "one unanswered, two more", want: 1, got: 3, unsure: 1, ok: false},
		{name: "two unanswered, both applied", want: 1, got: 3, unsure: 2, ok: true},
		{name: "two unanswered, three more", want: 1, got: 4, unsure: 2, ok: false},
		{name: "unanswered, fewer than answered", want: 2, got: 1, unsure: 2, ok: false},
		{name: "never answered, applied once", want: 0, got: 1, unsure: 1, ok: true},
		{name: "never answered, applied twice", want: 0, got: 2, unsure: 1, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, got, unsure := map[string]int{}, map[string]int{}, map[string]int{}
			if tt.want > 0 {
				want["ann@example.com"] = tt.want
			}
			if tt.got > 0 {
				got["ann@example.com"] = tt.got
			}
			if tt.unsure > 0 {
				unsure["ann@example.com"] = tt.unsure
			}
			if ok, detail := compareCounts(want, got, unsure, "invites", "emails"); ok != tt.ok {
				t.Errorf("compareCounts = %v (%s), want %v", ok, detail, tt.ok)
			}
		})
	}
}
