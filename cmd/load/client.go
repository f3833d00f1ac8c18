package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// checkLoopback refuses any target but this machine: a load run must never
// reach a shared or deployed environment.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-target %q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-target %q is not on this machine: only loopback targets (127.0.0.0/8, ::1, localhost) are accepted", raw)
}

// apiClient sends requests to the stack and records each measured one.
type apiClient struct {
	base  string
	http  *http.Client
	stats *stats
}

// requestTimeout is far above any latency a healthy local stack shows; a
// request that takes longer counts as a transport error.
const requestTimeout = 30 * time.Second

func newAPIClient(base string, concurrency int, st *stats) *apiClient {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Every client keeps its connections: the load measures the API, not
	// TCP handshakes. Races send two requests per client at once.
	transport.MaxIdleConnsPerHost = 2*concurrency + 4
	return &apiClient{base: strings.TrimSuffix(base, "/"), http: &http.Client{Transport: transport, Timeout: requestTimeout}, stats: st}
}

// reply is an answer: its status, error code (for 4xx and 5xx) and body.
type reply struct {
	status int
	code   string
	header http.Header
	body   []byte
}

// outcome is how the stats and verdicts see a reply: "201", "409
// user_exists", or "transport error" when there was no answer.
func (r reply) outcome() string {
	switch {
	case r.status == 0:
		return "transport error"
	case r.code != "":
		return fmt.Sprintf("%d %s", r.status, r.code)
	}
	return fmt.Sprint(r.status)
}

// decode reads the body as JSON into v.
func (r reply) decode(v any) error { return json.Unmarshal(r.body, v) }

// call sends one request. op names it in the stats; "" leaves it out (the
// setup and the final checks are not part of the measured load). A
// transport error comes back as a reply with status 0, since the load goes
// on and the verdicts must know the outcome is unknown.
func (c *apiClient) call(ctx context.Context, op, method, path, token string, body any, header ...string) reply {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			panic(err) // the bodies are built here, from plain values
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return reply{}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	var r reply
	if err == nil {
		r.status, r.header = resp.StatusCode, resp.Header
		r.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			r = reply{}
		}
	}
	elapsed := time.Since(start)
	if r.status >= 400 {
		var e struct {
			Error struct{ Code string }
		}
		_ = json.Unmarshal(r.body, &e)
		r.code = e.Error.Code
	}
	if op != "" && ctx.Err() == nil {
		c.stats.record(op, r.outcome(), r.status, elapsed)
	}
	return r
}

// token gets a token of the local stack for the email.
func (c *apiClient) token(ctx context.Context, email string) (string, error) {
	r := c.call(ctx, "", "POST", "/dev/token", "", map[string]string{"email": email})
	var out struct{ Token string }
	if r.status != http.StatusOK || r.decode(&out) != nil || out.Token == "" {
		return "", fmt.Errorf("POST /dev/token for %s: %s", email, r.outcome())
	}
	return out.Token, nil
}
