package bench

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// Every comparison is measured inside one benchmark, its sides interleaved
// (one step of each per iteration, in rotating order), so that whatever
// else the machine does falls on both sides alike and the ratio holds on a
// noisy machine. Benchmark names are key=value paths, and the metrics are:
//
//	BenchmarkOperation/engine=E/op=O
//	    ns/op, B/op, allocs/op                    the full path
//	    floor-ns/op, floor-B/op, floor-allocs/op  the floor
//	    full/floor                                the ratio of the two times
//	BenchmarkScale/engine=E/op=O/path=P/small=S/large=L
//	    ns/op, B/op, allocs/op                    in the business of L users
//	    small-ns/op                               in the business of S users
//	    large/small                               the ratio of the two times
//	    p50-large/small                           the ratio of the two medians
//	                                              (of single steps: what the
//	                                              issue 11 goal is stated in)
//
// cmd/benchtable turns them into the tables of docs/PERFORMANCE.md;
// benchstat summarises any of them over -count runs.

// opsBusiness is the business the operations run in: 1,000 users and two
// pages of activity.
const (
	opsBusiness = "acme"
	opsUsers    = 1000
	opsActivity = 2 * pageSize
)

// BenchmarkOperation measures every operation through the full path and
// as its floor, on each engine.
func BenchmarkOperation(b *testing.B) {
	for _, e := range engines() {
		b.Run("engine="+e.name, func(b *testing.B) {
			client := e.connect(b)
			for _, name := range operationNames() {
				f := opsFixture(b, client)
				op := find(operations(opsBusiness), name)
				warm := false
				b.Run("op="+op.name, func(b *testing.B) {
					if !warm {
						warmUp(b, f, op)
						warm = true
					}
					t := measureSides(b, f, op.full, op.floor)
					full, floor := t[0], t[1]
					full.report(b, "")
					floor.report(b, "floor-")
					b.ReportMetric(full.ratio(floor), "full/floor")
				})
			}
		})
	}
}

// The team sizes of BenchmarkScale.
const (
	smallTeam = 1_000
	largeTeam = 100_000
)

// BenchmarkScale lists a page of users, reads the business with its total,
// invites a user, and lists users in
// every shape of issue 11 (listingShapes), in a business
// of 1,000 users and in one of 100,000, both in one table as they would be
// in production. Seeding 100,000 users takes a while (about 20 s into
// DynamoDB Local on two cores), so it happens once per engine and run.
func BenchmarkScale(b *testing.B) {
	for _, e := range engines() {
		b.Run("engine="+e.name, func(b *testing.B) {
			f := newFixture(b, e.connect(b))
			for _, size := range []int{smallTeam, largeTeam} {
				start := time.Now()
				f.createBusiness(b, teamOf(size), size)
				f.seedHandful(b, teamOf(size))
				b.Logf("seeded %d users into %s in %s", size, e.name, time.Since(start).Round(time.Millisecond))
			}
			// GetBusiness is the business with its exact total (issue 11):
			// the profile and the counter shards, one Query.
			for _, name := range []string{"ListUsers", "GetBusiness", "InviteUser"} {
				if name != "InviteUser" && e.queryWalksTable {
					b.Run("op="+name, func(b *testing.B) {
						b.Skip("this engine's Query reads every item of the table: it would measure only that (see engine.queryWalksTable)")
					})
					continue
				}
				small, large := find(operations(teamOf(smallTeam)), name), find(operations(teamOf(largeTeam)), name)
				compareAtScale(b, f, name, small, large)
			}
			// Every shape of the list (issue 11), full path only: the
			// plain page's floor is ListUsers' above.
			for _, shape := range listingShapes {
				if e.queryWalksTable {
					continue
				}
				compareListing(b, f, shape.name, shape.query)
			}
		})
	}
}

func teamOf(size int) string { return fmt.Sprintf("team%d", size) }

func operationNames() []string {
	var names []string
	for _, op := range operations(opsBusiness) {
		names = append(names, op.name)
	}
	return names
}

