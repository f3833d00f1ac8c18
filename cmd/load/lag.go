package main

import (
	"cmp"
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
	// email and event are sorted by lag.
	email, event []lagSample
	// commit is, for each event, how long after its occurredAt the
	// activity committed.
	commit []time.Duration
	// unmatched counts emails with no commit to measure from, and events
	// the stack did not time (a -target stack of another version): the
	// bus's acceptance, or the commit (then measured from occurredAt).
	unmatchedEmails, untimedEvents, uncommittedEvents int
}

// lagSample is one delivery's lag and when the change it delivers committed,
// so that the lags can also be read by when in the load they arose.
type lagSample struct {
	committed time.Time
	lag       time.Duration
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
			ls.event = append(ls.event, lagSample{committed, e.AcceptedAt.Sub(committed)})
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
		ls.email = append(ls.email, lagSample{ts[i-1], m.SentAt.Sub(ts[i-1])})
	}
	byLag := func(a, b lagSample) int { return cmp.Compare(a.lag, b.lag) }
	slices.SortStableFunc(ls.email, byLag)
	slices.SortStableFunc(ls.event, byLag)
	slices.Sort(ls.commit)
	return ls
}

// print writes the lags of the whole run, then the same by quarter of the
// load (start, and how long it lasted), by when each change committed: a
// consumer that keeps up shows about the same lag in every quarter, one that
// falls behind a lag that grows, and a slow start (a cold emulator) a first
// quarter above the rest.
func (ls lagStats) print(w io.Writer, start time.Time, length time.Duration) {
	fmt.Fprintln(w, "\ndelivery lag after commit, during the load:")
	line := func(what string, sorted []time.Duration) {
		if len(sorted) == 0 {
			fmt.Fprintf(w, "  %-16s none measured\n", what)
			return
		}
		fmt.Fprintf(w, "  %-16s %5d  p50 %s  p90 %s  p99 %s  max %s\n", what, len(sorted),
			ms(percentile(sorted, 0.50)), ms(percentile(sorted, 0.90)), ms(percentile(sorted, 0.99)), ms(sorted[len(sorted)-1]))
	}
	line("welcome emails", lagsOf(ls.email))
	line("events", lagsOf(ls.event))
	if ls.unmatchedEmails > 0 || ls.untimedEvents > 0 || ls.uncommittedEvents > 0 {
		fmt.Fprintf(w, "  (not measured: %d emails without a commit seen, %d events the stack did not time, %d commits the stack did not time, measured from occurredAt)\n",
			ls.unmatchedEmails, ls.untimedEvents, ls.uncommittedEvents)
	}
	if len(ls.email)+len(ls.event) > 0 && length > 0 {
		fmt.Fprintln(w, "by when the change committed, in quarters of the load (the owners' invites of the set-up count in the first):")
		emails, events := byQuarter(ls.email, start, length), byQuarter(ls.event, start, length)
		quarter := length / 4
		for q := range 4 {
			from, to := time.Duration(q)*quarter, time.Duration(q+1)*quarter
			fmt.Fprintf(w, "  %5.1f–%5.1f s   emails %s   events %s\n", from.Seconds(), to.Seconds(), quarterLine(emails[q]), quarterLine(events[q]))
		}
	}
	fmt.Fprintln(w, "before that, the API's own commit (occurredAt, stamped before the budget read and the transaction, to the transaction's answer):")
	line("commits", ls.commit)
}

// lagsOf returns the samples' lags, in the samples' order.
func lagsOf(samples []lagSample) []time.Duration {
	lags := make([]time.Duration, len(samples))
	for i, s := range samples {
		lags[i] = s.lag
	}
	return lags
}

// byQuarter splits samples sorted by lag into the four quarters of the load
// by commit time, each still sorted by lag. A commit before the start (the
// set-up) counts in the first quarter, one after the end (a write answered
// past its deadline that committed later) in the last.
func byQuarter(samples []lagSample, start time.Time, length time.Duration) [4][]time.Duration {
	var quarters [4][]time.Duration
	for _, s := range samples {
		q := min(max(int(4*s.committed.Sub(start)/length), 0), 3)
		quarters[q] = append(quarters[q], s.lag)
	}
	return quarters
}

// quarterLine is one quarter's count, p50 and p99, sorted by lag; a quarter
// with nothing delivered keeps the columns' width, so the next one lines up.
func quarterLine(sorted []time.Duration) string {
	if len(sorted) == 0 {
		return fmt.Sprintf("%5d  %-28s", 0, "(none)")
	}
	return fmt.Sprintf("%5d  p50 %9s  p99 %9s", len(sorted), ms(percentile(sorted, 0.50)), ms(percentile(sorted, 0.99)))
}
