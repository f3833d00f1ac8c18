package webtest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
	"github.com/businessapp/usermanagement/internal/team"
)

// setTextarea puts text into a textarea as a paste would, with the input
// event the page may listen to.
func (p *page) setTextarea(sel, text string) {
	p.t.Helper()
	p.run("paste into "+sel, evalJS(`(() => { const t = document.querySelector(`+jsq(sel)+`); t.value = `+jsq(text)+`; t.dispatchEvent(new Event("input", {bubbles: true})); })()`))
}

// bulkStatus returns the status text of an entry of the invite-several
// table by email.
func bulkStatus(email string) string {
	return `(document.querySelector('#invite-several tr[data-entry=` + jsq(email) + `] .bulk-status') || {}).textContent`
}

// TestInviteSeveral pastes a CSV with a header, an address that is already a
// user, an invalid row and a repeated one; checks the preview; sends; and
// checks each person's result, the progress bar, the table and what the API
// stored, with axe at each step.
func TestInviteSeveral(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	owner.do("POST", "/v1/businesses/demo/users", `{"email":"grace@demo.test","firstName":"Grace","lastName":"Hopper"}`, nil)
	p := newPage(t, stack.URL, 1280, 860)
	p.signInAsManager()

	p.click("#invite-several-open")
	p.waitJS("the sidebar opens", `document.querySelector("dialog#invite-several[open]")`)
	p.check("focus in the paste box", p.focused("#f-people"))
	p.check("every enabled tab checked", `(() => { const b = [...document.querySelectorAll('#invite-several input[name="permissions"]')]; return b.length === 8 && b.every(x => x.checked) })()`)
	p.axe("invite several: the paste box")

	// Preview with nothing pasted: said on the field.
	p.click("#invite-several-preview")
	p.check("an empty paste is refused on the field", `!document.querySelector("#f-people-error").hidden && document.querySelector("#f-people").getAttribute("aria-invalid") === "true"`)

	p.setTextarea("#f-people", "Email,First name,Last name,Phone\n"+
		"ann@example.com,Ann,Lee,+1 415 555 0100\n"+
		"grace@demo.test,Grace,Hopper,\n"+
		"not-an-address,Nobody,,\n"+
		"\n"+
		`"bo@example.com","Bo, Jr.",Park,`+"\n"+
		"ANN@example.com,Ann,Again,\n")
	p.click(`#invite-several label.check:has(input[value="store"])`)
	p.click("#invite-several-preview")
	p.waitJS("the preview shows", `document.querySelector("#preview-summary")`)
	p.check("five rows previewed", `document.querySelectorAll("#invite-several tbody tr").length === 5`)
	p.check("the summary counts what will be sent", `document.querySelector("#preview-summary").textContent === "3 people ready to invite · 2 rows with problems, which will not be sent."`)
	p.check("the invalid row says why", bulkStatus("not-an-address")+` === "Not a valid email address"`)
	p.check("the repeated row says which line it repeats", bulkStatus("ANN@example.com")+` === "Repeats line 2"`)
	p.check("a quoted name keeps its comma", `document.querySelector('#invite-several tr[data-entry="bo@example.com"]').textContent.includes("Bo, Jr. Park")`)
	p.check("the send button says how many", `document.querySelector("#invite-several-send").textContent === "Send 3 invitations"`)
	p.screenshot("invite-several-preview")
	p.axe("invite several: the preview")

	// Record the progress bar while the batch goes out.
	p.run("watch the progress bar", evalJS(`window.progressSeen = []; new MutationObserver(() => {
		const b = document.querySelector('#invite-several [role="progressbar"]');
		if (b) window.progressSeen.push(b.getAttribute("aria-label") + ":" + b.getAttribute("aria-valuenow") + "/" + b.getAttribute("aria-valuemax"));
	}).observe(document.body, {subtree: true, childList: true, attributes: true})`))
	p.click("#invite-several-send")
	p.waitJS("the results show", `document.querySelector("#invite-several-done")`)
	p.check("the progress bar was shown, named, and reached the end", `window.progressSeen.includes("Invitations sent:0/3") && window.progressSeen.includes("Invitations sent:3/3")`)
	p.check("Ann invited", bulkStatus("ann@example.com")+` === "Invited"`)
	p.check("Bo invited", bulkStatus("bo@example.com")+` === "Invited"`)
	p.check("Grace is already a user", bulkStatus("grace@demo.test")+` === "Already a user"`)
	p.check("the invalid row is reported invalid", bulkStatus("not-an-address")+`.startsWith("Invalid")`)
	p.check("the summary counts each outcome", `document.querySelector("#result-summary").textContent === "2 invited · 1 already a user · 2 invalid."`)
	p.check("focus on the summary", p.focused("#result-summary"))
	p.screenshot("invite-several-results")
	p.axe("invite several: the results")

	p.click("#invite-several-done")
	p.waitJS("the sidebar closes", `!document.querySelector("dialog#invite-several")`)
	p.check("focus back on Invite several", p.focused("#invite-several-open"))
	p.check("the invited are in the table", `document.querySelector(`+jsq(row("ann@example.com"))+`) && document.querySelector(`+jsq(row("bo@example.com"))+`)`)
	ann, status := owner.user("ann@example.com")
	if status != 200 || ann.FirstName == nil || *ann.FirstName != "Ann" || ann.Phone == nil || *ann.Phone != "+14155550100" ||
		slices.Contains(ann.Permissions, "store") || len(ann.Permissions) != 7 {
		t.Errorf("Ann as stored: %d %+v", status, ann)
	}
	if bo, _ := owner.user("bo@example.com"); bo.FirstName == nil || *bo.FirstName != "Bo, Jr." {
		t.Errorf("Bo as stored: %+v", bo)
	}
}

