package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// runResend is the contract of a resend's per-user limit (SPEC §4: one
// resend per user every team.ResendInterval), which the store checks in
// the transaction that writes the resend, and of the invitation's expiry
// travelling in the activity record to the welcome email (SPEC §5).
func runResend(t *testing.T, newStore func(t *testing.T) Store) {
	// invited stores an invited user whose invitation was sent at sentAt.
	invited := func(t *testing.T, f *fixture, email string, sentAt time.Time) team.User {
		t.Helper()
		u := f.newUser(team.User{Email: email, Status: team.StatusInvited, InvitationSentAt: sentAt,
			InvitationExpiresAt: t0.Add(time.Hour)})
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, After: &u,
			Activity: f.activity(team.ActivityUserAdded, ownerMail, u)}); err != nil {
			t.Fatalf("invite %s: %v", email, err)
		}
		return u
	}
	// resend applies a resend of before at the instant at.
	resend := func(f *fixture, before team.User, at time.Time) (team.User, team.Activity, error) {
		after := before
		after.InvitationSentAt, after.InvitationExpiresAt = at, at.Add(14*24*time.Hour)
		after.UpdatedAt, after.Version = at, before.Version+1
		act := f.activity(team.ActivityInvitationResent, ownerMail, after)
		act.At, act.InvitationExpiresAt = at, after.InvitationExpiresAt
		return after, act, f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail,
			Before: &before, After: &after, LimitResend: true, Activity: act})
	}

	// Sends at a whole second and within one: the stores keep times to the
	// millisecond, and the limit must hold exactly for both.
	for _, sent := range []time.Time{t0.Add(2 * time.Second), t0.Add(2*time.Second + 250*time.Millisecond)} {
		t.Run("a resend is refused until its interval has passed, then allowed; sent at "+sent.Format("15:04:05.000"), func(t *testing.T) {
			f := newFixture(t, newStore(t), "acme")
			u := invited(t, f, "ann@acme.test", sent)
			allowed := team.NextResendAt(sent)
			if gap := allowed.Sub(sent); gap < team.ResendInterval || gap >= team.ResendInterval+time.Second {
				t.Fatalf("NextResendAt is %s after the send, want %s and less than a second more", gap, team.ResendInterval)
			}
			for _, at := range []time.Time{sent, sent.Add(time.Minute), allowed.Add(-time.Millisecond)} {
				_, _, err := resend(f, u, at)
				var soon *team.ResendTooSoonError
				if !errors.As(err, &soon) || !errors.Is(err, team.ErrResendTooSoon) {
					t.Fatalf("resend at %s: error = %v, want *ResendTooSoonError", at.Format(time.StampMilli), err)
				}
				if !soon.RetryAt.Equal(allowed) {
					t.Errorf("resend at %s: RetryAt = %s, want %s", at.Format(time.StampMilli), soon.RetryAt, allowed)
				}
				if diff := cmp.Diff(u, f.mustGet(t, u.Email)); diff != "" {
					t.Errorf("a refused resend changed the user (-before +after):\n%s", diff)
				}
				if got := newest(t, f.store, f.biz.ID, team.ActivityFilter{}); got.Type == team.ActivityInvitationResent {
					t.Errorf("a refused resend recorded %s", got.Type)
				}
			}
			after, act, err := resend(f, u, allowed)
			if err != nil {
				t.Fatalf("resend at %s: %v", allowed.Format(time.StampMilli), err)
			}
			if diff := cmp.Diff(after, f.mustGet(t, u.Email)); diff != "" {
				t.Errorf("stored user after the resend (-want +got):\n%s", diff)
			}
			// The activity carries the new expiry, which the welcome
			// email states.
			got := newest(t, f.store, f.biz.ID, team.ActivityFilter{})
			if got.ID != act.ID || !got.InvitationExpiresAt.Equal(after.InvitationExpiresAt) {
				t.Errorf("newest activity = %s %s expiring %s, want %s expiring %s", got.ID, got.Type, got.InvitationExpiresAt, act.ID, after.InvitationExpiresAt)
			}
			// And the next resend waits for the interval again.
			if _, _, err := resend(f, after, allowed.Add(time.Second)); !errors.Is(err, team.ErrResendTooSoon) {
				t.Errorf("a second resend a second later: error = %v, want ErrResendTooSoon", err)
			}
		})
	}

	t.Run("an invitation without a recorded send can be resent at once", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		u := invited(t, f, "ann@acme.test", time.Time{})
		if _, _, err := resend(f, u, t0.Add(time.Minute)); err != nil {
			t.Errorf("resend: %v", err)
		}
	})

	t.Run("a resend of a revision no longer stored is stale, whenever the last send was", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		u := invited(t, f, "ann@acme.test", t0)
		first, _, err := resend(f, u, team.NextResendAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		// A second resend computed from the first revision, as a
		// concurrent request that read before the first committed.
		if _, _, err := resend(f, u, team.NextResendAt(t0).Add(time.Millisecond)); !errors.Is(err, team.ErrStale) {
			t.Errorf("error = %v, want ErrStale", err)
		}
		if diff := cmp.Diff(first, f.mustGet(t, u.Email)); diff != "" {
			t.Errorf("the stale resend changed the user (-want +got):\n%s", diff)
		}
	})

	t.Run("the invite's activity carries the invitation's expiry", func(t *testing.T) {
		f := newFixture(t, newStore(t), "acme")
		u := f.newUser(team.User{Email: "bo@acme.test", Status: team.StatusInvited, InvitationSentAt: t0,
			InvitationExpiresAt: t0.Add(14*24*time.Hour + 125*time.Millisecond)})
		act := f.activity(team.ActivityUserAdded, ownerMail, u)
		act.InvitationExpiresAt = u.InvitationExpiresAt
		if err := f.store.Apply(f.ctx, team.Mutation{BusinessID: f.biz.ID, Actor: ownerMail, After: &u, Activity: act}); err != nil {
			t.Fatal(err)
		}
		if got := newest(t, f.store, f.biz.ID, team.ActivityFilter{}); !got.InvitationExpiresAt.Equal(u.InvitationExpiresAt) {
			t.Errorf("activity expiry = %s, want %s", got.InvitationExpiresAt, u.InvitationExpiresAt)
		}
	})
}
