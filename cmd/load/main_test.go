package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
)

// TestSmoke runs a short load against an in-process local stack and
// expects every invariant to hold.
func TestSmoke(t *testing.T) {
	dynamotest.Client(t) // skips (or, in CI, fails) without DynamoDB Local
	cfg := config{
		duration: 3 * time.Second, concurrency: 4, businesses: 2, maxRequests: 100_000, seed: 1,
		drainLimit: time.Minute, dynamoDBEndpoint: dynamodblocal.EndpointFromEnv(),
		// The smoke run checks the invariants and the report, not the
		// deadline (internal/local's deadline test does): a generous one
		// keeps a machine busy with make test's browser tests from
		// turning slow commits into 503s whose outcome the checks cannot
		// attribute.
		requestTimeout: 30 * time.Second,
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	code := execute(context.Background(), cfg, &out, &errs)
	t.Log(out.String())
	if code != 0 {
		t.Fatalf("exit status %d\n%s", code, errs.String())
	}
	for _, want := range []string{"requests/s", "InviteUser", "ListUsers", "PASS  no 5xx", "all invariants hold"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// The delivery lags are measured from what the run committed, not
	// left out because the stack did not time them.
	for _, what := range []string{"welcome emails", "events"} {
		if !regexp.MustCompile(`(?m)^  ` + what + ` +\d+  p50 .* p90 .* p99 .* max `).MatchString(out.String()) {
			t.Errorf("the report has no lag percentiles of %s", what)
		}
	}
	if strings.Contains(out.String(), "not measured") {
		t.Errorf("some deliveries were not measured")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for target, ok := range map[string]bool{
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080":      true,
		"http://[::1]:8080":          true,
		"http://127.1.2.3":           true,
		"http://10.0.0.1:8080":       false,
		"https://api.example.com":    false,
		"http://localhost.evil.test": false,
		"ftp://127.0.0.1":            false,
		"127.0.0.1:8080":             false,
	} {
		if err := checkLoopback(target); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%t", target, err, ok)
		}
	}
}

func TestFlagsAreBounded(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "11m"},
		{"-duration", "0s"},
		{"-concurrency", "0"},
		{"-concurrency", "65"},
		{"-businesses", "101"},
		{"-requests", "0"},
		{"-target", "http://192.168.1.10:8080"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	if _, err := parseFlags([]string{"-duration", "5s", "-target", "http://127.0.0.1:8080"}, &bytes.Buffer{}); err != nil {
		t.Errorf("parseFlags refused a valid run: %v", err)
	}
}

// The event log stitches the emulator's windows together: events dropped
// from the front are kept, new ones are added once, and losing sight of
// the whole last window is noticed.
func TestEventLogStitchesWindows(t *testing.T) {
	ev := func(ids ...string) []deliveredEvent {
		var out []deliveredEvent
		for _, id := range ids {
			out = append(out, deliveredEvent{DetailType: "UserAdded", Detail: []byte(`{"eventId":"` + id + `"}`)})
		}
		return out
	}
	l := &eventLog{}
	steps := []struct {
		window []deliveredEvent
		added  int
	}{
		{ev("a", "b"), 2},
		{ev("a", "b", "c"), 1},      // appended
		{ev("b", "c", "d", "e"), 2}, // a dropped from the front, two appended
		{ev("c", "d", "e"), 0},      // only dropped
		{ev("e", "e"), 1},           // c, d dropped; a duplicate delivery of e
	}
	for i, s := range steps {
		before := len(l.all)
		l.all = append(l.all, l.newSince(s.window)...)
		l.window = s.window
		if got := len(l.all) - before; got != s.added || l.overflowed {
			t.Fatalf("step %d: added %d (overflowed %t), want %d", i, got, l.overflowed, s.added)
		}
	}
	l.all = append(l.all, l.newSince(ev("x", "y"))...)
	if !l.overflowed {
		t.Error("a window sharing nothing with the last one was not noticed")
	}
}