// TestInviteSeveralRateLimited: past the hour's email budget the people not
// invited are marked rate limited, each.
func TestInviteSeveralRateLimited(t *testing.T) {
	stack := localtest.StartWith(t, "", func(c *local.Config) { c.InviteRate = 2 })
	p := newPage(t, stack.URL, 1280, 860)
	p.signInAsManager()
	p.click("#invite-several-open")
	p.waitJS("the sidebar opens", `document.querySelector("dialog#invite-several[open]")`)
	p.setTextarea("#f-people", "a@example.com\nb@example.com\nc@example.com\n")
	p.click("#invite-several-preview")
	p.click("#invite-several-send")
	p.waitJS("the results show", `document.querySelector("#invite-several-done")`)
	p.check("two invited, one rate limited", `document.querySelector("#result-summary").textContent === "2 invited · 1 rate limited."`)
	p.check("the rate-limited person says so", `[...document.querySelectorAll("#invite-several .bulk-status")].filter(s => s.textContent.startsWith("Rate limited")).length === 1`)
}

// TestInviteSeveralNarrowScreen: at 375 px the sidebar fills the screen
// without sideways scrolling, in each step.
func TestInviteSeveralNarrowScreen(t *testing.T) {
	stack := localtest.Start(t, "")
	p := newPage(t, stack.URL, 375, 812)
	p.signInAsManager()
	noOverflow := `(() => { const b = document.querySelector("#invite-several .sheet-body"); return b.scrollWidth <= b.clientWidth && document.querySelector("#invite-several").getBoundingClientRect().width <= window.innerWidth })()`
	p.check("the heading's buttons fit", `document.documentElement.scrollWidth <= window.innerWidth`)
	p.click("#invite-several-open")
	p.waitJS("the sidebar opens", `document.querySelector("dialog#invite-several[open]")`)
	p.check("the paste step fits", noOverflow)
	p.setTextarea("#f-people", "maria.fernanda.rodriguez-alvarez@a-rather-long-domain.example,María Fernanda,Rodríguez Álvarez,+34 612 345 678\nnot-an-address\n")
	p.click("#invite-several-preview")
	p.waitJS("the preview shows", `document.querySelector("#preview-summary")`)
	p.check("the preview fits", noOverflow)
	p.screenshot("narrow-invite-several-preview")
	p.axe("invite several at 375 px: the preview")
	p.click("#invite-several-send")
	p.waitJS("the results show", `document.querySelector("#invite-several-done")`)
	p.check("the results fit", noOverflow)
	p.screenshot("narrow-invite-several-results")
	p.click("#invite-several-done")
	p.waitJS("the sidebar closes", `!document.querySelector("dialog#invite-several")`)
	p.check("no horizontal overflow on the table", `document.documentElement.scrollWidth <= window.innerWidth`)
}

