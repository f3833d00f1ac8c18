package team_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// outcome is what a manager learns of one entry: the code, "" when invited.
func outcomes(results []team.InviteResult) []team.Code {
	out := make([]team.Code, len(results))
	for i, r := range results {
		out[i] = team.ErrorCode(r.Err)
	}
	return out
}

func invitations(emails ...string) []team.Invitation {
	out := make([]team.Invitation, len(emails))
	for i, e := range emails {
		out[i] = team.Invitation{Email: e}
	}
	return out
}

func TestInviteSeveral(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		in     []team.Invitation
		want   []team.Code
	}{
		{name: "each entry on its own, in input order", caller: ownerEmail,
			in: []team.Invitation{
				{Email: "ann@example.com", FirstName: "Ann", Phone: "+1 (415) 555-0123"},
				{Email: memberEmail},
				{Email: "not an address"},
				{Email: "bea@example.com", Permissions: []string{"store"}}, // not enabled for acme
				{Email: "cy@example.com", Permissions: []string{"crm"}},
			},
			want: []team.Code{"", team.CodeUserExists, team.CodeInvalidRequest, team.CodeInvalidRequest, ""}},
		{name: "a repeated email: the earlier entry wins, as if sent one after the other", caller: managerEmail,
			in:   invitations("Ann@Example.com", "dee@example.com", "ann@example.com ", "ann@example.com"),
			want: []team.Code{"", "", team.CodeUserExists, team.CodeUserExists}},
		{name: "the caller's own email", caller: ownerEmail,
			in:   invitations(ownerEmail, "ann@example.com"),
			want: []team.Code{team.CodeUserExists, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			results, err := f.svc.InviteSeveral(f.ctx, tt.caller, acme, tt.in)
			if err != nil {
				t.Fatalf("InviteSeveral: %v", err)
			}
			if d := cmp.Diff(tt.want, outcomes(results)); d != "" {
				t.Errorf("outcomes (-want +got):\n%s", d)
			}
			for i, r := range results {
				if r.Err != nil {
					continue
				}
				stored, ok := f.stored(t, acme, r.User.Email)
				if !ok || stored.ID != r.User.ID || stored.InvitedBy != tt.caller {
					t.Errorf("entry %d: returned %+v, stored %+v (found %t)", i, r.User, stored, ok)
				}
				// No permissions sent: every tab enabled for acme.
				if want := tt.in[i].Permissions; want == nil && !cmp.Equal(stored.Permissions, acmeTabs) {
					t.Errorf("entry %d: default permissions %v, want acme's tabs %v", i, stored.Permissions, acmeTabs)
				}
			}
		})
	}
}

// TestInviteSeveralRefusedWhole: a caller who may not invite, or a list
// that is empty or over the limit, gets one error and nothing is written.
func TestInviteSeveralRefusedWhole(t *testing.T) {
	fifty1 := make([]team.Invitation, team.MaxInvitesPerRequest+1)
	for i := range fifty1 {
		fifty1[i].Email = fmt.Sprintf("p%d@example.com", i)
	}
	for _, tt := range []struct {
		name   string
		caller string
		in     []team.Invitation
		want   team.Code
	}{
		{"a member", memberEmail, invitations("ann@example.com"), team.CodeForbidden},
		{"an outsider", outsiderEmail, invitations("ann@example.com"), team.CodeForbidden},
		{"no entries", ownerEmail, nil, team.CodeInvalidRequest},
		{"51 entries", ownerEmail, fifty1, team.CodeInvalidRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			results, err := f.svc.InviteSeveral(f.ctx, tt.caller, acme, tt.in)
			if got := team.ErrorCode(err); got != tt.want || results != nil {
				t.Errorf("InviteSeveral = %v, %v; want code %s and no results", results, err, tt.want)
			}
			f.checkUnchanged(t, before)
		})
	}
}

// slowStore makes every commit take a while, as a database under load.
type slowStore struct {
	team.Store
	delay time.Duration
}

func (s slowStore) Apply(ctx context.Context, m team.Mutation) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return fmt.Errorf("slow store: %w: %w", team.ErrUnavailable, ctx.Err())
	}
	return s.Store.Apply(ctx, m)
}

// TestInviteSeveralStopsStartingEntriesBeforeTheDeadline: when the
// request's time runs short, the entries not yet started are answered
// "not attempted" and nothing is written for them; those started are
// applied whole.
func TestInviteSeveralStopsStartingEntriesBeforeTheDeadline(t *testing.T) {
	f := newFixture(t)
	svc := team.NewService(slowStore{Store: f.store, delay: 150 * time.Millisecond}, f.clock, f.ids, phone.Normalizer{})
	in := make([]team.Invitation, 20)
	for i := range in {
		in[i].Email = fmt.Sprintf("p%d@example.com", i)
	}
	// 20 entries four at a time, 150 ms each, take 750 ms; the deadline
	// comes first, and no entry is started with less than 250 ms left.
	ctx, cancel := context.WithTimeout(f.ctx, 500*time.Millisecond)
	defer cancel()
	results, err := svc.InviteSeveral(ctx, ownerEmail, acme, in)
	if err != nil {
		t.Fatalf("InviteSeveral: %v", err)
	}
	// Three honest outcomes: invited; not attempted (nothing written); or
	// started in time but still in flight at the deadline (unavailable,
	// its outcome unknown), which a busy machine makes of some entries
	// of the first waves.
	var invited, notAttempted, inFlight int
	for i, r := range results {
		_, stored := f.stored(t, acme, in[i].Email)
		switch {
		case r.Err == nil && stored:
			invited++
		case errors.Is(r.Err, team.ErrNotAttempted) && !stored:
			notAttempted++
			if team.ErrorCode(r.Err) != team.CodeUnavailable {
				t.Errorf("entry %d: not attempted with code %s, want unavailable", i, team.ErrorCode(r.Err))
			}
		case r.Err != nil && !errors.Is(r.Err, team.ErrNotAttempted) && team.ErrorCode(r.Err) == team.CodeUnavailable:
			inFlight++
		default:
			t.Errorf("entry %d: error %v, stored %t: neither invited, nor cleanly not attempted, nor unavailable at the deadline", i, r.Err, stored)
		}
	}
	if notAttempted == 0 || invited+inFlight == 0 {
		t.Errorf("%d invited, %d in flight at the deadline, %d not attempted; want entries started and entries not attempted", invited, inFlight, notAttempted)
	}
}

// TestInviteSeveralCallerLosesAccessMidway: the caller is decided on once
// up front, but each entry's transaction checks them again, as the single
// invite's does: a manager demoted while the entries go out gets forbidden
// on the entries after, and nothing is written for them.
func TestInviteSeveralCallerLosesAccessMidway(t *testing.T) {
	f := newFixture(t)
	svc := team.NewService(f.store, f.clock, f.ids, phone.Normalizer{}, team.WithInviteSeveralWorkers(1))
	demoted := f.seeded[managerEmail]
	demoted.Permissions = team.Permissions{team.TabCRM}
	f.store.beforeNextApply = func() { f.mem.SeedUser(demoted) }
	results, err := svc.InviteSeveral(f.ctx, managerEmail, acme, invitations("ann@example.com", "bea@example.com"))
	if err != nil {
		t.Fatalf("InviteSeveral: %v", err)
	}
	if d := cmp.Diff([]team.Code{team.CodeForbidden, team.CodeForbidden}, outcomes(results)); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	for _, email := range []string{"ann@example.com", "bea@example.com"} {
		if _, ok := f.stored(t, acme, email); ok {
			t.Errorf("%s was written", email)
		}
	}
}