// compareAtScale runs one operation's full path and its floor, each as a
// sub-benchmark, at the small and the large size interleaved, and reports
// the large/small ratio (the figure the scale goals are stated in).
func compareAtScale(b *testing.B, f *fixture, name string, small, large operation) {
	warm := false
	for _, path := range []string{"full", "floor"} {
		b.Run(fmt.Sprintf("op=%s/path=%s/small=%d/large=%d", name, path, smallTeam, largeTeam), func(b *testing.B) {
			if !warm {
				warmUp(b, f, small)
				warmUp(b, f, large)
				warm = true
			}
			var t []totals
			if path == "full" {
				t = measureSides(b, f, small.full, large.full)
			} else {
				t = measureSides(b, f, small.floor, large.floor)
			}
			atSmall, atLarge := t[0], t[1]
			atLarge.report(b, "")
			b.ReportMetric(atSmall.nsPerOp(), "small-ns/op")
			b.ReportMetric(atLarge.ratio(atSmall), "large/small")
			b.ReportMetric(atLarge.medianRatio(atSmall), "p50-large/small")
		})
	}
}

func find(ops []operation, name string) operation {
	for _, op := range ops {
		if op.name == name {
			return op
		}
	}
	panic("no operation " + name)
}

// totals is what one side of a comparison cost over b.N steps.
type totals struct {
	n             int
	elapsed       time.Duration
	allocs, bytes uint64
	// steps are the times of the single steps, for their median: a
	// request that waited on the machine (a garbage collection, another
	// process) moves the mean, not the median.
	steps []time.Duration
}

// medianRatio is the ratio of the two sides' median step times.
func (t totals) medianRatio(other totals) float64 {
	return float64(median(t.steps)) / float64(median(other.steps))
}

// median of ds (the upper of the two middle values when len is even).
func median(ds []time.Duration) time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func (t totals) nsPerOp() float64 { return float64(t.elapsed.Nanoseconds()) / float64(t.n) }

func (t totals) ratio(other totals) float64 {
	return float64(t.elapsed) / float64(other.elapsed)
}

// report reports the side's time and allocations per step, under units
// with the prefix ("" for the standard ns/op, B/op and allocs/op).
func (t totals) report(b *testing.B, prefix string) {
	b.ReportMetric(t.nsPerOp(), prefix+"ns/op")
	b.ReportMetric(float64(t.bytes)/float64(t.n), prefix+"B/op")
	b.ReportMetric(float64(t.allocs)/float64(t.n), prefix+"allocs/op")
}

// measureSides runs b.N steps of each side, interleaved: iteration i runs
// step i of every side, starting with a different side each time so that
// no side always follows the same one. Each step is timed and its
// allocations counted on its own (as -benchmem counts them: every
// allocation of the process during the step, so kumo's own count when it
// is the engine).
func measureSides(b *testing.B, f *fixture, sides ...prepare) []totals {
	steps := make([]func(int) error, len(sides))
	for s, prep := range sides {
		steps[s] = prep(b, f, b.N)
	}
	out := make([]totals, len(sides))
	var before, after runtime.MemStats
	b.ResetTimer()
	for i := range b.N {
		for k := range steps {
			s := (i + k) % len(steps)
			runtime.ReadMemStats(&before)
			start := time.Now()
			err := steps[s](i)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err != nil {
				b.Fatal(err)
			}
			out[s].n++
			out[s].elapsed += elapsed
			out[s].steps = append(out[s].steps, elapsed)
			out[s].allocs += after.Mallocs - before.Mallocs
			out[s].bytes += after.TotalAlloc - before.TotalAlloc
		}
	}
	b.StopTimer()
	return out
}

// warmUp runs an operation a few times on both sides before it is
// measured: the first requests pay for connections, and DynamoDB Local's
// JVM compiles its hot paths while serving them. Each side gets up to 20
// rounds or a second, whichever ends first.
func warmUp(tb testing.TB, f *fixture, op operation) {
	tb.Helper()
	const (
		rounds = 20
		budget = time.Second
	)
	for _, prep := range []prepare{op.full, op.floor} {
		step := prep(tb, f, rounds)
		for i, start := 0, time.Now(); i < rounds && time.Since(start) < budget; i++ {
			if err := step(i); err != nil {
				tb.Fatalf("warm up %s: %v", op.name, err)
			}
		}
	}
}
