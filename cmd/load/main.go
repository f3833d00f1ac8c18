// Command load drives the local stack over HTTP with a realistic, bounded
// mix of requests (lists, gets, invites, permission and contact edits,
// removals, across several businesses, with deliberate duplicate invites
// and racing edits), waits for welcome emails and events to drain, checks
// the invariants of SPEC §3 on the final state, and prints throughput,
// latency percentiles per operation, answers by code and the verdicts. It
// exits 1 when an invariant fails. `make load` runs it; see
// docs/PERFORMANCE.md.
//
// Without -target it starts the local stack in process (DynamoDB Local as
// `make run` does, or DYNAMODB_ENDPOINT's). With -target it drives a
// running stack (`make run`); only loopback targets are accepted, and the
// run is bounded by -duration and -requests. The stack it starts sets its
// own email budget (lambdaenv.MaxInviteRate) so that invites are not
// throttled; a -target stack should be started with INVITE_RATE=100000
// (`INVITE_RATE=100000 make run`), or its invites past the hour's budget
// are refused with 429.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(execute(ctx, cfg, os.Stdout, os.Stderr))
}

// Bounds on the flags: a load run always ends by itself and stays small
// enough for one machine.
const (
	maxDuration    = 10 * time.Minute
	maxConcurrency = 64
	maxBusinesses  = 100
	maxRequests    = 1_000_000
)

// config is a load run's settings.
type config struct {
	// target is the base URL of a running stack; "" starts one in process.
	target      string
	duration    time.Duration
	concurrency int
	businesses  int
	maxRequests int
	seed        uint64
	// drainLimit bounds the wait for emails and events after the load.
	drainLimit time.Duration
	// dynamoDBEndpoint and repoDir configure an in-process stack.
	dynamoDBEndpoint string
	repoDir          string
	// requestTimeout is the in-process stack's request deadline; 0 is
	// the Lambdas' default (REQUEST_TIMEOUT).
	requestTimeout time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cwd, _ := os.Getwd()
	cfg := config{dynamoDBEndpoint: dynamodblocal.EndpointFromEnv(), repoDir: cwd}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.target, "target", "", "base URL of a running local stack, loopback only (default: start one in process)")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long to send load (at most 10m)")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent clients (1 to 64)")
	fs.IntVar(&cfg.businesses, "businesses", 4, "businesses to spread the load over (1 to 100)")
	fs.IntVar(&cfg.maxRequests, "requests", 200_000, "stop after this many requests (at most 1,000,000)")
	fs.Uint64Var(&cfg.seed, "seed", uint64(time.Now().UnixNano()), "seed of the request mix")
	fs.DurationVar(&cfg.drainLimit, "drain", time.Minute, "longest wait for emails and events to be delivered after the load")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	switch {
	case c.duration <= 0 || c.duration > maxDuration:
		return fmt.Errorf("-duration must be between 0 and %s", maxDuration)
	case c.concurrency < 1 || c.concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency must be 1 to %d", maxConcurrency)
	case c.businesses < 1 || c.businesses > maxBusinesses:
		return fmt.Errorf("-businesses must be 1 to %d", maxBusinesses)
	case c.maxRequests < 1 || c.maxRequests > maxRequests:
		return fmt.Errorf("-requests must be 1 to %d", maxRequests)
	case c.drainLimit <= 0 || c.drainLimit > maxDuration:
		return fmt.Errorf("-drain must be between 0 and %s", maxDuration)
	}
	if c.target != "" {
		return checkLoopback(c.target)
	}
	return nil
}

// execute runs the load against the target, or against a stack it starts,
// prints the report and returns the exit status.
func execute(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	target, what := cfg.target, "a running stack"
	if target == "" {
		stack, err := startStack(ctx, cfg, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "load: start the local stack:", err)
			return 1
		}
		defer stack.Stop()
		target, what = stack.URL, "the local stack, in process"
	}
	fmt.Fprintf(stdout, "load: %s, %d clients, %d businesses, against %s (%s), seed %d\n",
		cfg.duration, cfg.concurrency, cfg.businesses, target, what, cfg.seed)
	rep, err := run(ctx, cfg, target, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
	rep.print(stdout)
	if !rep.passed() {
		return 1
	}
	return 0
}

// startStack starts the local stack on a free loopback port, with a table
// of its own when it shares a DynamoDB, so a run never meets another's data.
func startStack(ctx context.Context, cfg config, stderr io.Writer) (*local.Stack, error) {
	return local.Start(ctx, local.Config{
		Addr:             "127.0.0.1:0",
		DynamoDBEndpoint: cfg.dynamoDBEndpoint,
		TableName:        fmt.Sprintf("load-%d", time.Now().UnixNano()),
		RepoDir:          cfg.repoDir,
		// A load run invites far more than an hour's default budget in
		// its businesses; it sets its own (SPEC §4), so that what it
		// measures is the service rather than the email limit.
		InviteRate:     lambdaenv.MaxInviteRate,
		RequestTimeout: cfg.requestTimeout,
		// Server errors are logged at Error; they are what a load run is after.
		Log:     slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Console: stderr,
	})
}
