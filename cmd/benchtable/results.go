package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sample is one result line: every metric it reports, by unit.
type sample map[string]float64

// benchmark is every sample of one benchmark, and its name split into the
// key=value parts that internal/bench names benchmarks with.
type benchmark struct {
	name    string // without "Benchmark" and the GOMAXPROCS suffix
	config  []part
	samples []sample
}

// part is one /-separated element of a benchmark name: key=value, or a bare
// value (the top-level name) with an empty key.
type part struct{ key, value string }

func (b *benchmark) get(key string) string {
	for _, p := range b.config {
		if p.key == key {
			return p.value
		}
	}
	return ""
}

// has reports whether every sample reports the unit.
func (b *benchmark) has(unit string) bool {
	for _, s := range b.samples {
		if _, ok := s[unit]; !ok {
			return false
		}
	}
	return len(b.samples) > 0
}

// values returns the unit's value in every sample, sorted.
func (b *benchmark) values(unit string) []float64 {
	v := make([]float64, 0, len(b.samples))
	for _, s := range b.samples {
		if x, ok := s[unit]; ok {
			v = append(v, x)
		}
	}
	slices.Sort(v)
	return v
}

// median of the unit over the samples.
func (b *benchmark) median(unit string) float64 {
	v := b.values(unit)
	switch n := len(v); {
	case n == 0:
		return 0
	case n%2 == 1:
		return v[n/2]
	default:
		return (v[n/2-1] + v[n/2]) / 2
	}
}

// spread is how far the samples of the unit strayed from their median, as
// a fraction of it.
func (b *benchmark) spread(unit string) float64 {
	m := b.median(unit)
	worst := 0.0
	for _, x := range b.values(unit) {
		worst = max(worst, abs(x-m)/m)
	}
	return worst
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// resultSet is every benchmark read, in the order first seen.
type resultSet struct {
	order  []*benchmark
	byName map[string]*benchmark
}

func newResultSet() *resultSet { return &resultSet{byName: map[string]*benchmark{}} }

func (s *resultSet) empty() bool { return len(s.order) == 0 }

// with returns the benchmarks that report the unit.
func (s *resultSet) with(unit string) []*benchmark {
	var out []*benchmark
	for _, b := range s.order {
		if b.has(unit) {
			out = append(out, b)
		}
	}
	return out
}

// procsSuffix is the -GOMAXPROCS suffix go test adds to every name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// read adds every result line of go test -bench output; other lines (goos,
// PASS, logs) are skipped.
func (s *resultSet) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, res, ok := parseLine(sc.Text())
		if !ok {
			continue
		}
		b := s.byName[name]
		if b == nil {
			b = &benchmark{name: name, config: splitName(name)}
			s.byName[name] = b
			s.order = append(s.order, b)
		}
		b.samples = append(b.samples, res)
	}
	return sc.Err()
}

// parseLine reads "BenchmarkX/a=b-2  100  123 ns/op  45 B/op  1.5 full/floor".
func parseLine(line string) (string, sample, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", nil, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return "", nil, false
	}
	s := sample{}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		s[f[i+1]] = v
	}
	name := procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
	return name, s, true
}

func splitName(name string) []part {
	var parts []part
	for _, el := range strings.Split(name, "/") {
		if k, v, ok := strings.Cut(el, "="); ok {
			parts = append(parts, part{key: k, value: v})
		} else {
			parts = append(parts, part{value: el})
		}
	}
	return parts
}
