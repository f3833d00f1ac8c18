package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGeneratedFilesAreFresh fails when a generated file differs from what
// the route table gives, or when a generated main is left over from a route
// that is gone: run `go generate ./...` and commit the result.
func TestGeneratedFilesAreFresh(t *testing.T) {
	const root = "../.."
	files, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range sortedKeys(files) {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v; run `go generate ./...`", path, err)
			continue
		}
		if !bytes.Equal(got, files[path]) {
			t.Errorf("%s is stale; run `go generate ./...` (-on disk +generated):\n%s", path, cmp.Diff(string(got), string(files[path])))
		}
	}
	stale, err := staleMains(root, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("generated mains of routes no longer in the table: %v; run `go generate ./...`", stale)
	}
}

// TestGenerateIsDeterministic checks that two runs give the same bytes, so
// that the freshness test cannot flap.
func TestGenerateIsDeterministic(t *testing.T) {
	a, err := generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two runs differ:\n%s", d)
	}
}
