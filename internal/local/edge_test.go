package local_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// rawRequest sends a request exactly as written (Go's client would clean
// or refuse some of these paths) and returns the response.
func rawRequest(t *testing.T, addr, method, target string, header map[string]string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: 0\r\n", method, target, addr)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestEveryAnswerIsJSON (SPEC §4): paths ServeMux would clean with a
// redirect, unknown routes and methods, and oversized headers are all
// answered in the API's JSON error format, never with a redirect, HTML or
// plain text. The web page and its assets are served as before
// (TestWebPageRoutes).
func TestEveryAnswerIsJSON(t *testing.T) {
	stack := localtest.Start(t, "")
	addr := strings.TrimPrefix(stack.URL, "http://")
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	auth := map[string]string{"Authorization": "Bearer " + c.token}
	for _, tt := range []struct {
		method, target string
		header         map[string]string
		status         int
		code           string
		allow          string
	}{
		{"DELETE", "/v1/businesses/demo//users/owner@demo.test", auth, 404, "not_found", ""},
		{"GET", "/v1/businesses/demo/./users", auth, 404, "not_found", ""},
		{"GET", "/v1/businesses/demo/../demo/users", auth, 404, "not_found", ""},
		{"GET", "//v1/businesses/demo/users", auth, 404, "not_found", ""},
		{"GET", "/v1/businesses/demo/users/.", auth, 404, "not_found", ""},
		{"GET", "/V1/businesses/demo/users", auth, 404, "not_found", ""},
		{"GET", "/v2", auth, 404, "not_found", ""},
		{"GET", "/v1", auth, 404, "not_found", ""},
		{"GET", "/v1/", auth, 404, "not_found", ""},
		{"GET", "/v1/nothing", auth, 404, "not_found", ""},
		{"GET", "/dev", nil, 404, "not_found", ""},
		{"GET", "/dev/nothing", nil, 404, "not_found", ""},
		{"GET", "/assets/", nil, 404, "not_found", ""},
		{"GET", "/assets/missing.js", nil, 404, "not_found", ""},
		{"GET", "/not%20an%20id", nil, 404, "not_found", ""},
		{"GET", "/demo/administration", nil, 404, "not_found", ""},
		{"GET", "/a/b/c/d/e", nil, 404, "not_found", ""},
		{"GET", "/dev/token", nil, 405, "invalid_request", "POST"},
		{"DELETE", "/dev/emails", nil, 405, "invalid_request", "GET, HEAD"},
		{"POST", "/config.json", nil, 405, "invalid_request", "GET, HEAD"},
		{"POST", "/demo/administration/users", nil, 405, "invalid_request", "GET, HEAD"},
		{"PUT", "/v1/businesses/demo/users", auth, 405, "invalid_request", "GET, POST"},
		{"BREW", "/v1/businesses/demo/users", auth, 405, "invalid_request", "GET, POST"},
		{"GET", "/v1/businesses/demo/tabs", map[string]string{"Authorization": auth["Authorization"], "X-Big": strings.Repeat("a", 20<<10)}, 431, "invalid_request", ""},
	} {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tt.method, tt.target, tt.header)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d; body %q", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json; body %q", ct, body)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("Location %q: no redirects", loc)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("body %q, want the JSON error %s with a message (%v)", body, tt.code, err)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}