// seedTeam writes n users into the demo business straight into the table
// (and adds them to its count), as a large team would be: the point is
// 2,000 people fast, not 2,000 invitations.
func seedTeam(t *testing.T, stack *local.Stack, n int, user func(i int) team.User) {
	t.Helper()
	client := dynamotest.Client(t)
	ctx := context.Background()
	var batch []types.WriteRequest
	flush := func() {
		for len(batch) > 0 {
			out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{stack.TableName: batch}})
			if err != nil {
				t.Fatal(err)
			}
			batch = out.UnprocessedItems[stack.TableName]
		}
	}
	var invited int64
	for i := range n {
		u := user(i)
		if u.Status == team.StatusInvited {
			invited++
		}
		item, err := dynamo.UserItem(u)
		if err != nil {
			t.Fatal(err)
		}
		// The list's index items too, so that a search or a tab finds
		// the seeded people as it finds invited ones.
		index, err := dynamo.UserIndexItems(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range append([]map[string]types.AttributeValue{item}, index...) {
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
			if len(batch) == 25 {
				flush()
			}
		}
	}
	flush()
	u := dynamo.UserCountUpdate(stack.TableName, local.DemoBusiness, 0, int64(n), invited).Update
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(stack.TableName), Key: u.Key,
		UpdateExpression: u.UpdateExpression, ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues}); err != nil {
		t.Fatal(err)
	}
}

// exportHooks records, in the page, every Blob the page makes a download
// of and every progress text, and slows each list request by delay so that
// a test can see (and cancel) an export under way.
func exportHooks(delay time.Duration) string {
	return fmt.Sprintf(`window.exportBlobs = []; window.progressSeen = [];
		const create = URL.createObjectURL.bind(URL);
		URL.createObjectURL = (b) => { window.exportBlobs.push(b); return create(b); };
		HTMLAnchorElement.prototype.click = function () { window.downloadNames = (window.downloadNames || []).concat(this.download); };
		const realFetch = window.fetch.bind(window);
		window.fetch = (url, init) => String(url).includes("/users?") ? new Promise(r => setTimeout(r, %d)).then(() => realFetch(url, init)) : realFetch(url, init);
		document.addEventListener("DOMContentLoaded", () => new MutationObserver(() => {
			const t = document.querySelector("#export-progress-text"), b = document.querySelector("#export-progress");
			if (t && b && window.progressSeen[window.progressSeen.length - 1] !== t.textContent) window.progressSeen.push(t.textContent + "|" + b.getAttribute("aria-valuetext"));
		}).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true}));`, delay.Milliseconds())
}

