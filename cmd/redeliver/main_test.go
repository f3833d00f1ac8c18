package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/sesmail"
)

// outage stands for SES while it is down: every send fails as a throttled
// or unavailable SES does, which the consumer retries.
type outage struct {
	sesmail.Client
	down    atomic.Bool
	refused atomic.Int64
}

func (o *outage) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	if o.down.Load() {
		o.refused.Add(1)
		return nil, errors.New("SES is unavailable (the test's outage)")
	}
	return o.Client.SendEmail(ctx, in, opts...)
}

// logBuffer collects the stack's log lines, written from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The whole story of SPEC §7's redelivery on the local stack: SES refuses
// for longer than the stream's retry window, so the records go to the
// failure path; SES recovers, but the stream has moved on; the command
// finds the records in the table and delivers every missed email and event
// exactly once, and a second run sends nothing.
func TestRedeliveryAfterTheStreamGaveUp(t *testing.T) {
	db := dynamotest.Client(t) // skips (or, in CI, fails) without DynamoDB Local
	logs := &logBuffer{}
	ses := &outage{}
	ses.down.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stack, err := local.Start(ctx, local.Config{
		Addr: "127.0.0.1:0", DynamoDBEndpoint: dynamodblocal.EndpointFromEnv(), TableName: dynamotest.NewTable(t, db),
		InviteRate: lambdaenv.MaxInviteRate,
		// This test is about delivery, not deadlines: a machine busy with
		// other work must not turn its invites into 503s.
		RequestTimeout: 30 * time.Second,
		// A short retry window: two retries, then the failure path.
		StreamRetryAttempts: 2,
		WrapSES:             func(c sesmail.Client) sesmail.Client { ses.Client = c; return ses },
		Log:                 slog.New(slog.NewJSONHandler(logs, nil)), Console: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Stop)
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)

	run := time.Now().UnixNano()
	invited := []string{fmt.Sprintf("ann-%d@example.com", run), fmt.Sprintf("bo-%d@example.com", run), fmt.Sprintf("cy-%d@example.com", run)}
	for _, email := range invited {
		c.expect("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":%q}`, email), 201)
	}
	// A change that sends no email: its event does not wait for SES.
	c.expect("PUT", "/v1/businesses/demo/users/"+invited[0]+"/permissions", `{"permissions":["crm"]}`, 200)

	// The invites' records are retried, then given up on: in AWS they would
	// be on the on-failure queue, and the alarm would fire.
	added := c.activityIDs("user.added", invited)
	eventually(t, "the stream gives up on every invite", func() bool {
		gaveUp := givenUp(t, logs.String())
		for _, id := range added {
			if !gaveUp[id] {
				return false
			}
		}
		return true
	})
	if ses.refused.Load() == 0 {
		t.Fatal("SES was never asked: the outage did not happen")
	}
	for _, email := range invited {
		if n := len(c.emailsTo(email)); n != 0 {
			t.Fatalf("%s got %d emails while SES was down", email, n)
		}
		if got := c.eventsAbout(email); got["UserAdded"] != 0 {
			t.Fatalf("%s's UserAdded went out while its invite's email could not: %v", email, got)
		}
	}
	// SES recovers; the stream has moved on and delivers nothing more.
	ses.down.Store(false)
	time.Sleep(time.Second)
	for _, email := range invited {
		if n := len(c.emailsTo(email)); n != 0 {
			t.Fatalf("the stream delivered %s's email after giving it up", email)
		}
	}
	emailsBefore, eventsBefore := len(c.allEmails()), len(c.allEvents())

	// The operator runs the command, with the consumer's settings and the
	// AWS endpoints in the environment as the README shows.
	setEnv(t, stack.DeliveryEnv())
	out, code := redeliver(t, "-business", "demo", "-until", "now")
	if code != 0 {
		t.Fatalf("redeliver exited %d:\n%s", code, out)
	}
	for _, email := range invited {
		if n := len(c.emailsTo(email)); n != 1 {
			t.Errorf("%s got %d welcome emails, want exactly 1", email, n)
		}
		want := map[string]int{"UserAdded": 1}
		if email == invited[0] {
			want["UserPermissionsChanged"] = 1
		}
		if got := c.eventsAbout(email); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events about %s = %v, want %v (each exactly once)", email, got, want)
		}
	}
	sent, put := len(c.allEmails())-emailsBefore, len(c.allEvents())-eventsBefore
	if want := fmt.Sprintf("sent %d emails and put %d events;", sent, put); !strings.Contains(out, want) || sent < len(invited) {
		t.Errorf("the summary does not say what went out (%q):\n%s", want, out)
	}
	if !strings.Contains(out, "done: nothing is left undelivered") {
		t.Errorf("the summary does not confirm it is done:\n%s", out)
	}

	// Run twice, it sends nothing the second time, for one business or all.
	for _, args := range [][]string{{"-business", "demo", "-until", "now"}, {"-all", "-until", "now"}} {
		out, code = redeliver(t, args...)
		if code != 0 || !strings.Contains(out, "found 0 undelivered records") || !strings.Contains(out, "sent 0 emails and put 0 events") {
			t.Errorf("redeliver %v again: exit %d, want 0 and nothing sent:\n%s", args, code, out)
		}
	}
	if e, v := len(c.allEmails())-emailsBefore, len(c.allEvents())-eventsBefore; e != sent || v != put {
		t.Errorf("the second runs sent %d emails and %d events", e-sent, v-put)
	}
}

func redeliver(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(context.Background(), args, time.Now(), &out, &errs)
	t.Logf("redeliver %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errs.String())
	return out.String(), code
}

// setEnv sets the variables for the test, and keeps the SDK away from the
// machine's own AWS configuration.
func setEnv(t *testing.T, env map[string]string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv(lambdaenv.EnvEndpoint, "")
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// givenUp reads the activity ids the stack's stream gave up on from its
// log lines.
func givenUp(t *testing.T, logs string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			Msg         string
			ActivityIDs []string `json:"activityIds"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || !strings.HasPrefix(l.Msg, "stream records given up on") {
			continue
		}
		for _, id := range l.ActivityIDs {
			out[id] = true
		}
	}
	return out
}

