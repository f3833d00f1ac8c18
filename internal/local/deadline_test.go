package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/local"
)

// stallProxy is a TCP proxy on 127.0.0.1 in front of DynamoDB Local that
// can be told to stall: while stalled it accepts connections and reads
// what clients send, but forwards nothing in either direction, as a
// database that has frozen. On resume it forwards what it held, so a write
// sent during the stall may still be applied afterwards, as it may be when
// a real database recovers.
type stallProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	resume chan struct{} // non-nil while stalled
	conns  []net.Conn
}

func startStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) addr() string { return p.ln.Addr().String() }

func (p *stallProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resume == nil {
		p.resume = make(chan struct{})
	}
}

func (p *stallProxy) unstall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resume != nil {
		close(p.resume)
		p.resume = nil
	}
}

// gate blocks while the proxy is stalled.
func (p *stallProxy) gate() {
	p.mu.Lock()
	ch := p.resume
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (p *stallProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		upstream, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, upstream)
		p.mu.Unlock()
		go p.pipe(upstream, client)
		go p.pipe(client, upstream)
	}
}

func (p *stallProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) close() {
	p.unstall()
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// stallTimeout is the local stack's REQUEST_TIMEOUT in this test: shorter
// than the default 5 s so that the test is quick, the same code path.
const stallTimeout = 2 * time.Second

// stallMargin is how much later than the deadline an answer may come: the
// time to write it and for the test's client to read it on a busy machine.
const stallMargin = 750 * time.Millisecond

// TestStalledDatabaseAnswers503InTime (invariant I11): with DynamoDB
// frozen, every request in flight gets 503 unavailable with Retry-After,
// in the API's JSON, within its deadline; once the database answers again
// the service works again (reads and an invite succeed within a few
// retries, as a client honouring Retry-After would make them), and each
// write attempted during the stall was applied whole (the user and its
// activity record) or not at all.
func TestStalledDatabaseAnswers503InTime(t *testing.T) {
	dynamotest.Client(t) // skips (or fails under REQUIRE_DYNAMODB) without DynamoDB Local
	ddb, err := url.Parse(dynamodblocal.EndpointFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	proxy := startStallProxy(t, ddb.Host)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stack, err := local.Start(ctx, local.Config{
		Addr: "127.0.0.1:0", DynamoDBEndpoint: "http://" + proxy.addr(), TableName: dynamotest.NewTable(t, dynamotest.Client(t)),
		RequestTimeout: stallTimeout, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Stop()
	defer proxy.unstall() // before Stop, so nothing waits on the frozen database
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	// The deadline is short, so on a machine busy with other tests even a
	// request before the stall may miss it; a 503 leaves an invite's
	// outcome unknown, so each attempt invites someone new.
	invite := func(what, prefix string) {
		t.Helper()
		resp := c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":"%s-0@example.com"}`, prefix), nil)
		for attempt := 1; resp.StatusCode == http.StatusServiceUnavailable && attempt < 5; attempt++ {
			t.Logf("%s, attempt %d: 503", what, attempt)
			resp = c.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":"%s-%d@example.com"}`, prefix, attempt), nil)
		}
		expect(t, what, resp, 201)
	}
	invite("invite before the stall", "before")

	proxy.stall()
	type result struct {
		what       string
		status     int
		took       time.Duration
		code       string
		retryAfter string
		err        error
	}
	const invites, reads = 8, 4
	results := make(chan result, invites+reads)
	var wg sync.WaitGroup
	send := func(what, method, path, body string) {
		defer wg.Done()
		req, _ := http.NewRequest(method, stack.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.token)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		r := result{what: what, took: time.Since(start), err: err}
		if err == nil {
			var e apiError
			r.err = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			r.took = time.Since(start)
			r.status, r.code, r.retryAfter = resp.StatusCode, string(e.Error.Code), resp.Header.Get("Retry-After")
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				r.err = fmt.Errorf("Content-Type %q", ct)
			}
		}
		results <- r
	}
	for i := range invites {
		wg.Add(1)
		go send(fmt.Sprintf("invite %d", i), "POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":"stall-%d@example.com"}`, i))
	}
	for i := range reads {
		wg.Add(1)
		go send(fmt.Sprintf("list %d", i), "GET", "/v1/businesses/demo/users", "")
	}
	wg.Wait()
	close(results)
	var slowest time.Duration
	for r := range results {
		slowest = max(slowest, r.took)
		t.Logf("%s during the stall: %d %s in %s", r.what, r.status, r.code, r.took.Round(time.Millisecond))
		switch {
		case r.err != nil:
			t.Errorf("%s: not a JSON answer: %v", r.what, r.err)
		case r.status != http.StatusServiceUnavailable || r.code != "unavailable":
			t.Errorf("%s: %d %q, want 503 unavailable", r.what, r.status, r.code)
		case r.retryAfter == "":
			t.Errorf("%s: 503 without Retry-After", r.what)
		}
		if r.took > stallTimeout+stallMargin {
			t.Errorf("%s took %s, want at most the deadline %s + %s", r.what, r.took, stallTimeout, stallMargin)
		}
	}
	t.Logf("slowest answer during the stall: %s (deadline %s)", slowest.Round(time.Millisecond), stallTimeout)

	proxy.unstall()
	// What the proxy held is forwarded now; writes it held may still
	// commit. Give them a moment, then read the state they left.
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	var list struct {
		Users []struct{ Email string }
	}
	// The database answers again at once, but the requests the proxy held
	// reach it together with the first ones after the stall: on a machine
	// busy with other tests that queue can outlast one short deadline (an
	// attempt's response is awaited a third of it), so a request after the
	// stall may answer 503 a few times, as a client that honours
	// Retry-After would see it; the service must not stay unavailable.
	read := func(what, path string, into any) *http.Response {
		resp := c.do("GET", path, "", into)
		for attempt := 1; resp.StatusCode == http.StatusServiceUnavailable && attempt < 5; attempt++ {
			t.Logf("%s, attempt %d: 503", what, attempt)
			resp = c.do("GET", path, "", into)
		}
		return resp
	}
	expect(t, "list after the stall", read("list after the stall", "/v1/businesses/demo/users?limit=100", &list), 200)
	t.Logf("first answer after the stall in %s", time.Since(start).Round(time.Millisecond))
	users := map[string]bool{}
	for _, u := range list.Users {
		users[u.Email] = true
	}
	var activity struct {
		Activity []struct {
			Type   string
			Target struct{ Email string }
		}
	}
	expect(t, "activity after the stall", read("activity after the stall", "/v1/businesses/demo/activity?limit=100", &activity), 200)
	added := map[string]bool{}
	for _, a := range activity.Activity {
		if a.Type == "user.added" {
			added[a.Target.Email] = true
		}
	}
	applied := 0
	for i := range invites {
		email := fmt.Sprintf("stall-%d@example.com", i)
		if users[email] != added[email] {
			t.Errorf("%s: user present %v but its user.added activity present %v: a write was half-applied", email, users[email], added[email])
		}
		if users[email] {
			applied++
		}
	}
	t.Logf("%d of %d invites sent during the stall were applied whole after it, %d not at all", applied, invites, invites-applied)
	invite("invite after the stall", "after")
}
