package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// lagStats are the delivery lags of a run's records: from the commit (when
// the activity's transaction returned, as the local stack saw it) to SES
// accepting the welcome email, and to EventBridge accepting the event.
// They are measured on what happened during the load, so a consumer that
// falls behind shows as a growing lag, not only as a long drain.
//
// The activity's own time, occurredAt, is stamped before the API reads the
// email budget and sends the transaction: measured from it, a lag would
// also hold the API's commit. That part is reported on its own (commit).
type lagStats struct {
	email, event []time.Duration
	// commit is, for each event, how long after its occurredAt the
	// activity committed.
	commit []time.Duration
	// unmatched counts emails with no commit to measure from, and events
	// the stack did not time (a -target stack of another version): the
	// bus's acceptance, or the commit (then measured from occurredAt).
	unmatchedEmails, untimedEvents, uncommittedEvents int
}

// emailCommits are the detail-types whose commit sends a welcome email to
// the event's user. A change of email (its changes.email) sends two, to
// the new address and to the old.
var emailCommits = []string{"UserAdded", "UserInvitationResent"}

// delivery lags of the emails and events a drain saw.
func lags(d drainResult) lagStats {
	var ls lagStats
	// commits[email] are the times of the commits that sent that address
	// a welcome email, oldest first.
	commits := map[string][]time.Time{}
	for _, e := range d.delivered {
		var det eventDetail
		if json.Unmarshal(e.Detail, &det) != nil || det.OccurredAt.IsZero() {
			continue
		}
		committed := det.OccurredAt
		if e.CommittedAt == nil {
			ls.uncommittedEvents++
		} else {
			committed = *e.CommittedAt
			ls.commit = append(ls.commit, committed.Sub(det.OccurredAt))
		}
		if e.AcceptedAt == nil {
			ls.untimedEvents++
		} else {
			ls.event = append(ls.event, e.AcceptedAt.Sub(committed))
		}
		if slices.Contains(emailCommits, e.DetailType) {
			to := strings.ToLower(det.User.Email)
			commits[to] = append(commits[to], committed)
		}
		if ch := det.Changes.Email; ch != nil {
			for _, to := range []string{strings.ToLower(ch.To), strings.ToLower(ch.From)} {
				commits[to] = append(commits[to], committed)
			}
		}
	}
	for _, ts := range commits {
		slices.SortFunc(ts, time.Time.Compare)
	}
	for _, m := range d.sent {
		// An email answers the latest commit to its address before it
		// went out: a removed and re-invited user gets one per invite.
		ts := commits[strings.ToLower(m.To)]
		i, _ := slices.BinarySearchFunc(ts, m.SentAt, time.Time.Compare)
		if i == 0 {
			ls.unmatchedEmails++
			continue
		}
		ls.email = append(ls.email, m.SentAt.Sub(ts[i-1]))
	}
	slices.Sort(ls.email)
	slices.Sort(ls.event)
	slices.Sort(ls.commit)
	return ls
}

func (ls lagStats) print(w io.Writer) {
	fmt.Fprintln(w, "\ndelivery lag after commit, during the load:")
	line := func(what string, sorted []time.Duration) {
		if len(sorted) == 0 {
			fmt.Fprintf(w, "  %-16s none measured\n", what)
			return
		}
		fmt.Fprintf(w, "  %-16s %5d  p50 %s  p90 %s  p99 %s  max %s\n", what, len(sorted),
			ms(percentile(sorted, 0.50)), ms(percentile(sorted, 0.90)), ms(percentile(sorted, 0.99)), ms(sorted[len(sorted)-1]))
	}
	line("welcome emails", ls.email)
	line("events", ls.event)
	if ls.unmatchedEmails > 0 || ls.untimedEvents > 0 || ls.uncommittedEvents > 0 {
		fmt.Fprintf(w, "  (not measured: %d emails without a commit seen, %d events the stack did not time, %d commits the stack did not time, measured from occurredAt)\n",
			ls.unmatchedEmails, ls.untimedEvents, ls.uncommittedEvents)
	}
	fmt.Fprintln(w, "before that, the API's own commit (occurredAt, stamped before the budget read and the transaction, to the transaction's answer):")
	line("commits", ls.commit)
}