func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !check(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
	}
}

// client drives the local stack over HTTP.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path, body string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (c *client) expect(method, path, body string, status int) {
	c.t.Helper()
	if got := c.do(method, path, body, nil); got != status {
		c.t.Fatalf("%s %s = %d, want %d", method, path, got, status)
	}
}

func (c *client) signIn(email string) {
	c.t.Helper()
	var tok struct{ Token string }
	if c.do("POST", "/dev/token", fmt.Sprintf(`{"email":%q}`, email), &tok) != 200 || tok.Token == "" {
		c.t.Fatal("no token")
	}
	c.token = tok.Token
}

// activityIDs are the ids of the activity of a type about the emails.
func (c *client) activityIDs(typ string, emails []string) []string {
	c.t.Helper()
	var page struct {
		Activity []struct {
			ID     string
			Type   string
			Target struct{ Email string }
		}
	}
	c.do("GET", "/v1/businesses/demo/activity?limit=100&type="+typ, "", &page)
	var ids []string
	for _, a := range page.Activity {
		for _, e := range emails {
			if a.Target.Email == e {
				ids = append(ids, a.ID)
			}
		}
	}
	if len(ids) != len(emails) {
		c.t.Fatalf("found %d %s activities of %d users", len(ids), typ, len(emails))
	}
	return ids
}

func (c *client) allEmails() []local.SentEmail {
	c.t.Helper()
	var all []local.SentEmail
	c.do("GET", "/dev/emails", "", &all)
	return all
}

func (c *client) emailsTo(to string) []local.SentEmail {
	var out []local.SentEmail
	for _, e := range c.allEmails() {
		if e.To == to {
			out = append(out, e)
		}
	}
	return out
}

func (c *client) allEvents() []local.PutEvent {
	c.t.Helper()
	var all []local.PutEvent
	c.do("GET", "/dev/events", "", &all)
	return all
}

// eventsAbout counts the events about a user of the demo business by
// detail-type.
func (c *client) eventsAbout(email string) map[string]int {
	out := map[string]int{}
	for _, e := range c.allEvents() {
		var d struct {
			BusinessID string
			User       struct{ Email string }
		}
		if json.Unmarshal(e.Detail, &d) == nil && d.BusinessID == "demo" && d.User.Email == email {
			out[e.DetailType]++
		}
	}
	return out
}
