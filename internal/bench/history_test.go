package bench

import (
	"fmt"
	"testing"
	"time"
)

// historyLength is about how many records the tracked user's history
// holds in each business of BenchmarkHistoryScale: more than a page, so
// that a page is full in both.
const historyLength = 60

func historyOf(size int) string { return fmt.Sprintf("history%d", size) }

// BenchmarkHistoryScale reads the first page of one user's history
// (GET .../activity?userId=) in a business of 1,000 activity records and
// in one of 100,000, both in one table, interleaved as BenchmarkScale is.
// The user's history is about historyLength records in both, spread over
// the business's whole history, so only the business's size differs.
// Seeding 100,000 activity records (each also written to the two indexes)
// happens once per engine and run.
func BenchmarkHistoryScale(b *testing.B) {
	for _, e := range engines() {
		b.Run("engine="+e.name, func(b *testing.B) {
			if e.queryWalksTable {
				b.Skip("this engine's Query reads every item of the table: it would measure only that (see engine.queryWalksTable)")
			}
			f := newFixture(b, e.connect(b))
			for _, size := range []int{smallTeam, largeTeam} {
				start := time.Now()
				f.createBusiness(b, historyOf(size), 0)
				f.seedHistory(b, historyOf(size), size, size/historyLength)
				b.Logf("seeded %d activity records into %s in %s", size, e.name, time.Since(start).Round(time.Millisecond))
			}
			const name = "ListUserActivity"
			small, large := find(operations(historyOf(smallTeam)), name), find(operations(historyOf(largeTeam)), name)
			compareAtScale(b, f, name, small, large)
		})
	}
}
