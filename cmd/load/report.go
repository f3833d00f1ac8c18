package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// stats collects every measured request's latency and outcome, by operation.
type stats struct {
	mu     sync.Mutex
	ops    map[string]*opStats
	count  atomic.Int64 // measured requests
	fiveXX atomic.Int64 // 5xx answers to any request, measured or not
}

type opStats struct {
	latencies []time.Duration
	outcomes  map[string]int
}

func newStats() *stats { return &stats{ops: map[string]*opStats{}} }

func (s *stats) record(op, outcome string, status int, d time.Duration) {
	s.count.Add(1)
	if status >= 500 {
		s.fiveXX.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ops[op]
	if o == nil {
		o = &opStats{outcomes: map[string]int{}}
		s.ops[op] = o
	}
	o.latencies = append(o.latencies, d)
	o.outcomes[outcome]++
}

// verdict is the result of checking one invariant.
type verdict struct {
	name   string
	ok     bool
	detail string
}

// report is what a run found.
type report struct {
	start    time.Time     // of the load, after the set-up
	elapsed  time.Duration // of the load, without setup and drain
	stats    *stats
	drain    drainResult
	verdicts []verdict
}

func (r *report) passed() bool {
	for _, v := range r.verdicts {
		if !v.ok {
			return false
		}
	}
	return true
}

func (r *report) print(w io.Writer) {
	n := r.stats.count.Load()
	fmt.Fprintf(w, "\n%d requests in %s: %.0f requests/s\n\n", n, r.elapsed.Round(time.Millisecond), float64(n)/r.elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\tp50\tp95\tp99\tmax\t\tanswers\t")
	r.stats.mu.Lock()
	for _, name := range slices.Sorted(maps.Keys(r.stats.ops)) {
		o := r.stats.ops[name]
		lat := slices.Clone(o.latencies)
		slices.Sort(lat)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\t%s\t\n", name, len(lat),
			ms(percentile(lat, 0.50)), ms(percentile(lat, 0.95)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1]), outcomes(o.outcomes))
	}
	r.stats.mu.Unlock()
	tw.Flush()
	lags(r.drain).print(w, r.start, r.elapsed)
	fmt.Fprintf(w, "\ndelivery drained in %s after the load: %d welcome emails and %d events of this run\n\ninvariants:\n",
		r.drain.took.Round(time.Millisecond), r.drain.emails, r.drain.events)
	for _, v := range r.verdicts {
		status := "PASS"
		if !v.ok {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s: %s\n", status, v.name, v.detail)
	}
	if r.passed() {
		fmt.Fprintln(w, "\nall invariants hold")
	} else {
		fmt.Fprintln(w, "\nSOME INVARIANTS FAILED")
	}
}

// percentile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// outcomes lists answers by count: "200×812 404×3".
func outcomes(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, "  ")
}
