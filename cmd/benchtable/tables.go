package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// limits are the ratios above which a row is marked.
type limits struct{ overhead, scale float64 }

// Units internal/bench reports (see its bench_test.go).
const (
	unitNs         = "ns/op"
	unitBytes      = "B/op"
	unitAllocs     = "allocs/op"
	unitFloorNs    = "floor-ns/op"
	unitFloorB     = "floor-B/op"
	unitFloorAlloc = "floor-allocs/op"
	unitOverhead   = "full/floor"
	unitSmallNs    = "small-ns/op"
	unitScale      = "large/small"
	unitScaleP50   = "p50-large/small"
)

func writeTables(w io.Writer, set *resultSet, lim limits) {
	if bs := set.with(unitOverhead); len(bs) > 0 {
		keys := labelKeys(bs)
		fmt.Fprintf(w, "Overhead: the full path over its floor (the bare DynamoDB requests), measured interleaved; medians of %s; marked when over %.1f×\n\n",
			runs(bs), lim.overhead)
		cols := append(headers(keys), "full", "floor", "full/floor", "range over runs", "time spread", "allocs full, floor", "B/op full, floor")
		var rows [][]string
		for _, b := range bs {
			rows = append(rows, append(labels(b, keys),
				duration(b.median(unitNs)), duration(b.median(unitFloorNs)),
				mark(b.median(unitOverhead), lim.overhead), ratioRange(b, unitOverhead), percent(b.spread(unitNs)),
				count(b, unitAllocs)+", "+count(b, unitFloorAlloc), count(b, unitBytes)+", "+count(b, unitFloorB)))
		}
		writeMarkdown(w, cols, rows)
	}
	if bs := set.with(unitScale); len(bs) > 0 {
		keys := labelKeys(bs, "small", "large")
		fmt.Fprintf(w, "\nScale: the larger team over the smaller, measured interleaved; medians of %s; marked when over %.1f×. "+
			"\"ratio\" compares the mean times of a run, \"p50 ratio\" the median single requests\n\n",
			runs(bs), lim.scale)
		small, large := bs[0].get("small"), bs[0].get("large")
		cols := append(headers(keys), thousands(small)+" users", thousands(large)+" users", "ratio", "range over runs", "p50 ratio", "p50 range over runs", "time spread")
		var rows [][]string
		for _, b := range bs {
			// Results from before the p50 was reported have none.
			p50, p50Range := "–", "–"
			if b.has(unitScaleP50) {
				p50, p50Range = mark(b.median(unitScaleP50), lim.scale), ratioRange(b, unitScaleP50)
			}
			rows = append(rows, append(labels(b, keys),
				duration(b.median(unitSmallNs)), duration(b.median(unitNs)),
				mark(b.median(unitScale), lim.scale), ratioRange(b, unitScale), p50, p50Range, percent(b.spread(unitNs))))
		}
		writeMarkdown(w, cols, rows)
	}
	writeOthers(w, set)
}

// writeOthers lists the benchmarks that are no ratio, such as the own cost
// of each operation, with their medians.
func writeOthers(w io.Writer, set *resultSet) {
	var bs []*benchmark
	for _, b := range set.order {
		if !b.has(unitOverhead) && !b.has(unitScale) && b.has(unitNs) {
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return
	}
	keys := labelKeys(bs)
	fmt.Fprintf(w, "\nOther benchmarks, medians of %s\n\n", runs(bs))
	cols := append(headers(keys), "time", "time spread", "allocs", "B/op")
	var rows [][]string
	for _, b := range bs {
		rows = append(rows, append(labels(b, keys),
			duration(b.median(unitNs)), percent(b.spread(unitNs)), count(b, unitAllocs), count(b, unitBytes)))
	}
	writeMarkdown(w, cols, rows)
}

// labelKeys are the keys that tell rows apart, in the order they appear,
// but those skipped.
func labelKeys(bs []*benchmark, skip ...string) []string {
	var keys []string
	for _, b := range bs {
		for _, c := range b.config {
			if !slices.Contains(skip, c.key) && !slices.Contains(keys, c.key) {
				keys = append(keys, c.key)
			}
		}
	}
	return keys
}

func labels(b *benchmark, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if k == "" {
			out[i] = b.config[0].value // the top-level benchmark
		} else {
			out[i] = b.get(k)
		}
	}
	return out
}

func headers(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case "":
			out[i] = "benchmark"
		case "op":
			out[i] = "operation"
		default:
			out[i] = k
		}
	}
	return out
}

// runs says how many samples the medians are of.
func runs(bs []*benchmark) string {
	lo, hi := len(bs[0].samples), len(bs[0].samples)
	for _, b := range bs {
		lo, hi = min(lo, len(b.samples)), max(hi, len(b.samples))
	}
	if lo == hi {
		return fmt.Sprintf("%d runs", lo)
	}
	return fmt.Sprintf("%d to %d runs", lo, hi)
}

func writeMarkdown(w io.Writer, cols []string, rows [][]string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(cols)))
	for _, r := range rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

func mark(ratio, limit float64) string {
	s := fmt.Sprintf("%.2f×", ratio)
	if ratio > limit {
		s = "**" + s + "** (over " + strconv.FormatFloat(limit, 'f', -1, 64) + "×)"
	}
	return s
}

func ratioRange(b *benchmark, unit string) string {
	v := b.values(unit)
	return fmt.Sprintf("%.2f–%.2f", v[0], v[len(v)-1])
}

func duration(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.0f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func percent(f float64) string { return fmt.Sprintf("±%.0f%%", 100*f) }

func count(b *benchmark, unit string) string {
	if !b.has(unit) {
		return "–"
	}
	return thousands(strconv.FormatFloat(b.median(unit), 'f', 0, 64))
}

// thousands groups the digits of a whole number: 100000 → 100,000.
func thousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	return thousands(s[:len(s)-3]) + "," + s[len(s)-3:]
}
