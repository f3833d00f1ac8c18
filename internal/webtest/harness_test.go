package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/businessapp/usermanagement/web"
)

// waitTimeout bounds every wait for the page; generous because CI runs the
// race detector and other packages' tests on the same two cores.
const waitTimeout = 20 * time.Second

// findChromium returns Debian's chromium (or $CHROMIUM), skipping the test
// when there is none unless REQUIRE_BROWSER is set (make test sets it).
func findChromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("REQUIRE_BROWSER") != "" {
		t.Fatal("Chromium not found but REQUIRE_BROWSER is set: apt-get install -y chromium (make test does), or set CHROMIUM")
	}
	t.Skip("Chromium not found: apt-get install -y chromium, or run `make test`, which installs it")
	return ""
}

// page is one browser tab on the local stack, with helpers that fail the
// test with a useful message.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// TestMain stops the shared browser (sharedBrowser) after the last test.
func TestMain(m *testing.M) {
	code := m.Run()
	browser.mu.Lock()
	if browser.stop != nil {
		browser.stop()
	}
	browser.mu.Unlock()
	os.Exit(code)
}

// browser is the one Chromium process the package's tests share. Starting
// Chromium took about two seconds of a busy two-core machine per test, and
// there are forty pages; each page gets a browser context of its own
// (chromedp.WithNewBrowserContext: its own cookies, storage and cache, like
// the fresh profile each test used to start), so tests still see nothing of
// each other.
var browser struct {
	mu   sync.Mutex
	ctx  context.Context // the browser's first tab, which owns the process
	stop func()
}

// sharedBrowser starts the shared Chromium (exe) on first use and returns
// the context that new tabs derive from. A browser that failed to start is
// tried again by the next test, which then fails with its own message.
func sharedBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	browser.mu.Lock()
	defer browser.mu.Unlock()
	if browser.ctx != nil {
		return browser.ctx
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-default-browser-check", true),
		// Each page sets its own viewport (newPage); this is only the
		// window the pages are drawn in. Without chromedp.UserDataDir
		// the browser gets a temporary profile, removed when it stops.
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// The first call starts the browser, which lives as long as the context
	// of that call: so no timeout on it.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	browser.ctx, browser.stop = ctx, func() { cancelCtx(); cancelAlloc() }
	return ctx
}

// newPage opens a tab sized width×height in a browser context of its own
// (a fresh profile, as far as the page can tell) of the shared Chromium.
// Animations are off (prefers-reduced-motion), so waits see final states.
func newPage(t *testing.T, base string, width, height int64) *page {
	t.Helper()
	exe := findChromium(t)
	ctx, cancelCtx := chromedp.NewContext(sharedBrowser(t, exe), chromedp.WithNewBrowserContext())
	t.Cleanup(cancelCtx)
	// This call opens the tab.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab in Chromium (%s): %v", exe, err)
	}
	p := &page{t: t, ctx: ctx, base: base}
	var viewport []chromedp.EmulateViewportOption
	if width < 600 {
		viewport = append(viewport, chromedp.EmulateMobile)
	}
	p.failOnConsoleErrors()
	p.run("set the viewport", chromedp.EmulateViewport(width, height, viewport...))
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("emulate reduced motion: %v", err)
	}
	return p
}

