package team_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// The invitees the resend tests seed into acme: one whose invitation is
// still valid, one whose invitation expired, and one invited before the
// send was recorded.
const (
	pendingEmail = "pending@example.com"
	expiredEmail = "expired@example.com"
	legacyEmail  = "legacy@example.com"
)

// seedInvitees adds the invitees, their invitations sent sentAgo before the
// test's clock.
func (f *fixture) seedInvitees(t *testing.T, sentAgo time.Duration) {
	t.Helper()
	sent := changeTime.Add(-sentAgo)
	f.seed(t, team.User{Email: pendingEmail, FirstName: "Pat", Permissions: team.Permissions{team.TabCRM},
		Status: team.StatusInvited, InvitationSentAt: sent, InvitationExpiresAt: changeTime.Add(24 * time.Hour)})
	f.seed(t, team.User{Email: expiredEmail, Permissions: team.Permissions{team.TabHome},
		Status: team.StatusInvited, InvitationSentAt: sent, InvitationExpiresAt: changeTime.Add(-time.Hour)})
	f.seed(t, team.User{Email: legacyEmail, Permissions: team.Permissions{team.TabHome},
		Status: team.StatusInvited})
}

func TestResendInvitation(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		email  string
		pre    func(team.User) team.Precondition
	}{
		{name: "a pending invitation gets a new expiry", caller: ownerEmail, email: pendingEmail},
		{name: "an expired invitation can be resent, which is the point", caller: ownerEmail, email: expiredEmail},
		{name: "an invitation whose send was never recorded", caller: ownerEmail, email: legacyEmail},
		{name: "any manager may resend", caller: managerEmail, email: pendingEmail},
		{name: "the path's email is normalised", caller: ownerEmail, email: " Pending@Example.COM "},
		{name: "If-Match of the current revision", caller: ownerEmail, email: pendingEmail,
			pre: func(u team.User) team.Precondition { return team.OnlyRevisions(team.RevisionOf(u)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.seedInvitees(t, team.ResendInterval+time.Second)
			email, _ := team.NormalizeEmail(tt.email)
			before := f.seeded[email]
			pre := team.AnyVersion
			if tt.pre != nil {
				pre = tt.pre(before)
			}
			logLength := len(f.activity(t))
			applied := f.mem.AppliedCount()

			got, err := f.svc.ResendInvitation(f.ctx, tt.caller, acme, tt.email, pre)
			if err != nil {
				t.Fatalf("ResendInvitation: %v", err)
			}
			want := before
			want.InvitationSentAt, want.InvitationExpiresAt = changeTime, changeTime.Add(team.DefaultInvitationTTL)
			want.UpdatedAt, want.Version = changeTime, before.Version+1
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("returned user (-want +got):\n%s", diff)
			}
			if stored, _ := f.stored(t, acme, email); !cmp.Equal(want, stored, cmpopts.EquateEmpty()) {
				t.Errorf("stored user = %+v, want %+v", stored, want)
			}
			if n := f.mem.AppliedCount() - applied; n != 1 {
				t.Errorf("the resend committed %d mutations, want 1", n)
			}
			// The activity sends the welcome email, which states the new
			// expiry (SPEC §5).
			f.checkOneActivity(t, logLength, team.Activity{
				BusinessID: acme, Type: team.ActivityInvitationResent, Actor: tt.caller, ActorID: seededID(tt.caller),
				Target: personOf(want), At: changeTime, InvitationExpiresAt: want.InvitationExpiresAt,
			})
			// The invitee is admitted again: their first request activates them.
			if _, err := f.svc.GetUser(f.ctx, email, acme, email); err != nil {
				t.Errorf("the invitee's first request after the resend: %v", err)
			}
		})
	}
}

