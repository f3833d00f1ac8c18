package webtest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInvitationStatusWording checks the words of the table's status badge
// (web/assets/format.js invitationStatus) at the edges the browser journeys
// cannot reach in a test's time: hours and minutes left, rounding, the
// instant of expiry. It runs the page's own module in Chromium, served
// without the local stack.
func TestInvitationStatusWording(t *testing.T) {
	p := modulePage(t, nil)

	const now = "2026-11-27T10:00:00Z"
	for _, tt := range []struct {
		name      string
		status    string
		expiresAt any // RFC 3339, or nil
		want      any // {"text","expired"}, or nil for no badge
	}{
		{"active", "active", nil, nil},
		{"active with an old expiry", "active", "2026-11-01T10:00:00Z", nil},
		{"invited, expiry unknown", "invited", nil, badge("Invited", false)},
		{"fresh 14-day invitation", "invited", "2026-12-11T10:00:00Z", badge("Invited · expires in 14 days", false)},
		{"a minute short of 14 days rounds to 14", "invited", "2026-12-11T09:59:00Z", badge("Invited · expires in 14 days", false)},
		{"one day", "invited", "2026-11-28T10:00:00Z", badge("Invited · expires in 1 day", false)},
		{"a day and a half rounds to 2", "invited", "2026-11-28T22:00:00Z", badge("Invited · expires in 2 days", false)},
		{"under a day counts hours", "invited", "2026-11-27T15:00:00Z", badge("Invited · expires in 5 hours", false)},
		{"one hour", "invited", "2026-11-27T11:00:00Z", badge("Invited · expires in 1 hour", false)},
		{"under an hour", "invited", "2026-11-27T10:30:00Z", badge("Invited · expires in less than an hour", false)},
		{"at the instant of expiry", "invited", now, badge("Invitation expired", true)},
		{"past", "invited", "2026-11-20T10:00:00Z", badge("Invitation expired", true)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			user, _ := json.Marshal(map[string]any{"email": "ann@example.com", "status": tt.status, "invitationExpiresAt": tt.expiresAt})
			js := `import("/assets/format.js").then(m => JSON.stringify(m.invitationStatus(` + string(user) + `, Date.parse(` + jsq(now) + `))))`
			got := awaitJS(t, p, js)
			var gotV, wantV any
			if err := json.Unmarshal([]byte(got), &gotV); err != nil {
				t.Fatalf("invitationStatus(%s) = %s: %v", user, got, err)
			}
			want, _ := json.Marshal(tt.want)
			_ = json.Unmarshal(want, &wantV)
			if diff := cmp.Diff(wantV, gotV); diff != "" {
				t.Errorf("invitationStatus(%s) (-want +got):\n%s", user, diff)
			}
		})
	}
}

// badge is what invitationStatus returns for a user who gets a badge.
func badge(text string, expired bool) map[string]any {
	return map[string]any{"text": text, "expired": expired}
}
