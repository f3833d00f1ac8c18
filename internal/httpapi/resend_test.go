package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

// ivy is an invitee of acme whose invitation expired a minute ago, sent
// an hour ago: a resend is allowed at once.
const (
	ivy     = "ivy@example.com"
	ivyID   = "usr_ivy"
	ivyPath = "/v1/businesses/acme/users/ivy@example.com"
)

// seedInvitee stores ivy straight into acme, as the API would have left
// her after an invite an hour ago (the fixed clock cannot invite in the
// past).
func seedInvitee(t testing.TB, s *testStack) {
	t.Helper()
	s.store.SeedUser(team.User{BusinessID: "acme", ID: ivyID, Email: ivy, FirstName: "Ivy",
		Permissions: team.Permissions{team.TabHome}, InvitedBy: acmeOwner,
		CreatedAt: testNow.Add(-time.Hour), UpdatedAt: testNow.Add(-time.Hour), Version: 1,
		Status: team.StatusInvited, InvitationSentAt: testNow.Add(-time.Hour), InvitationExpiresAt: testNow.Add(-time.Minute)})
}

func resend(caller, path, ifMatch string) apiCall {
	return apiCall{caller: caller, method: http.MethodPost, path: path + "/invitation", ifMatch: ifMatch}
}

// A resend gives an expired invitation a new expiry and a new ETag, and
// admits the invitee again; at once again it is refused with the seconds
// left until 5 minutes after the last send, and nothing is written.
func TestResendInvitationRenewsTheInvitation(t *testing.T) {
	s := newTestStack(t)
	seedInvitee(t, s)
	s.mustDo(t, apiCall{caller: ivy, method: http.MethodGet, path: acmeTabsPath}, http.StatusForbidden)

	rec := s.mustDo(t, resend(acmeOwner, ivyPath, tag(ivyID, 1)), http.StatusOK)
	if got := rec.Header().Get("ETag"); got != tag(ivyID, 2) {
		t.Errorf("ETag = %q, want %q", got, tag(ivyID, 2))
	}
	body := decodeBody(t, rec).(map[string]any)
	wantExpiry := testNow.Add(team.DefaultInvitationTTL).Format(time.RFC3339)
	if body["invitationExpiresAt"] != wantExpiry || body["status"] != "invited" || body["version"] != 2.0 || body["updatedAt"] != testNowJSON {
		t.Errorf("resent user = %v, want invited, expiring %s, version 2, updated now", body, wantExpiry)
	}

	before, _ := s.store.User(context.Background(), "acme", ivy)
	rec = s.mustDo(t, resend(acmeOwner, ivyPath, ""), http.StatusTooManyRequests)
	if got := rec.Header().Get("Retry-After"); got != strconv.Itoa(int(team.ResendInterval/time.Second)) {
		t.Errorf("Retry-After = %q, want the 300 seconds until the next resend", got)
	}
	if after, _ := s.store.User(context.Background(), "acme", ivy); after.Version != before.Version {
		t.Errorf("the refused resend changed the user to version %d", after.Version)
	}

	// The invitation admits ivy again: her first request activates her,
	// and from then on there is nothing to resend.
	s.mustDo(t, apiCall{caller: ivy, method: http.MethodGet, path: acmeTabsPath}, http.StatusOK)
	rec = s.mustDo(t, resend(acmeOwner, ivyPath, ""), http.StatusConflict)
	assertJSON(t, rec, http.StatusConflict, map[string]any{"error": map[string]any{"code": "already_active",
		"message": ivy + " is already active in this business: there is no invitation to resend."}})
}
