package main

import (
	"strings"
	"testing"
)

const input = `goos: linux
pkg: github.com/businessapp/usermanagement/internal/bench
BenchmarkOperation/engine=kumo/op=GetUser-2   	 1000	 2000000 ns/op	 60000 floor-B/op	 800 floor-allocs/op	 1000000 floor-ns/op	 2.0 full/floor	 70000 B/op	 900 allocs/op
BenchmarkOperation/engine=kumo/op=GetUser-2   	 1000	 3000000 ns/op	 60000 floor-B/op	 800 floor-allocs/op	 1100000 floor-ns/op	 2.7 full/floor	 70000 B/op	 900 allocs/op
BenchmarkOperation/engine=kumo/op=GetUser-2   	 1000	 2200000 ns/op	 60000 floor-B/op	 800 floor-allocs/op	 1000000 floor-ns/op	 2.2 full/floor	 70000 B/op	 900 allocs/op
BenchmarkOperation/engine=kumo/op=ListTabs-2  	 1000	 1000000 ns/op	 60000 floor-B/op	 800 floor-allocs/op	 1000000 floor-ns/op	 1.0 full/floor	 70000 B/op	 900 allocs/op
--- BENCH: BenchmarkScale/engine=kumo
    bench_test.go:50: seeded 1000 users
BenchmarkScale/engine=kumo/op=ListUsers/path=full/small=1000/large=100000-2    	 100	 1100000 ns/op	 1000000 small-ns/op	 1.1 large/small	 1.3 p50-large/small	 70000 B/op	 900 allocs/op
BenchmarkScale/engine=kumo/op=ListUsers/path=floor/small=1000/large=100000-2   	 100	 1500000 ns/op	 1000000 small-ns/op	 1.5 large/small	 70000 B/op	 900 allocs/op
BenchmarkOwnCost/op=ListUsers-2   	 10000	 116000 ns/op	 48000 B/op	 518 allocs/op
PASS
`

func TestTables(t *testing.T) {
	var out strings.Builder
	if err := run(nil, limits{overhead: 1.5, scale: 1.2}, strings.NewReader(input), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"medians of 1 to 3 runs",
		"| benchmark | engine | operation | full | floor | full/floor | range over runs | time spread | allocs full, floor | B/op full, floor |",
		// Medians 2.2 ms and 1.0 ms, ratio 2.2 (the median of the runs'
		// ratios), over the limit; the full side strayed 36% (3.0 against 2.2).
		"| Operation | kumo | GetUser | 2.20 ms | 1.00 ms | **2.20×** (over 1.5×) | 2.00–2.70 | ±36% | 900, 800 | 70,000, 60,000 |",
		"| Operation | kumo | ListTabs | 1.00 ms | 1.00 ms | 1.00× | 1.00–1.00 | ±0% | 900, 800 | 70,000, 60,000 |",
		"| benchmark | engine | operation | path | 1,000 users | 100,000 users | ratio | range over runs | p50 ratio | p50 range over runs | time spread |",
		// The full path's medians are 1.3× apart although its means are
		// 1.1× apart: the goal is on the medians, so that is marked.
		"| Scale | kumo | ListUsers | full | 1.00 ms | 1.10 ms | 1.10× | 1.10–1.10 | **1.30×** (over 1.2×) | 1.30–1.30 | ±0% |",
		// A result without the p50 (an older run) shows none.
		"| Scale | kumo | ListUsers | floor | 1.00 ms | 1.50 ms | **1.50×** (over 1.2×) | 1.50–1.50 | – | – | ±0% |",
		"| benchmark | operation | time | time spread | allocs | B/op |",
		"| OwnCost | ListUsers | 116 µs | ±0% | 518 | 48,000 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing line\n%s\nin\n%s", want, out.String())
		}
	}
}

func TestNoResults(t *testing.T) {
	if err := run(nil, limits{}, strings.NewReader("PASS\n"), &strings.Builder{}); err == nil {
		t.Error("no error for input without results")
	}
}
