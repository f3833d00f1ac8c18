// Command redeliver delivers every welcome email and user event that the
// stream consumer did not: the runbook's answer to the on-failure queue
// alarm (README, "Redelivery"). It reads the activity records from the
// table, not from the stream (which keeps records for 24 hours) nor from
// the on-failure queue (which holds only pointers into the stream), and
// delivers each record whose event or due email has no delivery mark,
// through the stream consumer's own code and marks: a record delivered
// already is found done and not sent again, so a second run sends nothing.
//
//	redeliver -business acme -since 2026-11-28T00:00:00Z
//	redeliver -all -until 6h
//
// It takes the deployed consumer's settings from the environment
// (TABLE_NAME, SENDER_EMAIL, APP_BASE_URL, EVENT_BUS_NAME) and AWS's from
// the SDK's usual chain (AWS_PROFILE or credentials, AWS_REGION, and the
// AWS_ENDPOINT_URL variables). It exits 0 when everything it found was
// delivered (or refused for good and recorded), 1 when something is left
// for another run, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/lambdaenv/operator"
	"github.com/businessapp/usermanagement/internal/team"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], time.Now(), os.Stdout, os.Stderr))
}

// defaultUntil is how long ago the default range ends: the event source
// mapping's MaximumRecordAgeInSeconds (template.yaml). The stream never
// hands its consumer a record older than that, so a run over older records
// cannot race the consumer into sending one twice.
const defaultUntil = 6 * time.Hour

// options are a run's flags.
type options struct {
	query delivery.BacklogQuery
	all   bool
}

func parse(args []string, now time.Time, stderr io.Writer) (options, error) {
	var o options
	var business, since, until string
	fs := flag.NewFlagSet("redeliver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&business, "business", "", "the business whose records to redeliver")
	fs.BoolVar(&o.all, "all", false, "redeliver the records of every business (scans the whole table)")
	fs.StringVar(&since, "since", "", "only records committed at or after this: RFC 3339 (2026-11-28T09:00:00Z) or a duration ago (48h); default: the oldest")
	fs.StringVar(&until, "until", defaultUntil.String(), "only records committed before this: RFC 3339, a duration ago, or now; the default leaves out what the stream may still be retrying")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: redeliver (-business ID | -all) [-since T] [-until T]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if (business == "") == !o.all {
		return options{}, errors.New("name one business with -business, or every business with -all")
	}
	o.query.BusinessID = team.BusinessID(business)
	var err error
	if o.query.Since, err = instant(since, now); err != nil {
		return options{}, fmt.Errorf("-since: %w", err)
	}
	if o.query.Until, err = instant(until, now); err != nil {
		return options{}, fmt.Errorf("-until: %w", err)
	}
	if !o.query.Since.IsZero() && !o.query.Until.IsZero() && !o.query.Until.After(o.query.Since) {
		return options{}, errors.New("-until must be after -since")
	}
	return o, nil
}

// instant reads an RFC 3339 time, a duration before now, or "now"; "" is
// the zero time (an open end).
func instant(s string, now time.Time) (time.Time, error) {
	switch s {
	case "":
		return time.Time{}, nil
	case "now":
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration ago", s)
	}
	return now.Add(-d), nil
}

// run redelivers and returns the exit status.
func run(ctx context.Context, args []string, now time.Time, stdout, stderr io.Writer) int {
	o, err := parse(args, now, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "redeliver:", err)
		return 2
	}
	// The same JSON lines as the consumer logs in Lambda, on stderr, so
	// that stdout holds only the summary.
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	r, err := operator.Redeliverer(ctx, log)
	if err != nil {
		fmt.Fprintln(stderr, "redeliver:", err)
		return 1
	}
	q := o.query
	fmt.Fprintf(stdout, "redeliver: %s, committed %s\n", scope(q), span(q))
	report, err := r.Redeliver(ctx, q)
	summarize(stdout, report)
	if err != nil {
		fmt.Fprintln(stderr, "redeliver:", err)
		return 1
	}
	if !report.Done() {
		return 1
	}
	return 0
}

func scope(q delivery.BacklogQuery) string {
	if q.BusinessID == "" {
		return "every business"
	}
	return "business " + q.BusinessID.String()
}

func span(q delivery.BacklogQuery) string {
	from, to := "the oldest record", "now"
	if !q.Since.IsZero() {
		from = q.Since.UTC().Format(time.RFC3339)
	}
	if !q.Until.IsZero() {
		to = q.Until.UTC().Format(time.RFC3339)
	}
	return "from " + from + " until " + to
}

// summarize prints what the run did, for the operator to confirm.
func summarize(w io.Writer, r delivery.Redelivery) {
	fmt.Fprintf(w, "found %d undelivered records in %d businesses\n", r.Records, r.Businesses)
	fmt.Fprintf(w, "sent %d emails and put %d events; %d refused for good (recorded on the record)\n", r.EmailsSent, r.EventsPut, r.Refused)
	for _, f := range r.Failed {
		fmt.Fprintf(w, "FAILED business %s activity %s: %v\n", f.BusinessID, f.ActivityID, f.Err)
	}
	if r.Skipped > 0 {
		fmt.Fprintf(w, "left %d later records of the failed businesses for the next run, to keep their order\n", r.Skipped)
	}
	if r.Done() {
		fmt.Fprintln(w, "done: nothing is left undelivered in this range")
	} else {
		fmt.Fprintln(w, "NOT DONE: run again once the failure above is fixed")
	}
}