// TestExportCSV exports a team of 2,001 (2,000 seeded and the owner): the
// progress bar counts "N of 2,001" while the pages come in, the file has
// every person once with the eight columns, RFC 4180 quoting and formula
// guards; an export can be cancelled.
func TestExportCSV(t *testing.T) {
	stack := localtest.Start(t, "")
	created := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	seedTeam(t, stack, 2000, func(i int) team.User {
		u := team.User{BusinessID: local.DemoBusiness, ID: fmt.Sprintf("usr_seed%05d", i), Email: fmt.Sprintf("user%04d@example.com", i),
			FirstName: "Pat", LastName: fmt.Sprintf("Number %d", i), Permissions: team.Permissions{team.TabHome, team.TabCRM},
			InvitedBy: local.DemoOwner, CreatedAt: created, UpdatedAt: created, Version: 1, Status: team.StatusActive, ActivatedAt: created}
		switch i {
		case 7:
			u.FirstName, u.LastName = "=HYPERLINK(\"http://evil.example\")", "Smith, Jr."
		case 8:
			u.Phone = "+14155550100"
			u.FirstName = "@SUM(A1)"
		}
		return u
	})
	p := newPage(t, stack.URL, 1280, 860)
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: exportHooks(150 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	p.signInAsManager()

	p.click("#export-csv")
	p.waitJS("the progress panel shows", `document.querySelector('#export-panel [role="progressbar"]')`)
	p.check("the bar is named", `document.querySelector("#export-progress").getAttribute("aria-label") === "Export progress"`)
	p.check("focus on Cancel", p.focused("#export-cancel"))
	p.check("the button says it is working", `document.querySelector("#export-csv").disabled`)
	p.waitJS("a page has arrived", `document.querySelector("#export-progress-text").textContent.includes(" of 2,001")`)
	p.screenshot("export-progress")
	p.axe("export under way")
	p.waitJS("the export ends", `!document.querySelector("#export-panel")`)
	p.toast("Exported 2,001 people to CSV")
	p.check("focus back on Export CSV", p.focused("#export-csv"))
	p.check("progress counted up to the total", `window.progressSeen.some(s => s.startsWith("100 of 2,001|100 of 2,001")) && window.progressSeen.some(s => s.startsWith("2,001 of 2,001"))`)
	p.check("one file, named for the business", `window.exportBlobs.length === 1 && window.downloadNames.length === 1 && /^team-demo-\d{4}-\d{2}-\d{2}\.csv$/.test(window.downloadNames[0])`)
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.exportBlobs[0].text()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	// Blob.text() drops a byte order mark; the bytes show it.
	p.run("read the file's first bytes", evalJS(`window.exportBlobs[0].slice(0, 3).arrayBuffer().then(b => { window.firstBytes = new Uint8Array(b).join(); })`))
	p.waitJS("the file starts with UTF-8's byte order mark, for spreadsheets", `window.firstBytes === "239,187,191"`)
	if !strings.Contains(text, "\r\n") {
		t.Errorf("the file lacks CRLF line ends: %q", text[:min(80, len(text))])
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("the file is not CSV: %v", err)
	}
	if len(records) != 2002 {
		t.Fatalf("%d records, want a header and 2,001 people", len(records))
	}
	if d := cmp.Diff([]string{"Email", "First name", "Last name", "Phone", "Status", "Permissions", "Date added", "Invited by"}, records[0]); d != "" {
		t.Errorf("header (-want +got):\n%s", d)
	}
	emails := map[string][]string{}
	for _, r := range records[1:] {
		if _, dup := emails[r[0]]; dup {
			t.Errorf("%s twice", r[0])
		}
		emails[r[0]] = r
	}
	for _, want := range [][]string{
		{"user0000@example.com", "Pat", "Number 0", "", "active", "Home; CRM", "2026-11-01T09:30:00Z", local.DemoOwner},
		{"user0007@example.com", `'=HYPERLINK("http://evil.example")`, "Smith, Jr.", "", "active", "Home; CRM", "2026-11-01T09:30:00Z", local.DemoOwner},
		{"user0008@example.com", "'@SUM(A1)", "Number 8", "'+14155550100", "active", "Home; CRM", "2026-11-01T09:30:00Z", local.DemoOwner},
		{"user1999@example.com", "Pat", "Number 1999", "", "active", "Home; CRM", "2026-11-01T09:30:00Z", local.DemoOwner},
	} {
		if d := cmp.Diff(want, emails[want[0]]); d != "" {
			t.Errorf("row of %s (-want +got):\n%s", want[0], d)
		}
	}
	if _, ok := emails[local.DemoOwner]; !ok {
		t.Error("the owner is not in the file")
	}

	// Cancel: a second export stopped after its first page makes no file.
	p.click("#export-csv")
	p.waitJS("the second export starts", `document.querySelector("#export-cancel")`)
	p.key(kb.Enter) // focus is on Cancel
	p.toast("Export cancelled")
	p.waitJS("the panel goes", `!document.querySelector("#export-panel")`)
	p.check("no second file", `window.exportBlobs.length === 1`)
	p.check("Export CSV works again", `!document.querySelector("#export-csv").disabled`)
}

// TestExportCSVFilteredCountsWithoutATotal: with a filter in the URL the
// export passes it on and counts "N exported" (SPEC §4's total counts
// everyone, not the matches).
func TestExportCSVFilteredCountsWithoutATotal(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	owner.do("POST", "/v1/businesses/demo/users", `{"email":"ann@example.com"}`, nil)
	p := newPage(t, stack.URL, 1280, 860)
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: exportHooks(0) + `window.listURLs = []; const f2 = window.fetch; window.fetch = (u, i) => { window.listURLs.push(String(u)); return f2(u, i); };`}); err != nil {
		t.Fatal(err)
	}
	p.signInAsManager()
	// The search and filters put their state in the URL; the export reads it.
	p.run("filter in the URL", evalJS(`history.replaceState(null, "", location.pathname.replace(/\/demo$/, "/demo/administration/users") + "?status=invited&sort=email")`))
	p.click("#export-csv")
	p.waitJS("the export ends", `window.exportBlobs.length === 1`)
	p.check("the list was asked with the filter", `window.listURLs.some(u => u.includes("/users?") && u.includes("status=invited") && u.includes("sort=email") && u.includes("limit=100"))`)
	p.check("counted without a total", `window.progressSeen.some(s => /^\d+ exported\|\d+ exported$/.test(s))`)
	p.check("the file is named as filtered", `/-filtered\.csv$/.test(window.downloadNames[0])`)
}