// failOnConsoleErrors fails the test, when it ends, for every uncaught
// exception and console.error the page produced: a broken module or a
// rejected promise nobody handles shows there first. The browser's own log
// of failed requests (source "network", such as the 403 the no-access tests
// provoke) is not the page's error and is left out.
func (p *page) failOnConsoleErrors() {
	p.t.Helper()
	// The page's last message, written at the end of the test: messages
	// arrive in order, so once it has been read every earlier one has too.
	const last = "webtest: end of console"
	var (
		mu   sync.Mutex
		errs []string
	)
	seenLast := make(chan struct{})
	messages := chromedp.Console(p.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.Text == last:
				close(seenLast)
				return
			case m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network"):
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s at %s:%d: %s", m.Type, m.URL, m.Line+1, m.Text))
				mu.Unlock()
			}
		}
	}()
	// Registered after newPage's cleanup, so this runs first, while the
	// browser is still there.
	p.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.debug(`+jsq(last)+`)`)); err == nil {
			select {
			case <-seenLast:
			case <-ctx.Done():
				p.t.Log("console: the last message did not arrive; errors written just before the end may be missed")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			p.t.Errorf("console: %s", e)
		}
	})
}

// run runs actions with a deadline, failing the test on error.
func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\n%s", what, err, p.describe())
	}
}

// describe returns what the page shows, for failure messages.
func (p *page) describe() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : ""`))
	active, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const a = document.activeElement; return a ? a.outerHTML.slice(0, 200) : "" })()`))
	return fmt.Sprintf("page %s\nfocused: %s\ntext:\n%s", url, active, text)
}

// eval evaluates a JS expression and returns its value.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v\n%s", js, err, p.describe())
	}
	return v
}

// modulePage opens a blank page that can import the page's own modules
// (web/assets), served without the local stack: for tests of one module
// at the edges the browser journeys cannot reach in a test's time. routes,
// if not nil, adds the server's other handlers (an API that answers as the
// test needs).
func modulePage(t *testing.T, routes func(*http.ServeMux)) *page {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.FileServerFS(web.Files()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>module test</title></html>`))
	})
	if routes != nil {
		routes(mux)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p := newPage(t, srv.URL, 800, 600)
	p.navigate("/")
	return p
}

// awaitJS evaluates a JS expression that gives a string, or a promise of
// one, and fails t (the test or subtest that runs it, unlike eval's
// p.t) when it cannot.
func awaitJS(t *testing.T, p *page, js string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return out
}

