package team_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// activate makes a seeded user active with a picture, as their first
// request would have, straight through the store.
func (f *fixture) activate(t *testing.T, email, picture string) team.User {
	t.Helper()
	before := f.seeded[email]
	after := before
	after.Status, after.ActivatedAt, after.ProfileImageURL, after.Version = team.StatusActive, seedTime, picture, before.Version+1
	if err := f.mem.Apply(f.ctx, team.Mutation{BusinessID: acme, Actor: email, Before: &before, After: &after, SkipActivity: true,
		Activity: team.Activity{ID: f.ids.NewID(seedTime), BusinessID: acme}}); err != nil {
		t.Fatalf("activate %s: %v", email, err)
	}
	f.seeded[email] = after
	return after
}

// A manager's change of someone's email sends a welcome email and a notice
// (SPEC §2.5), so it uses one of the business's email budget (I10): with
// the budget spent it is refused with rate_limited and the wait, and
// nothing is written; a change of names alone is not counted.
func TestEmailChangeUsesTheEmailBudget(t *testing.T) {
	f := newFixture(t)
	f.svc = team.NewService(f.store, f.clock, f.ids, phone.Normalizer{}, team.WithEmailBudget(2))
	for _, invitee := range []string{"a@example.com", "b@example.com"} {
		if _, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: invitee}); err != nil {
			t.Fatalf("invite %s: %v", invitee, err)
		}
	}
	before := f.state(t)
	_, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{Email: strPtr("mo@new.example")}, team.AnyVersion)
	var te *team.Error
	if !errors.As(err, &te) || te.Code != team.CodeRateLimited || te.RetryAfter != time.Hour {
		t.Fatalf("email change with the budget spent = %v, want rate_limited with Retry-After 1h", err)
	}
	f.checkUnchanged(t, before)

	if _, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{FirstName: strPtr("Morgan")}, team.AnyVersion); err != nil {
		t.Errorf("a change of names with the budget spent: %v, want it done (it sends no email)", err)
	}

	// An hour after the first invite one slot is free again.
	f.clock.at = changeTime.Add(time.Hour)
	got, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, memberEmail, team.ContactPatch{Email: strPtr("mo@new.example")}, team.AnyVersion)
	if err != nil {
		t.Fatalf("email change after the window: %v", err)
	}
	if got.Email != "mo@new.example" || got.Status != team.StatusInvited {
		t.Errorf("after the change: %s, status %q; want mo@new.example, invited", got.Email, got.Status)
	}
}

// The same person keeps their id and history through a change of email,
// and must sign in at the new address before the new invitation expires.
func TestEmailChangeInvitesAgainAtTheNewAddress(t *testing.T) {
	f := newFixture(t)
	f.activate(t, memberEmail, "https://pics.example/mo.png")
	const renamed = "mo@new.example"
	got, err := f.svc.UpdateContact(f.ctx, managerEmail, acme, memberEmail, team.ContactPatch{Email: strPtr(renamed)}, team.AnyVersion)
	if err != nil {
		t.Fatalf("UpdateContact: %v", err)
	}
	if got.ID != seededID(memberEmail) {
		t.Errorf("id after the email change = %q, want the same person's %q", got.ID, seededID(memberEmail))
	}
	// The new address's first request activates the user.
	self, err := f.svc.GetUser(f.ctx, renamed, acme, renamed)
	if err != nil {
		t.Fatalf("the new address's first request: %v", err)
	}
	if self.Status != team.StatusActive || !self.ActivatedAt.Equal(changeTime) {
		t.Errorf("after the first request: status %q, activatedAt %v; want active at %v", self.Status, self.ActivatedAt, changeTime)
	}

	// Changed again, and never signed in: after the TTL the new address is
	// refused until a manager resends the invitation.
	if _, err := f.svc.UpdateContact(f.ctx, ownerEmail, acme, renamed, team.ContactPatch{Email: strPtr("mo@other.example")}, team.AnyVersion); err != nil {
		t.Fatalf("second change: %v", err)
	}
	f.clock.at = changeTime.Add(team.DefaultInvitationTTL)
	if _, err := f.svc.GetUser(f.ctx, "mo@other.example", acme, "mo@other.example"); team.ErrorCode(err) != team.CodeInvitationExpired {
		t.Errorf("the new address after the TTL: %v, want invitation_expired", err)
	}
	page, err := f.svc.ListActivity(f.ctx, ownerEmail, acme, team.ActivityFilter{UserID: seededID(memberEmail)}, team.PageRequest{Limit: 10})
	if err != nil {
		t.Fatalf("ListActivity: %v", err)
	}
	var types []team.ActivityType
	for _, a := range page.Activity {
		types = append(types, a.Type)
	}
	want := []team.ActivityType{team.ActivityContactChanged, team.ActivityUserActivated, team.ActivityContactChanged, team.ActivityUserAdded}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("the person's history (-want +got):\n%s", diff)
	}
}
