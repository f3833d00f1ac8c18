package team

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MaxInvitesPerRequest is how many invitations one InviteSeveral call may
// carry (SPEC §4 "Invite several").
const MaxInvitesPerRequest = 50

// DefaultInviteSeveralWorkers is how many entries of one InviteSeveral
// call are applied at a time unless WithInviteSeveralWorkers says
// otherwise. One invite is a few requests to DynamoDB one after the other
// (the caller, the business for default tabs, the budget shards, the
// transaction): in AWS each waits on the network, so fifty one after the
// other spend most of the request's 5-second deadline waiting, and a few at
// a time divide that wait. Four keep one caller's batch from crowding out
// the business's other requests. Concurrent invites do not contend: the
// email budget spreads them over its shards and the user count over its
// shards (internal/dynamo/rate.go). BenchmarkInviteSeveral50
// (internal/dynamo) times a full request on DynamoDB Local: on a shared
// 2-core machine (load average 12–14), fifty entries took 1.5–3.0 s one at
// a time, 1.1–1.5 s two at a time, 1.1–2.0 s four at a time and 2.1–2.9 s
// eight at a time. DynamoDB Local there is bound by the CPU, not the
// network, so it shows the cost of more at a time rather than the gain.
const DefaultInviteSeveralWorkers = 4

// WithInviteSeveralWorkers sets how many entries of one InviteSeveral call
// are applied at a time (1: one after the other); values below 1 keep
// DefaultInviteSeveralWorkers. The benchmark compares them.
func WithInviteSeveralWorkers(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.inviteWorkers = n
		}
	}
}

// inviteStartMargin is how much time must be left before the request's
// deadline for InviteSeveral to start another entry. An entry started
// closer to the deadline would likely end with an unknown outcome (the
// write whole or absent); not starting it tells the client for sure that
// nothing was written for it.
const inviteStartMargin = 250 * time.Millisecond

// ErrNotAttempted is the error of an InviteSeveral entry that was never
// tried because the request ran out of time first: nothing was written for
// it, and sending it again is safe. Its code is unavailable, the answer a
// single invite gets when the database does not answer in time, and its
// message says it was not attempted.
var ErrNotAttempted error = &Error{Code: CodeUnavailable, Err: ErrUnavailable,
	Message: "Not attempted: the request ran out of time before this invitation; nothing was written for it, so send it again."}

// InviteResult is the outcome of one entry of InviteSeveral: the user
// invited, or the error the single InviteUser would have returned.
type InviteResult struct {
	User User
	Err  error
}

// InviteSeveral invites each of the people in, as InviteUser would invite
// each on its own: its own transaction, its own welcome email, one of the
// business's email budget, and its own answer, so that one duplicate or
// invalid entry does not sink the rest (SPEC §4 "Invite several"). The
// results are in input order. An entry whose email repeats an earlier
// entry's is applied after that one, so the earlier one wins as it would
// if the two were sent one after the other.
//
// Errors of the whole call (nothing written): invalid_request (no entries,
// or more than MaxInvitesPerRequest), forbidden and invitation_expired
// (the caller may not invite), and the store's errors reading the caller.
// Errors of an entry: those of InviteUser, and unavailable wrapping
// ErrNotAttempted for an entry not started because the request's deadline
// was near.
func (s *Service) InviteSeveral(ctx context.Context, caller string, businessID BusinessID, in []Invitation) ([]InviteResult, error) {
	if len(in) == 0 || len(in) > MaxInvitesPerRequest {
		return nil, InvalidField("users", fmt.Sprintf("Send from 1 to %d invitations at a time; this request has %d.", MaxInvitesPerRequest, len(in)))
	}
	// The caller is decided on once, before any entry: a caller who may
	// not invite gets one answer, not fifty. Each entry's transaction
	// checks the caller's permission again at commit, as the single
	// invite's does, so a caller who loses it midway gets forbidden on
	// the entries after.
	defaults := false // whether some entry grants every enabled tab
	for _, inv := range in {
		defaults = defaults || inv.Permissions == nil
	}
	read, meErr, biz, bizErr := readPair(ctx, s, businessID, caller, func(ctx context.Context) (Business, error) {
		if !defaults {
			return Business{}, nil
		}
		return s.store.Business(ctx, businessID)
	})
	me, err := s.authorize(ctx, businessID, read, meErr, true)
	if err != nil {
		return nil, err
	}
	// What was read here serves every entry's first attempt; an entry
	// whose default tabs could not be read reads them itself.
	known := &invitedBy{me: me, tabs: biz.Tabs, tabsRead: defaults && bizErr == nil}

	results := make([]InviteResult, len(in))
	done := make([]chan struct{}, len(in))
	earlier := make([]int, len(in)) // the last earlier entry with the same email, or -1
	seen := map[string]int{}
	for i, inv := range in {
		done[i] = make(chan struct{})
		earlier[i] = -1
		if email, err := NormalizeEmail(inv.Email); err == nil {
			if j, ok := seen[email]; ok {
				earlier[i] = j
			}
			seen[email] = i
		}
	}

	// Entries take a worker in input order, so an earlier entry an entry
	// waits for always holds or has held a worker: the wait ends.
	n := s.inviteWorkers
	if n < 1 {
		n = DefaultInviteSeveralWorkers
	}
	workers := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range in {
		workers <- struct{}{}
		wg.Go(func() {
			defer func() { <-workers }()
			defer close(done[i])
			if j := earlier[i]; j >= 0 {
				<-done[j]
			}
			if !timeToStart(ctx) {
				results[i] = InviteResult{Err: ErrNotAttempted}
				return
			}
			u, err := s.invite(ctx, caller, businessID, in[i], known)
			results[i] = InviteResult{User: u, Err: err}
		})
	}
	wg.Wait()
	return results, nil
}

// timeToStart says whether an entry may still be started: the context is
// live and, if it has a deadline, at least inviteStartMargin is left.
func timeToStart(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) >= inviteStartMargin
}