func TestResendInvitationRefused(t *testing.T) {
	tests := []struct {
		name    string
		caller  string
		email   string
		sentAgo time.Duration      // of the seeded invitations; ResendInterval + 1s unless set
		budget  int                // the business's email budget; the default unless set
		pre     *team.Precondition // AnyVersion unless set
		want    wantErr
		// retryAfter is the wait a rate_limited answer must name.
		retryAfter time.Duration
	}{
		{name: "a malformed email", caller: ownerEmail, email: "not-an-email",
			want: wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}}},
		{name: "a member", caller: memberEmail, email: pendingEmail,
			want: wantErr{code: team.CodeForbidden, mention: "User Management"}},
		{name: "a member asking about nobody is told the same", caller: memberEmail, email: missingEmail,
			want: wantErr{code: team.CodeForbidden, mention: "User Management", conceal: missingEmail}},
		{name: "an outsider", caller: outsiderEmail, email: pendingEmail,
			want: wantErr{code: team.CodeForbidden, mention: "access", conceal: pendingEmail}},
		{name: "nobody", caller: ownerEmail, email: missingEmail,
			want: wantErr{code: team.CodeNotFound, mention: missingEmail}},
		{name: "an active user", caller: ownerEmail, email: memberEmail,
			want: wantErr{code: team.CodeAlreadyActive, mention: memberEmail}},
		{name: "oneself", caller: managerEmail, email: managerEmail,
			want: wantErr{code: team.CodeAlreadyActive, mention: managerEmail}},
		{name: "If-Match of an old version", caller: ownerEmail, email: pendingEmail,
			pre:  ptr(team.OnlyRevisions(team.Revision{ID: seededID(pendingEmail), Version: 7})),
			want: wantErr{code: team.CodePreconditionFailed, mention: "version 1"}},
		{name: "If-Match of another person at the address", caller: ownerEmail, email: pendingEmail,
			pre:  ptr(team.OnlyRevisions(team.Revision{ID: "usr_someone_else", Version: 1})),
			want: wantErr{code: team.CodePreconditionFailed, mention: "reload"}},
		// Sent at changeTime - 4m59.5s: allowed from changeTime + 0.5s,
		// rounded up to whole seconds, and from its whole second on.
		{name: "within five minutes of the last send", caller: ownerEmail, email: pendingEmail,
			sentAgo: team.ResendInterval - 500*time.Millisecond,
			want:    wantErr{code: team.CodeRateLimited, mention: "5m0s"}, retryAfter: time.Second},
		{name: "an expired invitation sent a minute ago", caller: ownerEmail, email: expiredEmail,
			sentAgo: time.Minute,
			want:    wantErr{code: team.CodeRateLimited, mention: "retry in 4m0s"}, retryAfter: 4 * time.Minute},
		{name: "the business's email budget is spent", caller: ownerEmail, email: pendingEmail, budget: 1,
			want: wantErr{code: team.CodeRateLimited, mention: "one hour"}, retryAfter: time.Hour - time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			sentAgo := tt.sentAgo
			if sentAgo == 0 {
				sentAgo = team.ResendInterval + time.Second
			}
			f.seedInvitees(t, sentAgo)
			if tt.budget > 0 {
				f.svc = team.NewService(f.store, f.clock, f.ids, phone.Normalizer{}, team.WithEmailBudget(tt.budget))
				// A minute ago, the hour's one email went to an invitee.
				f.clock.at = changeTime.Add(-time.Minute)
				if _, err := f.svc.InviteUser(f.ctx, ownerEmail, acme, team.Invitation{Email: "first@example.com"}); err != nil {
					t.Fatal(err)
				}
				f.clock.at = changeTime
			}
			pre := team.AnyVersion
			if tt.pre != nil {
				pre = *tt.pre
			}
			before := f.state(t)
			_, err := f.svc.ResendInvitation(f.ctx, tt.caller, acme, tt.email, pre)
			checkRefusal(t, err, tt.want)
			f.checkUnchanged(t, before)
			if tt.want.code == team.CodeRateLimited {
				var e *team.Error
				if !errors.As(err, &e) || e.RetryAfter != tt.retryAfter {
					t.Errorf("RetryAfter = %v, want %s", e, tt.retryAfter)
				}
			}
		})
	}
}

// Resends of one user at the same moment: the per-user limit is checked by
// the store in the transaction that writes the resend, so exactly one
// commits and the others are told to wait the interval.
func TestConcurrentResendsOfOneUserCommitOnce(t *testing.T) {
	f := newFixture(t)
	f.seedInvitees(t, time.Hour)
	before := f.seeded[pendingEmail]
	// Another manager's resend commits between this request's read and
	// its write.
	f.store.beforeNextApply = func() {
		if _, err := f.svc.ResendInvitation(f.ctx, managerEmail, acme, pendingEmail, team.AnyVersion); err != nil {
			t.Errorf("the concurrent resend: %v", err)
		}
	}
	logLength := len(f.activity(t))
	_, err := f.svc.ResendInvitation(f.ctx, ownerEmail, acme, pendingEmail, team.OnlyRevisions(team.RevisionOf(before)))
	checkRefusal(t, err, wantErr{code: team.CodePreconditionFailed, mention: "reload"})
	f.store.beforeNextApply = func() {
		if _, err := f.svc.ResendInvitation(f.ctx, managerEmail, acme, expiredEmail, team.AnyVersion); err != nil {
			t.Errorf("the concurrent resend: %v", err)
		}
	}
	_, err = f.svc.ResendInvitation(f.ctx, ownerEmail, acme, expiredEmail, team.AnyVersion)
	checkRefusal(t, err, wantErr{code: team.CodeRateLimited, mention: "retry in 5m0s"})
	if n := len(f.activity(t)) - logLength; n != 2 {
		t.Errorf("%d activity records, want the two winners' user.invitation_resent", n)
	}
}

func ptr[T any](v T) *T { return &v }
