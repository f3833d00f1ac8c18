package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/logging"
)

// captureProcessOutput points the process's stdout and stderr (file
// descriptors 1 and 2, not just os.Stdout) at a pipe until stop is called,
// and returns what was written to them meanwhile: whatever writes there,
// the logger, the metrics, a library or the runtime, is caught. Lines that
// are not JSON (the test framework's, a race report) are written back to
// the real stdout when capture stops, so that they are not lost.
func captureProcessOutput(t *testing.T) (stop func() []byte) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fds := []int{1, 2}
	saved := make([]int, len(fds))
	for i, fd := range fds {
		if saved[i], err = syscall.Dup(fd); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Dup3(int(w.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&buf, r)
		close(copied)
	}()
	var once sync.Once
	stop = func() []byte {
		once.Do(func() {
			for i, fd := range fds {
				_ = syscall.Dup3(saved[i], fd, 0)
				_ = syscall.Close(saved[i])
			}
			w.Close()
			<-copied
			r.Close()
			for _, line := range strings.Split(buf.String(), "\n") {
				if line != "" && !json.Valid([]byte(line)) {
					fmt.Fprintln(os.Stdout, line)
				}
			}
		})
		return buf.Bytes()
	}
	t.Cleanup(func() { stop() })
	return stop
}

var (
	anyEmail = regexp.MustCompile(`(?i)[a-z0-9._%+'-]+(?:@|%40)[a-z0-9-]+(?:\.[a-z0-9-]+)+`)
	anyPhone = regexp.MustCompile(`\+\d[\d ().-]{5,}\d`)
)

