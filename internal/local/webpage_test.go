package local_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/local/localtest"
	"github.com/businessapp/usermanagement/web"
)

// TestWebPageRoutes checks what the local stack serves for the web page:
// the page on its route, its assets, its local config, and the welcome
// email's /{businessId} link redirecting to the page; the API is unchanged.
func TestWebPageRoutes(t *testing.T) {
	stack := localtest.Start(t, "")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := noRedirect.Get(stack.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	for _, path := range []string{"/demo/administration/users", "/any-business/administration/users/"} {
		resp, body := get(path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "/assets/app.js") {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp, _ := get("/demo"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/demo/administration/users" {
		t.Errorf("GET /demo = %d to %q, want a redirect to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := get("/assets/app.js"); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(body, "import") {
		t.Errorf("GET /assets/app.js = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Browsers refuse an ES module served with another type, so every file
	// the page is made of is checked, not only its entry.
	assets, err := fs.Glob(web.Files(), "assets/*")
	if err != nil || len(assets) < 2 {
		t.Fatalf("embedded assets = %v, %v", assets, err)
	}
	wantType := map[string]string{".js": "text/javascript", ".css": "text/css"}
	for _, name := range assets {
		want, ok := wantType[path.Ext(name)]
		if !ok {
			t.Errorf("%s: no expected Content-Type for this kind of file; add it here", name)
			continue
		}
		if resp, _ := get("/" + name); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("GET /%s = %d %s, want 200 %s", name, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
	resp, body := get("/config.json")
	var cfg struct {
		APIBaseURL string `json:"apiBaseUrl"`
		TokenMode  string `json:"tokenMode"`
	}
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || resp.StatusCode != 200 || cfg.TokenMode != "local" || cfg.APIBaseURL != "" {
		t.Errorf("GET /config.json = %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/assets/", "/demo/administration", "/demo/administration/users/x", "/not%20an%20id", "/config.js"} {
		if resp, _ := get(path); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := get("/v1/businesses/demo/users"); resp.StatusCode != 401 {
		t.Errorf("API without a token = %d, want 401", resp.StatusCode)
	}
}

// TestWebPageHeaders checks the headers every file of the page is served
// with on the local stack (issue 12): nosniff and a same-origin referrer
// policy on the page, its assets and its config, and the content security
// policy on the page, which allows index.html's inline first-paint style
// by its hash (the browser would otherwise ignore it, and the skeleton
// would paint unstyled) and no other inline style.
func TestWebPageHeaders(t *testing.T) {
	stack := localtest.Start(t, "")
	inlineStyle, err := web.InlineStyleSource()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/demo/administration/users", "/assets/app.js", "/assets/app.css", "/config.json"} {
		resp, err := http.Get(stack.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", path, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("GET %s: Referrer-Policy %q, want same-origin", path, got)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if path == "/demo/administration/users" && (!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors")) {
			t.Errorf("GET %s: Content-Security-Policy %q, want the page's policy", path, csp)
		}
		if path == "/demo/administration/users" && (!strings.Contains(csp, "style-src 'self' "+inlineStyle+";") || strings.Contains(csp, "unsafe-inline")) {
			t.Errorf("GET %s: Content-Security-Policy %q, want style-src 'self' %s (index.html's inline style) and no 'unsafe-inline'", path, csp, inlineStyle)
		}
	}
}

// TestWebPageCompressed checks that the local stack sends the page's files
// gzipped to a browser that accepts it (issue 12: on a slow network their
// bytes were a second of the wait), byte for byte the embedded file once
// unzipped, and plain to a client that does not.
func TestWebPageCompressed(t *testing.T) {
	stack := localtest.Start(t, "")
	get := func(path, acceptEncoding string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, stack.URL+path, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		// A Transport asks for gzip itself and hides it; this one does not.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	for path, file := range map[string]string{"/assets/app.js": "assets/app.js", "/assets/app.css": "assets/app.css", "/demo/administration/users": "index.html"} {
		want, err := fs.ReadFile(web.Files(), file)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := get(path, "gzip, deflate, br")
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s accepting gzip: Content-Encoding %q Vary %q, want gzip", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, want) || len(body) >= len(want) {
			t.Errorf("GET %s: %d gzipped bytes unzip to %d, want the %d of %s, smaller", path, len(body), len(got), len(want), file)
		}
		if ct := resp.Header.Get("Content-Type"); (path == "/assets/app.js" && !strings.HasPrefix(ct, "text/javascript")) || (path == "/assets/app.css" && !strings.HasPrefix(ct, "text/css")) {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if resp, body := get(path, ""); resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) {
			t.Errorf("GET %s without gzip: Content-Encoding %q, %d bytes, want the plain file", path, resp.Header.Get("Content-Encoding"), len(body))
		}
		if resp, _ := get(path, "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s refusing gzip: Content-Encoding %q", path, resp.Header.Get("Content-Encoding"))
		}
	}
}
