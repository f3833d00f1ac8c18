package webtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
	"github.com/businessapp/usermanagement/web"
)

// site hosts web/ the way S3 and CloudFront do (static files, the page for
// every /{businessId}/administration/users, a config.json), with /v1 passed
// to the local stack as a CloudFront API behaviour would. It records the
// tokens that reached the API with a successful team listing.
type site struct {
	*httptest.Server
	mu      sync.Mutex
	granted []string // bearer tokens of GET …/users answered 200
}

func newSite(t *testing.T, stack *local.Stack, config any) *site {
	t.Helper()
	target, err := url.Parse(stack.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users") && resp.StatusCode == http.StatusOK {
			s.mu.Lock()
			s.granted = append(s.granted, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			s.mu.Unlock()
		}
		return nil
	}
	files := web.Files()
	mux := http.NewServeMux()
	mux.Handle("/v1/", proxy)
	mux.Handle("/dev/", proxy)
	mux.Handle("GET /assets/", http.FileServerFS(files))
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(config)
	})
	// Every other path gets the page, as a CloudFront distribution that
	// answers its origin's 403/404 with /index.html does.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "index.html")
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *site) tokensGranted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.granted...)
}

// TestHostProvidesToken checks token mode "host" with a provider function
// on the page's window: the page asks for a token, marks the caller's row
// from its email claim, and after a 401 asks once more ("expired") and
// retries.
func TestHostProvidesToken(t *testing.T) {
	stack := localtest.Start(t, "")
	token := newAPI(t, stack.URL, local.DemoOwner).token
	s := newSite(t, stack, map[string]any{"apiBaseUrl": "", "tokenMode": "host"})
	p := newPage(t, s.URL, 1280, 860)
	// The host's provider: a stale token first, so the page must refresh.
	provider := fmt.Sprintf(`window.tokenRequests = [];
		window.businessAppToken = ({reason}) => { window.tokenRequests.push(reason);
			return Promise.resolve(reason === "initial" ? "stale.token.value" : %s); };`, jsq(token))
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: provider}); err != nil {
		t.Fatal(err)
	}
	p.navigate("/demo/administration/users")
	p.waitForTable()
	p.check("own row marked from the token's email", `document.querySelector(`+jsq(row(local.DemoOwner)+" .badge")+`)`)
	p.check("asked once, then once more after the 401", `window.tokenRequests.join() === "initial,expired"`)
	// Since issue 12 the account area also holds "My profile", a button too:
	// what host mode must not show is the sign-out.
	p.check("no local sign-out in host mode", `!document.querySelector(".account #sign-out") && ![...document.querySelectorAll(".account button")].some(b => b.textContent.includes("Sign out"))`)
	p.check("My profile is there in host mode too", `document.querySelector(".account #my-profile")`)
}

// TestHostHandsTokenByMessage checks the postMessage handshake: the page in
// an iframe of another origin asks its parent for a token, accepts the
// answer only from the configured origin, and uses it.
func TestHostHandsTokenByMessage(t *testing.T) {
	stack := localtest.Start(t, "")
	token := newAPI(t, stack.URL, local.DemoOwner).token
	var pageOrigin string
	parent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Host</title>
<iframe title="User Management" src="%[1]s/demo/administration/users" style="width:1200px;height:700px"></iframe>
<script>
window.requests = [];
addEventListener("message", (e) => {
  if (e.origin !== %[2]s || !e.data || e.data.type !== "businessapp:token-request") return;
  window.requests.push(e.data.reason);
  e.source.postMessage({type: "businessapp:token", token: %[3]s}, e.origin);
});
</script>`, pageOrigin, jsq(pageOrigin), jsq(token))
	}))
	t.Cleanup(parent.Close)
	s := newSite(t, stack, map[string]any{"apiBaseUrl": "", "tokenMode": "host", "host": map[string]string{"parentOrigin": parent.URL}})
	pageOrigin = s.URL

	p := newPage(t, parent.URL, 1280, 860)
	p.navigate("/")
	p.waitJS("the page asked its host for a token", `window.requests.length > 0`)
	p.check("with reason initial", `window.requests[0] === "initial"`)
	for range 200 {
		if granted := s.tokensGranted(); len(granted) > 0 {
			if granted[0] != token {
				t.Errorf("the API was called with %q, want the host's token", granted[0])
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the page never listed the team with the host's token")
}

// TestLoadErrorState checks the page when the API cannot be reached: it
// says so and offers to try again, which works once the API is back.
func TestLoadErrorState(t *testing.T) {
	stack := localtest.Start(t, "")
	token := newAPI(t, stack.URL, local.DemoOwner).token
	var down atomic.Bool
	down.Store(true)
	s := newSite(t, stack, map[string]any{"apiBaseUrl": "", "tokenMode": "host"})
	inner := s.Config.Handler
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && strings.HasPrefix(r.URL.Path, "/v1/") {
			// What a client sees when a gateway in front of the API fails.
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		inner.ServeHTTP(w, r)
	})
	p := newPage(t, s.URL, 1280, 860)
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: fmt.Sprintf(`window.businessAppToken = () => %s;`, jsq(token)),
	}); err != nil {
		t.Fatal(err)
	}
	p.navigate("/demo/administration/users")
	p.waitJS("the error state shows", `document.querySelector("#state-title")`)
	p.check("saying the team could not be loaded", `document.querySelector("#state-title").textContent === "We couldn't load your team"`)
	p.screenshot("load-error")
	down.Store(false)
	p.click(".state-card .btn")
	p.waitForTable()
}