// TestLogsHoldNoPersonalData runs a user's whole life on the local stack,
// which logs and writes metrics exactly as the Lambdas do (the same
// logger, to stdout, at debug level so that nothing below info escapes the
// check), and scans every line the process wrote meanwhile, on stdout and
// stderr, for email addresses and phone numbers: by pattern, and by the
// exact addresses and numbers the journey used, as typed and as stored
// (SPEC §7). It also checks that the lines it must find are there: a line
// per request naming the caller by user id, lines per delivered batch, and
// the metrics.
func TestLogsHoldNoPersonalData(t *testing.T) {
	table := dynamotest.NewTable(t, dynamotest.Client(t))
	run := time.Now().UnixNano()
	var (
		annEmail    = fmt.Sprintf("Ann.Lee+%d@Example.com", run)
		annStored   = strings.ToLower(annEmail)
		annNewEmail = fmt.Sprintf("ann.leigh.%d@example.org", run)
		boEmail     = fmt.Sprintf("bo.%d@example.net", run)
		nobody      = fmt.Sprintf("nobody.%d@example.com", run)
		annPhone    = "+1 (415) 555-0134"
		annStoredPh = "+14155550134"
		annNewPhone = "+44 20 7946 0958"
		annNewStore = "+442079460958"
	)

	stop := captureProcessOutput(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the process wrote:\n%s", stop())
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stack, err := local.Start(ctx, local.Config{
		Addr: "127.0.0.1:0", DynamoDBEndpoint: dynamodblocal.EndpointFromEnv(), TableName: table,
		InviteRate: lambdaenv.MaxInviteRate,
		// A cold DynamoDB Local may take seconds over a first
		// transaction; this test is about logs, not deadlines.
		RequestTimeout: 30 * time.Second,
		Log:            logging.New(os.Stdout, slog.LevelDebug), Metrics: os.Stdout, Console: os.Stdout,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Stop()

	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	var ann struct {
		Email, Phone string
		ID           string
	}
	resp := c.do("POST", "/v1/businesses/demo/users",
		fmt.Sprintf(`{"email":%q,"firstName":"Ann","lastName":"Lee","phone":%q,"permissions":["conversations","crm"]}`, annEmail, annPhone), &ann)
	expect(t, "invite with phone", resp, 201)
	if ann.Phone != annStoredPh {
		t.Fatalf("invited with phone %q, want %q", ann.Phone, annStoredPh)
	}
	expect(t, "duplicate invite", c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":%q}`, annEmail), nil), 409)
	expect(t, "invalid phone", c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":%q,"phone":"+1 555 0134 999 999 999"}`, boEmail), nil), 400)
	expect(t, "get", c.do("GET", "/v1/businesses/demo/users/"+annStored, "", nil), 200)
	expect(t, "get nobody", c.do("GET", "/v1/businesses/demo/users/"+nobody, "", nil), 404)
	expect(t, "edit contact", c.do("PATCH", "/v1/businesses/demo/users/"+annStored,
		fmt.Sprintf(`{"email":%q,"phone":%q,"lastName":"Leigh"}`, annNewEmail, annNewPhone), nil, "If-Match", resp.Header.Get("ETag")), 200)
	expect(t, "change permissions", c.do("PUT", "/v1/businesses/demo/users/"+annNewEmail+"/permissions", `{"permissions":["home"]}`, nil), 200)
	owner := c.token
	c.signIn(annNewEmail)
	expect(t, "member reads self", c.do("GET", "/v1/businesses/demo/users/"+annNewEmail, "", nil), 200)
	expect(t, "member lists team", c.do("GET", "/v1/businesses/demo/users", "", nil), 403)
	c.token = owner
	expect(t, "remove", c.do("DELETE", "/v1/businesses/demo/users/"+annNewEmail, "", nil), 204)
	expect(t, "invite without phone", c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":%q}`, boEmail), nil), 201)
	expect(t, "activity", c.do("GET", "/v1/businesses/demo/activity?userId="+ann.ID, "", nil), 200)

	// Delivery: the emails (Ann's welcome, the welcome at her new address
	// and the notice to her old one, Bo's welcome) and the events of Ann's
	// whole life (added, contact changed, permissions changed, activated
	// by her first request, removed) and of Bo's invite (6) have gone out.
	eventually(t, "the emails", func() bool {
		return len(c.emailsTo(annStored)) == 2 && len(c.emailsTo(annNewEmail)) == 1 && len(c.emailsTo(boEmail)) == 1
	})
	eventually(t, "the events", func() bool {
		return len(c.eventsFor("demo", annStored))+len(c.eventsFor("demo", annNewEmail))+len(c.eventsFor("demo", boEmail)) == 6
	})
	// Stopping the stack waits for the consumer to finish its batches,
	// whose lines and metrics come after the sends.
	stack.Stop()
	out := stop()

	forbidden := []string{annEmail, annStored, annNewEmail, boEmail, nobody, local.DemoOwner,
		strings.ReplaceAll(annStored, "@", "%40"), annPhone, annStoredPh, annNewPhone, annNewStore,
		"4155550134", "555-0134", "2079460958", "7946 0958"}
	var requests, callerNamed, batches, emailMetrics int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		lines++
		if m := anyEmail.FindString(line); m != "" {
			t.Errorf("a line holds the email address %q: %s", m, line)
		}
		if m := anyPhone.FindString(line); m != "" {
			t.Errorf("a line holds the phone number %q: %s", m, line)
		}
		for _, f := range forbidden {
			if strings.Contains(strings.ToLower(line), strings.ToLower(f)) {
				t.Errorf("a line holds %q: %s", f, line)
			}
		}
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) != nil {
			continue
		}
		switch {
		case v["msg"] == "request":
			requests++
			if id, _ := v["userId"].(string); strings.HasPrefix(id, "usr_") {
				callerNamed++
			}
		case v["msg"] == "delivery batch":
			batches++
		case v["_aws"] != nil && v["EmailsSent"] != nil:
			emailMetrics++
		}
	}
	t.Logf("scanned %d lines: %d request lines (%d naming the caller by user id), %d delivery batches, %d delivery metric documents",
		lines, requests, callerNamed, batches, emailMetrics)
	// The sign-ins go to /dev/token, which is not the API; the API
	// answered 12 requests.
	if requests != 12 {
		t.Errorf("%d request lines, want one per API request (12)", requests)
	}
	// Every request but the refused invalid phone's (400 before the
	// service reads the caller) names its caller.
	if callerNamed != 11 {
		t.Errorf("%d request lines name the caller's user id, want 11", callerNamed)
	}
	if batches == 0 || emailMetrics == 0 {
		t.Errorf("%d delivery batch lines and %d delivery metric documents, want some of each", batches, emailMetrics)
	}
}
