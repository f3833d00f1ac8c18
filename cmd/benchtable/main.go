// Command benchtable reads the output of the benchmarks of internal/bench
// (go test -bench, any -count) and prints the ratios `make bench` is for,
// as Markdown tables:
//
//   - overhead: each operation's full path over its floor, the bare
//     DynamoDB requests it needs (the full/floor metric);
//   - scale: a page of users and an invite in the larger team over the
//     smaller (the large/small metric);
//   - the other benchmarks (such as each operation's own cost), as medians.
//
// Both sides of a ratio are measured interleaved in one benchmark, so each
// run yields a ratio; the tables give the median over the runs and the
// range, and the time spread (how far the runs' absolute times strayed
// from their median) says how noisy the machine was. Ratios over the
// limits (-overhead, -scale) are marked.
//
// Usage: benchtable [-overhead 1.5] [-scale 1.2] [file ...] (stdin when no file)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	overhead := flag.Float64("overhead", 1.5, "mark overhead ratios above this")
	scale := flag.Float64("scale", 1.2, "mark scale ratios above this")
	flag.Parse()
	if err := run(flag.Args(), limits{overhead: *overhead, scale: *scale}, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(files []string, lim limits, stdin io.Reader, stdout io.Writer) error {
	set := newResultSet()
	if len(files) == 0 {
		if err := set.read(stdin); err != nil {
			return err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = set.read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if set.empty() {
		return fmt.Errorf("no benchmark results in the input")
	}
	w := bufio.NewWriter(stdout)
	writeTables(w, set, lim)
	return w.Flush()
}
