package webtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// findTeam is the team the find tests look through: besides the owner
// (Demo Owner, a manager), people with and without names, active and
// invited, managers and not, and ten unnamed fillers, so that five to a
// page makes three pages.
var findTeam = []struct {
	email, first, last string
	tabs               []string
	active             bool
}{
	{"ann@find.test", "Ann", "Lee", []string{"home", "crm"}, false},
	{"bob@find.test", "Bob", "Stone", []string{"home", "users"}, true},
	{"carla.lee@demo.test", "Carla", "Leeds", []string{"home"}, false},
	{"dave@demo.test", "Dave", "Abbot", []string{"home", "users"}, false},
}

// seedFindTeam invites findTeam and the fillers, makes the active ones
// active (their first request), and finally, a second later, Zoe, the
// newest. It returns the owner's API client.
func seedFindTeam(t *testing.T, stack *local.Stack) *api {
	t.Helper()
	owner := newAPI(t, stack.URL, local.DemoOwner)
	invite := func(email, first, last string, tabs []string) {
		t.Helper()
		perms := `"` + strings.Join(tabs, `","`) + `"`
		body := fmt.Sprintf(`{"email":%q,"firstName":%q,"lastName":%q,"permissions":[%s]}`, email, first, last, perms)
		if status := owner.do("POST", "/v1/businesses/demo/users", body, nil); status != 201 {
			t.Fatalf("invite %s: %d", email, status)
		}
	}
	for _, m := range findTeam {
		invite(m.email, m.first, m.last, m.tabs)
		if m.active {
			if status := newAPI(t, stack.URL, m.email).do("GET", "/v1/businesses/demo", "", nil); status != 200 {
				t.Fatalf("%s's first request: %d", m.email, status)
			}
		}
	}
	for i := 1; i <= 10; i++ {
		if status := owner.do("POST", "/v1/businesses/demo/users", fmt.Sprintf(`{"email":"filler%02d@demo.test","permissions":["home"]}`, i), nil); status != 201 {
			t.Fatalf("invite filler %d: %d", i, status)
		}
	}
	// Date added has whole seconds: a second later, Zoe is the newest.
	time.Sleep(1100 * time.Millisecond)
	invite("zoe@newest.test", "Zoe", "Young", []string{"home"})
	return owner
}

// rowEmails is a JS expression for the emails of the rows shown, in order.
const rowEmails = `[...document.querySelectorAll("tbody tr[data-email]")].map(r => r.dataset.email).join()`

// countText is a JS expression for the count line.
const countText = `document.querySelector("#team-count").textContent`

// TestFindPeople finds people on a team of sixteen, five to a page (SPEC
// §2.1, issue 11 item 4): the count line; search by email and by name as
// you type, kept in the URL so a reload shows the same list; the Status and
// Access filters, alone and together; the empty state and its "Clear
// filters"; sorting by the column headers (aria-sort); Previous and Next
// with never more than a page of rows; "Find my row"; a slow answer to an
// older search never replacing a newer one; axe in each new state.
func TestFindPeople(t *testing.T) {
	stack := localtest.Start(t, "")
	seedFindTeam(t, stack)
	s := newSite(t, stack, map[string]any{"apiBaseUrl": "", "tokenMode": "local", "local": map[string]string{"suggestedEmail": local.DemoOwner}, "pageSize": 5})
	p := newPage(t, s.URL, 1280, 900)
	p.navigate("/demo/administration/users")
	p.waitJS("the sign-in screen shows", `document.querySelector(".account-choice")`)
	p.click(".account-choice")
	p.waitForTable()

	// The whole team: 16 people, of whom all but the owner and Bob are invited.
	p.waitJS("the count line counts the invited", countText+` === "16 people · 14 invited"`)
	p.check("one page of five rows", `document.querySelectorAll("tbody tr").length === 5`)
	p.check("the search box is named", `document.querySelector("input[type=search]").labels[0].textContent === "Search people"`)
	p.check("the filters are named", `document.querySelector("#find-status").labels[0].textContent === "Status" && document.querySelector("#find-tab").labels[0].textContent === "Access"`)
	p.check("Status offers All, Invited, Active", `[...document.querySelector("#find-status").options].map(o => o.text).join() === "All,Invited,Active"`)
	p.check("Access offers the enabled tabs, Users as Managers", `(() => { const o = [...document.querySelector("#find-tab").options].map(o => o.text); return o[0] === "Anyone" && o.includes("Managers") && !o.includes("Users") && o.includes("CRM") })()`)
	p.check("sorted by email, said on the Email header", `document.querySelector('th[aria-sort]').textContent === "Email" && document.querySelector('th[aria-sort]').getAttribute("aria-sort") === "ascending"`)
	p.check("the range of the first page", `document.querySelector("#page-range").textContent === "1–5 of 16"`)
	p.screenshot("find-table-1280")
	p.axe("the table with search, filters and pages")
	for _, width := range []int64{1024, 1440} {
		p.run("resize", chromedp.EmulateViewport(width, 900))
		p.check(fmt.Sprintf("no horizontal overflow at %d px", width), `document.documentElement.scrollWidth <= window.innerWidth`)
		p.screenshot(fmt.Sprintf("find-table-%d", width))
	}
	p.run("resize", chromedp.EmulateViewport(1280, 900))

	// Paging: Next and Previous, never more than a page in the DOM.
	p.click("#page-next")
	p.waitJS("the second page", `document.querySelector("#page-range").textContent === "6–10 of 16"`)
	p.check("still five rows", `document.querySelectorAll("tbody tr").length === 5`)
	p.check("the second page follows the first in email order", rowEmails+`.startsWith("filler02@demo.test")`)
	p.click("#page-next")
	p.waitJS("the last page", `document.querySelector("#page-range").textContent === "11–15 of 16"`)
	p.click("#page-next")
	p.waitJS("the very last page", `document.querySelector("#page-range").textContent === "16–16 of 16"`)
	p.check("Next is disabled at the end, and focus moved to Previous", `document.querySelector("#page-next").disabled && document.activeElement.id === "page-prev"`)
	p.check("the last row", rowEmails+` === "zoe@newest.test"`)
	p.click("#page-prev")
	p.waitJS("back a page", `document.querySelector("#page-range").textContent === "11–15 of 16"`)

	// "Find my row": one action from anywhere.
	p.click("#find-me")
	p.waitJS("my row is found", rowEmails+` === "owner@demo.test"`)
	p.check("focus on my row's actions", p.focused(row(local.DemoOwner)+" .row-actions"))
	p.check("the search box says what was searched", `document.querySelector("#find-q").value === "owner@demo.test"`)
	p.check("and the count line", countText+` === "1 match"`)

	// Search by email prefix, as you type.
	p.typeInto("#find-q", "carla.")
	p.waitJS("Carla by her email", rowEmails+` === "carla.lee@demo.test"`)
	p.check("one match", countText+` === "1 match"`)
	p.check("the search is in the URL", `new URL(location.href).searchParams.get("q") === "carla."`)
	p.check("no pages for one match", `document.querySelector("nav.pager").hidden`)

	// Search by name: "lee" starts Ann's last name and Carla's (Leeds), not
	// her email; "ann lee" is a full name.
	p.typeInto("#find-q", "Lee")
	p.waitJS("Lee by last name (and an email)", rowEmails+` === "ann@find.test,carla.lee@demo.test"`)
	p.check("two matches", countText+` === "2 matches"`)
	p.check("a search lists best matches first: no column claims the order, the sort buttons wait",
		`!document.querySelector("th[aria-sort]") && [...document.querySelectorAll(".sort-btn")].every(b => b.disabled)`)
	p.typeInto("#find-q", "ann lee")
	p.waitJS("by full name", rowEmails+` === "ann@find.test"`)
	p.screenshot("find-search-name")
	p.axe("a search with one match")

	// A reload keeps the query.
	p.navigate("/demo/administration/users?q=ann+lee")
	p.waitForTable()
	p.check("the search box after a reload", `document.querySelector("#find-q").value === "ann lee"`)
	p.check("the rows after a reload", rowEmails+` === "ann@find.test"`)

	// A link with a filter the API refuses opens the whole team instead.
	p.navigate("/demo/administration/users?tab=nosuchtab&q=ann")
	p.waitForTable()
	p.waitJS("everyone, unfiltered", countText+` === "16 people · 14 invited"`)
	p.check("the refused query left the URL", `location.search === ""`)
	p.navigate("/demo/administration/users?q=ann+lee")
	p.waitForTable()

	// Nobody matches: say so, and offer to clear.
	p.typeInto("#find-q", "zzz")
	p.waitJS("the empty state", `!document.querySelector(".empty").hidden`)
	p.check("it says what did not match", `document.querySelector(".empty h3").textContent === "No one matches “zzz”"`)
	p.check("zero matches", countText+` === "0 matches"`)
	p.screenshot("find-no-match")
	p.axe("no one matches")
	p.click("#clear-filters")
	p.waitJS("everyone again", countText+` === "16 people · 14 invited"`)
	p.check("the search box is empty, and has focus", `document.querySelector("#find-q").value === ""`+` && `+p.focused("#find-q"))
	p.check("the URL is plain again", `location.search === ""`)

	// The filters: Status, Access, and both.
	p.run("choose Status: Active", evalJS(`(() => { const s = document.querySelector("#find-status"); s.value = "active"; s.dispatchEvent(new Event("change")) })()`))
	p.waitJS("the active people", rowEmails+` === "bob@find.test,owner@demo.test"`)
	p.check("two matches", countText+` === "2 matches"`)
	p.check("the status is in the URL", `new URL(location.href).searchParams.get("status") === "active"`)
	p.run("choose Status: All, Access: Managers", evalJS(`(() => {
		const s = document.querySelector("#find-status"); s.value = ""; s.dispatchEvent(new Event("change"));
		const a = document.querySelector("#find-tab"); a.value = "users"; a.dispatchEvent(new Event("change")) })()`))
	p.waitJS("the managers", rowEmails+` === "bob@find.test,dave@demo.test,owner@demo.test"`)
	p.run("choose Status: Invited", evalJS(`(() => { const s = document.querySelector("#find-status"); s.value = "invited"; s.dispatchEvent(new Event("change")) })()`))
	p.waitJS("the invited managers", rowEmails+` === "dave@demo.test"`)
	p.check("both filters in the URL", `(() => { const u = new URL(location.href).searchParams; return u.get("status") === "invited" && u.get("tab") === "users" })()`)
	p.screenshot("find-filters")
	p.axe("both filters")
	p.navigate("/demo/administration/users?status=invited&tab=users")
	p.waitForTable()
	p.check("the filters after a reload", `document.querySelector("#find-status").value === "invited" && document.querySelector("#find-tab").value === "users" && `+rowEmails+` === "dave@demo.test"`)
	p.click("#clear-search")
	p.waitJS("everyone again", countText+` === "16 people · 14 invited"`)

	// Sort by the column headers.
	p.click(`th[data-sort="name"] button`)
	p.waitJS("sorted by last name", rowEmails+` === "dave@demo.test,ann@find.test,carla.lee@demo.test,owner@demo.test,bob@find.test"`)
	p.check("aria-sort on Name", `document.querySelector('th[aria-sort]').dataset.sort === "name" && document.querySelectorAll("th[aria-sort]").length === 1`)
	p.click(`th[data-sort="newest"] button`)
	p.waitJS("newest first", rowEmails+`.startsWith("zoe@newest.test,")`)
	p.check("aria-sort descending on Date added", `document.querySelector('th[aria-sort]').textContent === "Date added" && document.querySelector('th[aria-sort]').getAttribute("aria-sort") === "descending"`)
	p.check("the sort is in the URL", `new URL(location.href).searchParams.get("sort") === "newest"`)
	p.screenshot("find-sorted-newest")
	p.axe("sorted by date added")

	// An older, slower answer never replaces a newer one: the answer to
	// "bob" is held back until after "zoe" has been answered and shown.
	// While it is held, the page shows it is loading without blanking.
	p.run("hold back the answer to the search for bob", evalJS(`(() => {
		const real = window.fetch;
		window.fetch = (url, init) => String(url).includes("q=bob")
			// Without the abort signal, so that the answer does arrive,
			// late, and the page itself must drop it.
			? new Promise((res, rej) => { setTimeout(() => real(url, { ...init, signal: undefined }).then(res, rej), 1500) })
			: real(url, init);
	})()`))
	before := eval[string](p, rowEmails)
	p.typeInto("#find-q", "bob")
	// A slow answer dims the rows shown until it comes; it does not blank
	// them or bring back the skeleton.
	p.waitJS("the slow search shows it is loading", `document.querySelector(".card.is-loading[aria-busy=true]")`)
	p.check("the rows stay while it loads", rowEmails+` === `+jsq(before)+` && !document.querySelector(".skeleton-row")`)
	p.typeInto("#find-q", "zoe")
	p.waitJS("Zoe is found", rowEmails+` === "zoe@newest.test"`)
	time.Sleep(1600 * time.Millisecond) // the held answer has arrived by now
	p.check("and still shown after the older answer came", rowEmails+` === "zoe@newest.test" && `+countText+` === "1 match"`)

	// Typing fast sends one search, not one per letter.
	p.run("count the searches", evalJS(`(() => {
		window.__searches = [];
		const real = window.fetch;
		window.fetch = (url, init) => { if (String(url).includes("/users?")) window.__searches.push(String(url)); return real(url, init) };
	})()`))
	p.run("type a name quickly", evalJS(`document.querySelector("#find-q").value = ""`), focusSel("#find-q"))
	p.key("d")
	p.key("a")
	p.key("v")
	p.key("e")
	p.waitJS("Dave is found", rowEmails+` === "dave@demo.test"`)
	p.check("one request for the four letters", `window.__searches.length === 1 && window.__searches[0].includes("q=dave")`)
}

// TestFindNarrowScreen checks finding people at 375 px: the search box
// and filters fit without scrolling sideways, sorting is a "Sort by"
// choice (the column headers are not shown), and each state passes axe.
func TestFindNarrowScreen(t *testing.T) {
	stack := localtest.Start(t, "")
	seedFindTeam(t, stack)
	s := newSite(t, stack, map[string]any{"apiBaseUrl": "", "tokenMode": "local", "local": map[string]string{"suggestedEmail": local.DemoOwner}, "pageSize": 5})
	p := newPage(t, s.URL, 375, 812)
	p.navigate("/demo/administration/users")
	p.waitJS("the sign-in screen shows", `document.querySelector(".account-choice")`)
	p.click(".account-choice")
	p.waitForTable()
	noOverflow := `document.documentElement.scrollWidth <= window.innerWidth`
	p.waitJS("the count line", countText+` === "16 people · 14 invited"`)
	p.check("no horizontal overflow", noOverflow)
	p.check("the search box is visible", `document.querySelector("#find-q").getBoundingClientRect().width > 250`)
	p.check("the sort choice is visible", `document.querySelector("#find-sort").getBoundingClientRect().width > 0`)
	p.check("the pager is visible", `document.querySelector("#page-next").getBoundingClientRect().width > 0`)
	p.screenshot("find-narrow")
	p.axe("the narrow table with search and filters")

	p.run("choose Sort by: Newest first", evalJS(`(() => { const s = document.querySelector("#find-sort"); s.value = "newest"; s.dispatchEvent(new Event("change")) })()`))
	p.waitJS("sorted newest first", rowEmails+`.startsWith("zoe@newest.test,")`)
	p.check("the sort is in the URL", `new URL(location.href).searchParams.get("sort") === "newest"`)
	p.typeInto("#find-q", "lee")
	p.waitJS("search by name", `document.querySelectorAll("tbody tr[data-email]").length === 2 && `+rowEmails+`.includes("ann@find.test") && `+rowEmails+`.includes("carla.lee@demo.test")`)
	p.check("still no horizontal overflow", noOverflow)
	p.screenshot("find-narrow-search")
	p.axe("a narrow search")
	p.typeInto("#find-q", "nobody")
	p.waitJS("the empty state", `!document.querySelector(".empty").hidden`)
	p.check("no horizontal overflow when empty", noOverflow)
	p.screenshot("find-narrow-empty")
	p.axe("the narrow empty state")
}

// TestFindQueryRules checks the rules of web/assets/list-query.js in
// Chromium, served without the local stack: the count line's words at the
// sizes the journeys cannot reach in a test's time (thousands, lower
// bounds), and what a hand-edited or shared link's query turns into.
func TestFindQueryRules(t *testing.T) {
	p := modulePage(t, nil)
	call := func(expr string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`import("/assets/list-query.js").then(m => String(`+expr+`))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return got
	}

	for _, tt := range []struct{ args, want string }{
		{`{filtering: false, total: 1234, invited: {n: 12, complete: true}, matches: {n: 50, complete: false}}`, "1,234 people · 12 invited"},
		{`{filtering: false, total: 100000, invited: {n: 100, complete: false}, matches: {n: 50, complete: false}}`, "100,000 people · 100+ invited"},
		{`{filtering: false, total: 1, invited: {n: 0, complete: true}, matches: {n: 1, complete: true}}`, "1 person · 0 invited"},
		{`{filtering: false, total: 5, invited: null, matches: {n: 5, complete: true}}`, "5 people"},
		{`{filtering: false, total: null, invited: null, matches: {n: 50, complete: false}}`, "50+ people"},
		{`{filtering: true, total: 1234, invited: null, matches: {n: 3, complete: true}}`, "3 matches"},
		{`{filtering: true, total: 1234, invited: null, matches: {n: 1, complete: true}}`, "1 match"},
		{`{filtering: true, total: 1234, invited: null, matches: {n: 0, complete: true}}`, "0 matches"},
		{`{filtering: true, total: 100000, invited: null, matches: {n: 50, complete: false}}`, "50+ matches"},
		{`{filtering: true, total: 100000, invited: null, matches: {n: 2150, complete: false}}`, "2,150+ matches"},
	} {
		if got := call(`m.countLine(` + tt.args + `)`); got != tt.want {
			t.Errorf("countLine(%s) = %q, want %q", tt.args, got, tt.want)
		}
	}

	for _, tt := range []struct{ search, want string }{
		{"", `{"q":"","status":"","tab":"","sort":"email"}`},
		{"?q=ann+lee&status=invited&tab=crm&sort=newest", `{"q":"ann lee","status":"invited","tab":"crm","sort":"newest"}`},
		{"?status=removed&sort=phone", `{"q":"","status":"","tab":"","sort":"email"}`},
		{"?q=" + strings.Repeat("a", 120), `{"q":"` + strings.Repeat("a", 100) + `","status":"","tab":"","sort":"email"}`},
	} {
		if got := call(`JSON.stringify(m.readQuery(` + jsq(tt.search) + `))`); got != tt.want {
			t.Errorf("readQuery(%q) = %s, want %s", tt.search, got, tt.want)
		}
	}

	for _, tt := range []struct{ query, want string }{
		{`{q: "", status: "", tab: "", sort: "email"}`, "https://x.test/demo/administration/users?keep=1"},
		{`{q: " ann@ ", status: "active", tab: "users", sort: "name"}`, "https://x.test/demo/administration/users?keep=1&q=ann%40&status=active&tab=users&sort=name"},
	} {
		if got := call(`m.queryURL("https://x.test/demo/administration/users?keep=1&q=old&sort=newest", ` + tt.query + `)`); got != tt.want {
			t.Errorf("queryURL(%s) = %s, want %s", tt.query, got, tt.want)
		}
	}
	if got := call(`m.knownTab({q: "", status: "", tab: "gone", sort: "email"}, [{id: "crm", name: "CRM"}]).tab`); got != "" {
		t.Errorf("a tab the business has not enabled is dropped from the query: got %q", got)
	}
}