// TestExportCSVBuilder checks web/assets/csv.js on its own, in Chromium:
// RFC 4180 quoting, the formula guards, and the reading of pasted lists.
func TestExportCSVBuilder(t *testing.T) {
	p := modulePage(t, nil)
	call := func(js string) any {
		t.Helper()
		ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
		defer cancel()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`import("/assets/csv.js").then(m => JSON.stringify(`+js+`))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+14155550100", "'+14155550100"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "\"'\rx\""},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"two\nlines", "\"two\nlines\""},
		{`=A1,"x"`, `"'=A1,""x"""`},
		{"a=b", "a=b"},
	} {
		if got := call(`m.csvCell(` + jsq(tt.in) + `)`); got != tt.want {
			t.Errorf("csvCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := call(`m.csvCell(null) + "|" + m.csvLine(["a", null, "b,c"])`); got != "|a,,\"b,c\"\r\n" {
		t.Errorf("null and a line: %q", got)
	}

	type row struct {
		Line                              float64
		Email, FirstName, LastName, Phone string
		Problem                           string
	}
	parse := func(text string) []row {
		raw, _ := json.Marshal(call(`m.parseInviteList(` + jsq(text) + `)`))
		var rows []row
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	for _, tt := range []struct {
		name, text string
		want       []row
	}{
		{"one per line", "ann@example.com\n\n  bo@example.com  \r\n", []row{{1, "ann@example.com", "", "", "", ""}, {3, "bo@example.com", "", "", "", ""}}},
		{"CSV without a header", "ann@example.com,Ann,Lee,+1 415 555 0100", []row{{1, "ann@example.com", "Ann", "Lee", "+1 415 555 0100", ""}}},
		{"a header in another order", "Phone,E-mail,Last Name,First\n+44 20 7946 0958,ann@example.com,Lee,Ann", []row{{2, "ann@example.com", "Ann", "Lee", "+44 20 7946 0958", ""}}},
		{"quoted fields", `"ann@example.com","Ann ""Nan""","Lee, Jr."`, []row{{1, "ann@example.com", `Ann "Nan"`, "Lee, Jr.", "", ""}}},
		{"tab separated, as from a spreadsheet", "ann@example.com\tAnn\tLee", []row{{1, "ann@example.com", "Ann", "Lee", "", ""}}},
		{"problems", "nope\nann@example.com\nAnn@Example.com\n,Ann\nbo@example.com,Bo,,call me", []row{
			{1, "nope", "", "", "", "Not a valid email address"},
			{2, "ann@example.com", "", "", "", ""},
			{3, "Ann@Example.com", "", "", "", "Repeats line 2"},
			{4, "", "Ann", "", "", "No email address"},
			{5, "bo@example.com", "Bo", "", "call me", "The phone number may contain only digits, spaces and + ( ) - ."},
		}},
	} {
		if d := cmp.Diff(tt.want, parse(tt.text)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}

// TestLayoutAtDesktopWidths looks at the table at 768, 1024, 1280 and 1440
// px with long emails, long names, international phones and partial
// permissions: a phone number is on one line; an email never runs out of
// its cell, is cut with its full value in a title and in the text that
// assistive technology reads, and shows whole while its row has focus; the
// permissions stay on one line, and their full list opens by keyboard and
// by click (touch), not only on hover.
func TestLayoutAtDesktopWidths(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	const long = "maria.fernanda.rodriguez-alvarez.de.la.cruz@a-rather-long-subdomain.example-company.com"
	for _, body := range []string{
		`{"email":"` + long + `","firstName":"María Fernanda","lastName":"Rodríguez Álvarez de la Cruz","phone":"+34 612 345 678","permissions":["home","crm","reports","conversations"]}`,
		`{"email":"bo@example.com","firstName":"Bo","lastName":"Li","phone":"+1 415 555 0100","permissions":["home","crm"]}`,
		`{"email":"cy@example.com","phone":"+44 20 7946 0958","permissions":["crm"]}`,
	} {
		if status := owner.do("POST", "/v1/businesses/demo/users", body, nil); status != 201 {
			t.Fatalf("invite: %d", status)
		}
	}
	for _, width := range []int64{768, 1024, 1280, 1440} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			p := newPage(t, stack.URL, width, 900)
			p.signInAsManager()
			longRow := row(long)
			p.check("nothing scrolls sideways", `document.documentElement.scrollWidth <= window.innerWidth`)
			// A text on one line has one line box per element.
			p.check("every phone number is on one line", `[...document.querySelectorAll(".users .cell-phone span")].every(s => s.getClientRects().length === 1 && s.getBoundingClientRect().height < 24)`)
			p.check("every phone number stays inside its cell", `[...document.querySelectorAll(".users .cell-phone")].every(c => c.scrollWidth <= c.clientWidth + 1)`)
			email := `document.querySelector(` + jsq(longRow+" .email") + `)`
			cell := `document.querySelector(` + jsq(longRow+" .cell-user") + `)`
			p.check("the long email stays inside its cell", email+`.getBoundingClientRect().right <= `+cell+`.getBoundingClientRect().right + 1`)
			p.check("the long email is cut, on one line", email+`.scrollWidth > `+email+`.clientWidth && `+email+`.getClientRects().length === 1`)
			p.check("its full value is its title and its text", email+`.title === `+jsq(long)+` && `+email+`.textContent === `+jsq(long))
			p.check("the badges stay inside the email's cell", `[...document.querySelectorAll(".users .cell-user")].every(c => [...c.querySelectorAll(".badge")].every(b => b.getBoundingClientRect().right <= c.getBoundingClientRect().right + 1))`)
			p.check("names break only between words", `[...document.querySelectorAll(".users .cell-name span")].every(s => {
				const t = s.firstChild; let i = 0;
				return !t || t.textContent.split(" ").every(w => { const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + w.length); i += w.length + 1; return r.getClientRects().length <= 1; });
			})`)
			p.check("the permissions are on one line", `[...document.querySelectorAll(".users .cell-perms > *")].every(e => e.getBoundingClientRect().height < 30)`)
			p.screenshot(fmt.Sprintf("layout-%d", width))

			// Focus in the row (its actions button): the email shows whole.
			p.run("focus the long row", focusSel(longRow+" .row-actions"))
			p.check("the focused row shows the whole email", email+`.scrollWidth <= `+email+`.clientWidth + 1 && `+email+`.getBoundingClientRect().right <= `+cell+`.getBoundingClientRect().right + 1`)

			// The permission list by keyboard: Tab from the email's row
			// reaches the count; Enter opens it.
			summary := longRow + " .perm-count"
			p.run("focus the count", focusSel(summary))
			p.key(kb.Enter)
			p.check("Enter opens the list", `document.querySelector(`+jsq(longRow+" .perm-details")+`).open`)
			p.check("the list names every tab", `[...document.querySelectorAll(`+jsq(longRow+" .perm-list li")+`)].map(li => li.textContent).join() === "Home,Conversations,CRM,Reports"`)
			if width == 1024 {
				p.screenshot("layout-1024-permissions-open")
				p.axe("the table with a permission list open")
			}
			p.key(kb.Enter)
			p.check("Enter closes it", `!document.querySelector(`+jsq(longRow+" .perm-details")+`).open`)
			// By click or tap.
			p.click(row("bo@example.com") + " .perm-count")
			p.check("a click opens the list", `document.querySelector(`+jsq(row("bo@example.com")+" .perm-details")+`).open`)
			p.check("the count names itself", `document.querySelector(`+jsq(row("bo@example.com")+" .perm-count")+`).textContent.startsWith("2 tabs")`)
		})
	}
}

// TestInviteSeveralSendsAgainWhatWasNotSent: entries the server did not
// attempt before its deadline (503, "Not attempted") are reported as not
// sent, and one action sends just those again. The first answer is cut
// short in the page (the server is asked for the first entry only, and
// the rest answered as the API answers entries it had no time for).
func TestInviteSeveralSendsAgainWhatWasNotSent(t *testing.T) {
	stack := localtest.Start(t, "")
	p := newPage(t, stack.URL, 1280, 860)
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.invitationBodies = [];
		const realFetch = window.fetch.bind(window);
		window.fetch = async (url, init) => {
			if (!String(url).endsWith("/invitations")) return realFetch(url, init);
			const users = JSON.parse(init.body).users;
			window.invitationBodies.push(users.map(u => u.email));
			if (window.invitationBodies.length > 1) return realFetch(url, init);
			const resp = await realFetch(url, {...init, body: JSON.stringify({users: users.slice(0, 1)})});
			const answer = await resp.json();
			for (const u of users.slice(1)) answer.results.push({email: u.email, status: 503, error: {code: "unavailable",
				message: "Not attempted: the request ran out of time before this invitation; nothing was written for it, so send it again."}});
			return new Response(JSON.stringify(answer), {status: 200, headers: {"Content-Type": "application/json"}});
		};`}); err != nil {
		t.Fatal(err)
	}
	p.signInAsManager()
	p.click("#invite-several-open")
	p.waitJS("the sidebar opens", `document.querySelector("dialog#invite-several[open]")`)
	p.setTextarea("#f-people", "a@example.com\nb@example.com\nc@example.com\n")
	p.click("#invite-several-preview")
	p.click("#invite-several-send")
	p.waitJS("the results show", `document.querySelector("#invite-several-done")`)
	p.check("one invited, two not sent", `document.querySelector("#result-summary").textContent === "1 invited · 2 not sent."`)
	p.check("the not-sent say why", bulkStatus("b@example.com")+`.startsWith("Not attempted")`)
	p.check("offered again", `document.querySelector("#invite-several-retry").textContent === "Send 2 invitations again"`)
	p.axe("invite several: some not sent")
	p.click("#invite-several-retry")
	p.waitJS("the second results show", `document.querySelector("#invite-several-done") && !document.querySelector("#invite-several-retry")`)
	p.check("only those were sent again", `JSON.stringify(window.invitationBodies[1]) === '["b@example.com","c@example.com"]'`)
	p.check("all three invited", `document.querySelector("#result-summary").textContent === "3 invited."`)
	p.click("#invite-several-done")
	p.waitJS("the sidebar closes", `!document.querySelector("dialog#invite-several")`)
	p.check("all three in the table", `["a@example.com", "b@example.com", "c@example.com"].every(e => document.querySelector('tr[data-email="' + e + '"]'))`)
}
