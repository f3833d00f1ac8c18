package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// eventPollInterval is how often the event log looks at the emulator's
// list during the load. It must see the list before 1000 more events are
// delivered; a 2-core machine delivers a few hundred a second at most.
const eventPollInterval = 500 * time.Millisecond

// run sends the load to the stack at target, waits for delivery to settle
// and checks the invariants.
func run(ctx context.Context, cfg config, target string, progress io.Writer) (*report, error) {
	st := newStats()
	client := newAPIClient(target, cfg.concurrency, st)
	// The run's id is in every business id and email, so a stack that has
	// served other runs (make run) does not confuse the checks.
	runID := strings.ToLower(rand.Text()[:8])
	domainSuffix := "." + runID + ".load.test"
	tenants, err := setUp(ctx, client, runID, domainSuffix, cfg.businesses)
	if err != nil {
		return nil, err
	}
	businesses := map[string]bool{}
	for _, t := range tenants {
		businesses[t.id] = true
	}

	events := &eventLog{client: client}
	if err := events.poll(ctx); err != nil {
		return nil, err
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); events.watch(watchCtx, eventPollInterval) }()

	fmt.Fprintf(progress, "load: run %s: %d businesses set up, sending load…\n", runID, len(tenants))
	led := newLedger()
	// POST /dev/businesses is the platform's BusinessUpserted: each owner
	// is invited, with a welcome email and a UserAdded event, which the
	// checks must expect.
	for _, t := range tenants {
		led.invited(t.id, t.owner)
	}
	start := time.Now()
	deadline := start.Add(cfg.duration)
	scenarios := mix()
	total := 0
	for _, s := range scenarios {
		total += s.weight
	}
	var (
		wg     sync.WaitGroup
		serial atomic.Int64
	)
	for i := range cfg.concurrency {
		w := &worker{client: client, tenants: tenants, ledger: led, serial: &serial,
			rng: mathrand.New(mathrand.NewPCG(cfg.seed, uint64(i)))}
		wg.Go(func() {
			// The deadline is checked between scenarios, never by cancelling
			// a request: an answer cut off would leave its outcome unknown.
			for ctx.Err() == nil && time.Now().Before(deadline) && st.count.Load() < int64(cfg.maxRequests) {
				w.step(ctx, scenarios, total)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopWatching()
	<-watched
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	fmt.Fprintf(progress, "load: %d requests sent; waiting for welcome emails and events…\n", st.count.Load())
	d := drain(ctx, client, events, led, businesses, domainSuffix, cfg.drainLimit)
	chk := &checker{client: client, ledger: led, tenants: tenants, stats: st}
	return &report{start: start, elapsed: elapsed, stats: st, drain: d, verdicts: chk.verdicts(ctx, d)}, nil
}

// setUp creates the run's businesses through POST /dev/businesses, each
// with every tab enabled and an owner who sends its load.
func setUp(ctx context.Context, c *apiClient, runID, domainSuffix string, n int) ([]*tenant, error) {
	tenants := make([]*tenant, n)
	for i := range tenants {
		t := &tenant{id: fmt.Sprintf("load-%s-%d", runID, i), domain: fmt.Sprintf("b%d%s", i, domainSuffix)}
		t.owner = "owner@" + t.domain
		spec := map[string]any{"id": t.id, "name": fmt.Sprintf("Load %s %d", runID, i), "tabs": allTabs(),
			"owner": map[string]string{"email": t.owner, "firstName": "Load", "lastName": "Owner"}}
		if r := c.call(ctx, "", "POST", "/dev/businesses", "", spec); r.status != http.StatusCreated {
			return nil, fmt.Errorf("POST /dev/businesses %s: %s", t.id, r.outcome())
		}
		tok, err := c.token(ctx, t.owner)
		if err != nil {
			return nil, err
		}
		t.token = tok
		tenants[i] = t
	}
	return tenants, nil
}