// waitJS polls a JS boolean expression until it holds.
func (p *page) waitJS(what, js string) {
	p.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+js+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting until %s (%s): %v\n%s", what, js, err, p.describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check fails the test (with the page described) unless the JS expression
// holds now.
func (p *page) check(what, js string) {
	p.t.Helper()
	if !eval[bool](p, `!!(`+js+`)`) {
		p.t.Errorf("%s: expected %s\n%s", what, js, p.describe())
	}
}

func (p *page) navigate(path string) {
	p.t.Helper()
	p.run("open "+path, chromedp.Navigate(p.base+path))
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	// Clear by script (chromedp's SetValue refuses an empty value), then
	// type with real key events.
	p.run("type into "+sel, evalJS(`document.querySelector(`+jsq(sel)+`).value = ""`), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// key sends one key press to the focused element (kb.Escape, kb.Enter, …).
func (p *page) key(k string) {
	p.t.Helper()
	p.run("press "+k, chromedp.KeyEvent(k))
}

// focused reports whether the focused element matches sel.
func (p *page) focused(sel string) string {
	return fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, sel)
}

// signInAsManager signs in through the local sign-in screen's suggested
// account, starting from the welcome email's link target /demo.
func (p *page) signInAsManager() {
	p.t.Helper()
	p.navigate("/demo")
	p.waitJS("the sign-in screen shows", `document.querySelector(".account-choice")`)
	p.click(".account-choice")
	p.waitForTable()
}

// signOut signs out with the account area's button, as a person would.
func (p *page) signOut() {
	p.t.Helper()
	p.click("#account #sign-out") // the account area also holds "My profile"
	p.waitJS("the sign-in screen shows", `document.querySelector("#signin-email")`)
}

// signInAs signs in by typing an email into the local sign-in form.
func (p *page) signInAs(email string) {
	p.t.Helper()
	p.navigate("/demo/administration/users")
	p.waitJS("the sign-in form shows", `document.querySelector("#signin-email")`)
	p.typeInto("#signin-email", email)
	p.key(kb.Enter)
}

func (p *page) waitForTable() {
	p.t.Helper()
	p.waitJS("the team table has loaded", `document.querySelector('.card[aria-busy="false"] tbody tr[data-email]')`)
}

// row returns a selector for the row of a user.
func row(email string) string { return fmt.Sprintf(`tr[data-email=%q]`, email) }

// openRowMenu clicks a row's three-dots button and picks an item by label.
func (p *page) openRowAction(email, label string) {
	p.t.Helper()
	p.click(row(email) + " .row-actions")
	p.waitJS("the row menu opens", `document.querySelector("#row-menu")`)
	idx := eval[int](p, fmt.Sprintf(`[...document.querySelectorAll("#row-menu .menu-item")].findIndex(b => b.textContent.startsWith(%q))`, label))
	if idx < 0 {
		p.t.Fatalf("row menu has no %q\n%s", label, p.describe())
	}
	p.click(fmt.Sprintf("#row-menu .menu-item:nth-child(%d)", idx+1))
}

// toast waits for a toast containing text.
func (p *page) toast(text string) {
	p.t.Helper()
	p.waitJS("a toast says "+text, fmt.Sprintf(`[...document.querySelectorAll("#toasts .toast")].some(t => t.textContent.includes(%q))`, text))
}

// screenshot saves the viewport as a PNG test artifact.
func (p *page) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := artifactsDir(p.t)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// artifactsDir is $WEBTEST_ARTIFACTS or testdata/artifacts/web at the
// repository root (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WEBTEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testdata", "artifacts", "web")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// axeViolation is the part of an axe-core result the test reports.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core (pinned in infra/axe) on the page as it is now and
// fails on serious or critical violations, logging the lesser ones.
func (p *page) axe(state string) {
	p.t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "infra", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("REQUIRE_BROWSER") == "" {
			p.t.Logf("axe-core not installed (cd infra/axe && npm ci; make test does): skipping the check of %s", state)
			return
		}
		p.t.Fatalf("axe-core: %v (make test installs it with npm ci in infra/axe)", err)
	}
	p.run("load axe-core", chromedp.Evaluate[chromedp.Void](string(src)))
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe-core on %s: %v", state, err)
	}
	for _, v := range violations {
		msg := fmt.Sprintf("axe %s on %s: %s (%s) at %s", v.Impact, state, v.ID, v.Help, strings.Join(v.Nodes, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Error(msg)
		} else {
			p.t.Log(msg)
		}
	}
}

// api calls the local stack's HTTP API (or /dev) directly, to arrange data
// and to check what the page did.
type api struct {
	t     *testing.T
	base  string
	token string
}

func newAPI(t *testing.T, base, email string) *api {
	t.Helper()
	a := &api{t: t, base: base}
	var tok struct{ Token string }
	if status := a.do("POST", "/dev/token", `{"email":"`+email+`"}`, &tok); status != 200 {
		t.Fatalf("POST /dev/token: %d", status)
	}
	a.token = tok.Token
	return a
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (a *api) do(method, path, body string, out any) int {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// user is the part of the API's User the tests look at.
type user struct {
	Email               string     `json:"email"`
	FirstName           *string    `json:"firstName"`
	LastName            *string    `json:"lastName"`
	Phone               *string    `json:"phone"`
	Permissions         []string   `json:"permissions"`
	Version             int        `json:"version"`
	Status              string     `json:"status"`
	IsOwner             bool       `json:"isOwner"`
	InvitationExpiresAt *time.Time `json:"invitationExpiresAt"`
}

func (a *api) user(email string) (user, int) {
	a.t.Helper()
	var u user
	status := a.do("GET", "/v1/businesses/demo/users/"+email, "", &u)
	return u, status
}

// jsq quotes s as a JavaScript string literal.
func jsq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// focusSel focuses the element matching sel.
func focusSel(sel string) chromedp.Action[chromedp.Void] { return chromedp.Focus(chromedp.CSS(sel)) }

// evalJS evaluates JavaScript for its side effects.
func evalJS(js string) chromedp.Action[chromedp.Void] { return chromedp.Evaluate[chromedp.Void](js) }

// navigateTo opens an absolute URL.
func navigateTo(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }
