// Command backfill upgrades the items an earlier version of the service
// wrote to the shape today's code reads: the step after deploying this
// version over an existing stack (README, "Upgrading an existing
// deployment"). For every user of one business, or of all, it gives a
// user without an id one (and counts them), spells out the status of a
// user without one, fills phoneDisplay, writes the user list's index keys
// on the user item and the index items (tabs, names) the list's searches,
// filters and sorts read; then it checks the business's counters against
// the users and corrects them when the business is quiet.
//
//	backfill -business acme -dry-run
//	backfill -all
//
// Each user is changed in a transaction of its own, conditioned on the
// version and id it read, so it is safe while the API serves: a
// concurrent change wins and the user is read again. A second run changes
// nothing and says so; a run that stops is resumed by running it again.
//
// It takes the table from -table or TABLE_NAME, and AWS's configuration
// from the SDK's usual chain (AWS_PROFILE or credentials, AWS_REGION, and
// AWS_ENDPOINT_URL_DYNAMODB). It exits 0 when nothing is left to do, 1
// when something is (users that kept changing, counters of a busy
// business, an error: run it again), 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/lambdaenv/operator"
	"github.com/businessapp/usermanagement/internal/team"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are a run's flags.
type options struct {
	business team.BusinessID
	all      bool
	dryRun   bool
	table    string
	workers  int
	after    team.BusinessID
}

// defaultWorkers is one transaction in flight. More did not help where
// it could be measured: on DynamoDB Local, which runs transactions one at
// a time, BenchmarkBackfill took 37 ms a user with one worker and 267 ms
// with four, and 200 users took 15.5 s with one and 20.8 s with four, with
// no transaction cancelled. DynamoDB itself runs transactions on distinct
// items side by side, so -workers may shorten a run in AWS; that is not
// measured.
const defaultWorkers = 1

func parse(args []string, stderr io.Writer) (options, error) {
	var (
		o               options
		business, after string
	)
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&business, "business", "", "the business to upgrade")
	fs.BoolVar(&o.all, "all", false, "upgrade every business (finds them with a Scan of the whole table)")
	fs.StringVar(&after, "after", "", "with -all, start after this business (to resume a run that stopped: the last one it reported)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "report what would change, and write nothing")
	fs.StringVar(&o.table, "table", "", "the table (default: TABLE_NAME)")
	fs.IntVar(&o.workers, "workers", defaultWorkers, "how many users of a business to upgrade at once, each in its own transaction")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: backfill (-business ID | -all [-after ID]) [-dry-run] [-table NAME] [-workers N]")
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
	if after != "" && !o.all {
		return options{}, errors.New("-after goes with -all")
	}
	o.after = team.BusinessID(after)
	if o.workers < 1 || o.workers > 64 {
		return options{}, errors.New("-workers must be between 1 and 64")
	}
	o.business = team.BusinessID(business)
	return o, nil
}

// run backfills and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", err)
		return 2
	}
	b, table, err := operator.Backfill(ctx, o.table)
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", err)
		return 1
	}
	mode := ""
	if o.dryRun {
		mode = " (dry run: nothing is written)"
	}
	scope := "every business"
	if !o.all {
		scope = "business " + o.business.String()
	}
	fmt.Fprintf(stdout, "backfill: table %s, %s%s\n", table, scope, mode)
	var reports []dynamo.BusinessBackfill
	opts := dynamo.BackfillOptions{DryRun: o.dryRun, Workers: o.workers, After: o.after, Progress: func(r dynamo.BusinessBackfill) {
		reports = append(reports, r)
		business(stdout, r, o.dryRun)
	}}
	if o.all {
		_, err = b.BackfillAll(ctx, opts)
	} else {
		_, err = b.BackfillBusiness(ctx, o.business, opts)
	}
	done := summarize(stdout, reports, o.dryRun, err != nil)
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", err)
		fmt.Fprintln(stdout, "NOT DONE: the error above stopped the run; what was written stays, and running again resumes")
		if o.all && len(reports) > 0 {
			fmt.Fprintf(stdout, "to skip the businesses done: backfill -all -after %s\n", reports[len(reports)-1].BusinessID)
		}
		return 1
	}
	if !done {
		return 1
	}
	return 0
}

// business prints one business's line (and its warnings). Users are
// named by id, never by email: the output ends up in terminals and CI
// logs.
func business(w io.Writer, r dynamo.BusinessBackfill, dryRun bool) {
	if r.Deleted {
		fmt.Fprintf(w, "%s: deleted (a tombstone): left alone\n", r.BusinessID)
		return
	}
	verb := "updated"
	if dryRun {
		verb = "to update"
	}
	fmt.Fprintf(w, "%s: %d users scanned, %d %s, %d already current, %d skipped; %d given an id and counted, %d index items written or removed\n",
		r.BusinessID, r.Scanned, r.Updated, verb, r.Current, r.Skipped, r.IDsGiven, r.IndexItems)
	counters := r.CounterUsers
	if dryRun {
		counters += int64(r.Counted) // what the counters would hold once those are counted
	}
	switch {
	case r.CountsFixed:
		fmt.Fprintf(w, "%s: counters corrected to %d users, %d invited\n", r.BusinessID, r.CounterUsers, r.CounterInvited)
	case r.CountsBusy:
		fmt.Fprintf(w, "%s: counters say %d users, %d invited, but %d users, %d invited were read; the business was changing, so they were left: run again\n",
			r.BusinessID, r.CounterUsers, r.CounterInvited, r.Users, r.Invited)
	case counters != r.Users || r.CounterInvited != r.Invited:
		fmt.Fprintf(w, "%s: counters would say %d users, %d invited, where %d users, %d invited were read: a real run recounts\n",
			r.BusinessID, counters, r.CounterInvited, r.Users, r.Invited)
	case dryRun:
		fmt.Fprintf(w, "%s: counters would agree: %d users, %d invited\n", r.BusinessID, counters, r.CounterInvited)
	default:
		fmt.Fprintf(w, "%s: counters agree: %d users, %d invited\n", r.BusinessID, r.CounterUsers, r.CounterInvited)
	}
	for _, id := range r.SkippedIDs {
		if id == "" {
			id = "(a user without an id)"
		}
		fmt.Fprintf(w, "%s: SKIPPED user %s: it kept changing; run again\n", r.BusinessID, id)
	}
	if r.NoOwner {
		fmt.Fprintf(w, "%s: has no owner (created before owners): send its BusinessUpserted again (README, \"Provision the first business\")\n", r.BusinessID)
	}
}

// summarize prints the totals and reports whether nothing is left to do;
// after an error (failed) it prints only the totals of what was done.
func summarize(w io.Writer, reports []dynamo.BusinessBackfill, dryRun, failed bool) bool {
	var scanned, updated, current, skipped, busy int
	changed, done := false, true
	for _, r := range reports {
		scanned, updated, current, skipped = scanned+r.Scanned, updated+r.Updated, current+r.Current, skipped+r.Skipped
		if r.CountsBusy {
			busy++
		}
		changed = changed || r.Changed()
		done = done && r.Done()
	}
	verb := "updated"
	if dryRun {
		verb = "to update"
	}
	fmt.Fprintf(w, "total: %d businesses, %d users scanned, %d %s, %d already current, %d skipped, %d businesses with counters left\n",
		len(reports), scanned, updated, verb, current, skipped, busy)
	switch {
	case failed:
		return false
	case !done:
		fmt.Fprintln(w, "NOT DONE: run again for what was skipped or left")
	case dryRun && changed:
		fmt.Fprintln(w, "dry run: the changes above are what a run would write")
	case changed:
		fmt.Fprintln(w, "done: every user is in today's shape")
	default:
		fmt.Fprintln(w, "done: nothing to change, every user was already in today's shape")
	}
	return done
}
