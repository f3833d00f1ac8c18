package webtest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// TestManagerJourney walks SPEC §2 through the page as the seeded manager:
// sign in, invite (and the duplicate error on the email field), edit
// permissions, edit contact info, remove with confirmation, the welcome
// email; with axe-core and screenshots of the table, the invite sidebar and
// the remove dialog. Its invitee has an address no other test uses: kumo,
// the SES emulator, keeps one outbox per process, so /dev/emails of every
// stack a test binary starts lists every stack's mail, and the welcome link
// checked here must be this stack's.
func TestManagerJourney(t *testing.T) {
	stack := localtest.Start(t, "")
	p := newPage(t, stack.URL, 1280, 860)
	owner := newAPI(t, stack.URL, local.DemoOwner)
	// Two teammates already there, so the table looks like a team.
	owner.do("POST", "/v1/businesses/demo/users", `{"email":"grace@demo.test","firstName":"Grace","lastName":"Hopper","phone":"+1 212 555 0142","permissions":["home","crm","reports"]}`, nil)
	owner.do("POST", "/v1/businesses/demo/users", `{"email":"linus@demo.test","firstName":"Linus","lastName":"Park"}`, nil)

	p.signInAsManager()
	p.check("own row marked", `document.querySelector(`+jsq(row(local.DemoOwner)+" .badge")+`).textContent === "You"`)
	p.check("three rows", `document.querySelectorAll("tbody tr[data-email]").length === 3`)
	p.screenshot("table")
	p.axe("the table")

	// Invite: all enabled tabs checked by default; focus inside the sidebar.
	p.click("#invite-user")
	p.waitJS("the invite sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("titled Add team member", `document.querySelector("#sheet-title").textContent === "Add team member"`)
	p.check("focus moved into the sidebar", p.focused("dialog.sheet input"))
	p.check("every enabled tab checked", `(() => { const b = [...document.querySelectorAll('dialog input[name="permissions"]')]; return b.length === 8 && b.every(x => x.checked) })()`)
	p.typeInto("#f-firstName", "Ann")
	p.typeInto("#f-lastName", "Lee")
	p.typeInto("#f-email", "Ann@Journey.test")
	p.typeInto("#f-phone", "+1 (415) 555-0100")
	p.click(`label.check:has(input[value="store"])`)
	p.check("store unchecked", `!document.querySelector('input[value="store"]').checked`)
	p.screenshot("invite-sidebar")
	p.axe("the invite sidebar")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the sidebar closes", `!document.querySelector("dialog.sheet")`)
	p.toast("Invitation sent to ann@journey.test")
	p.waitJS("Ann's row appears", `document.querySelector(`+jsq(row("ann@journey.test"))+`)`)
	// The phone as the API's phoneDisplay (SPEC §4, issue 12), no longer
	// the page's own North American format.
	p.check("row shows name and phone", `(() => { const r = document.querySelector(`+jsq(row("ann@journey.test"))+`).textContent; return r.includes("Ann Lee") && r.includes("+1 415-555-0100") })()`)
	p.check("the invitee's row says Invited, and until when", `document.querySelector(`+jsq(row("ann@journey.test")+" .badge")+`).textContent === "Invited · expires in 14 days"`)
	p.check("focus back on Invite user", p.focused("#invite-user"))
	ann, _ := owner.user("ann@journey.test")
	if slices.Contains(ann.Permissions, "store") || !slices.Contains(ann.Permissions, "crm") || len(ann.Permissions) != 7 {
		t.Errorf("invited with permissions %v, want every tab but store", ann.Permissions)
	}

	// The same address again: the API's error on the email field.
	p.click("#invite-user")
	p.waitJS("the invite sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.typeInto("#f-email", "ann@journey.test")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the email field shows the duplicate error", `!document.querySelector("#f-email-error").hidden`)
	p.check("says it already belongs", `document.querySelector("#f-email-error").textContent.includes("already belongs")`)
	p.check("email marked invalid", `document.querySelector("#f-email").getAttribute("aria-invalid") === "true"`)
	p.check("focus on the email field", p.focused("#f-email"))
	p.screenshot("invite-duplicate-error")
	// The form holds a typed address: since issue 12, Escape asks before
	// discarding it, and discarding closes the sidebar.
	p.key(kb.Escape)
	p.waitJS("Escape asks before discarding the typed address", `!document.querySelector("dialog .discard-prompt").hidden`)
	p.click("#discard-changes")
	p.waitJS("Discard closes the sidebar", `!document.querySelector("dialog.sheet")`)
	p.check("focus back on Invite user", p.focused("#invite-user"))

	// Edit permissions: current tabs checked; uncheck CRM; Save.
	p.openRowAction("ann@journey.test", "Edit permissions")
	p.waitJS("the permissions sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("current tabs checked", `!document.querySelector('input[value="store"]').checked && document.querySelector('input[value="crm"]').checked`)
	p.check("nothing locked for someone else", `!document.querySelector('dialog input[name="permissions"]:disabled')`)
	p.click(`label.check:has(input[value="crm"])`)
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the sidebar closes", `!document.querySelector("dialog.sheet")`)
	p.toast("Permissions updated for Ann Lee")
	p.check("focus back on Ann's actions", p.focused(row("ann@journey.test")+" .row-actions"))
	if ann, _ = owner.user("ann@journey.test"); slices.Contains(ann.Permissions, "crm") || ann.Version != 2 {
		t.Errorf("after edit: permissions %v version %d, want no crm at version 2", ann.Permissions, ann.Version)
	}

	// Edit contact info.
	p.openRowAction("ann@journey.test", "Edit contact info")
	p.waitJS("the contact sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("fields filled in", `document.querySelector("#f-firstName").value === "Ann" && document.querySelector("#f-email").value === "ann@journey.test"`)
	p.typeInto("#f-lastName", "Leigh")
	p.typeInto("#f-phone", "+44 20 7946 0958")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the sidebar closes", `!document.querySelector("dialog.sheet")`)
	p.toast("Contact info updated for Ann Leigh")
	p.waitJS("the row shows the new name", `document.querySelector(`+jsq(row("ann@journey.test"))+`).textContent.includes("Ann Leigh")`)
	if ann, _ = owner.user("ann@journey.test"); ann.LastName == nil || *ann.LastName != "Leigh" || ann.Phone == nil || *ann.Phone != "+442079460958" {
		t.Errorf("after contact edit: %+v", ann)
	}

	// Remove, after a confirmation naming the user.
	p.openRowAction("ann@journey.test", "Remove user")
	p.waitJS("the remove dialog opens", `document.querySelector("dialog.modal[open]")`)
	p.check("the dialog names the user", `document.querySelector("#remove-title").textContent === "Remove Ann Leigh?"`)
	p.check("focus on Cancel, the safe choice", `document.activeElement.textContent === "Cancel"`)
	p.screenshot("remove-dialog")
	p.axe("the remove dialog")
	p.click("#confirm-remove")
	p.waitJS("the dialog closes", `!document.querySelector("dialog.modal")`)
	p.toast("Ann Leigh was removed from the team")
	p.check("Ann's row is gone", `!document.querySelector(`+jsq(row("ann@journey.test"))+`)`)
	if _, status := owner.user("ann@journey.test"); status != 404 {
		t.Errorf("after remove: GET = %d, want 404", status)
	}

	// The welcome email arrived, and its link leads back to this page.
	link := welcomeLink(t, owner, "ann@journey.test")
	if link != stack.URL+"/demo" {
		t.Errorf("welcome email links to %q, want %s/demo", link, stack.URL)
	}
	p.run("follow the welcome link", navigateTo(link))
	p.waitForTable()
	p.check("the link opens the page", `location.pathname === "/demo/administration/users"`)
}

// welcomeLink waits for the welcome email to reach to and returns the
// business link in its text part.
func welcomeLink(t *testing.T, a *api, to string) string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		var emails []struct{ To, Subject, Text string }
		a.do("GET", "/dev/emails", "", &emails)
		for _, e := range emails {
			if e.To == to {
				for f := range strings.FieldsSeq(e.Text) {
					if strings.HasPrefix(f, "http") {
						return strings.TrimRight(f, ".,)")
					}
				}
				t.Fatalf("welcome email to %s has no link:\n%s", to, e.Text)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no welcome email to %s in /dev/emails", to)
	return ""
}

// TestKeyboard checks the row menu and the sidebars without a mouse: Enter
// and the arrow keys open and move through the menu, Escape closes it and
// returns focus; focus stays inside an open sidebar; the caller's own Users
// and Administration boxes are disabled with an explanation; Escape closes
// the sidebar and returns focus to the row.
func TestKeyboard(t *testing.T) {
	stack := localtest.Start(t, "")
	p := newPage(t, stack.URL, 1280, 860)
	p.signInAsManager()
	trigger := row(local.DemoOwner) + " .row-actions"

	p.run("focus the row menu button", focusSel(trigger))
	p.key(kb.Enter)
	p.waitJS("Enter opens the menu", `document.querySelector("#row-menu")`)
	p.check("the button says it is expanded", `document.querySelector(`+jsq(trigger)+`).getAttribute("aria-expanded") === "true"`)
	p.check("focus on the first item", `document.activeElement.textContent.startsWith("Edit contact info")`)
	p.key(kb.ArrowDown)
	p.check("ArrowDown moves to the next item", `document.activeElement.textContent.startsWith("Edit permissions")`)
	p.screenshot("row-menu")
	p.key(kb.ArrowDown)
	p.check("then View history (SPEC §2.1's menu, issue 12)", `document.activeElement.textContent.startsWith("View history")`)
	p.key(kb.ArrowDown)
	p.check("own Remove user is disabled", `document.activeElement.getAttribute("aria-disabled") === "true" && document.activeElement.textContent.includes("can't remove yourself")`)
	p.key(kb.ArrowDown)
	p.check("the menu wraps around", `document.activeElement.textContent.startsWith("Edit contact info")`)
	p.key(kb.Escape)
	p.waitJS("Escape closes the menu", `!document.querySelector("#row-menu")`)
	p.check("focus back on the button", p.focused(trigger))

	p.key(kb.ArrowDown)
	p.waitJS("ArrowDown opens the menu", `document.querySelector("#row-menu")`)
	p.key(kb.ArrowDown)
	p.key(kb.Enter)
	p.waitJS("Enter on Edit permissions opens the sidebar", `document.querySelector("dialog.sheet[open]")`)
	p.check("own Users box checked and disabled", `(() => { const b = document.querySelector('input[value="users"]'); return b.checked && b.disabled })()`)
	p.check("own Administration box checked and disabled", `(() => { const b = document.querySelector('input[value="administration"]'); return b.checked && b.disabled })()`)
	p.check("other boxes enabled", `!document.querySelector('input[value="crm"]').disabled`)
	p.screenshot("own-permissions")
	p.check("the lockout is explained", `document.querySelector("#lockout-note").textContent.includes("can't remove your own access") && document.querySelector('input[value="users"]').getAttribute("aria-describedby") === "lockout-note"`)
	for range 14 {
		p.key(kb.Tab)
		p.check("focus stays in the sidebar", `document.activeElement.closest("dialog.sheet")`)
	}
	p.key(kb.Escape)
	p.waitJS("Escape closes the sidebar", `!document.querySelector("dialog.sheet")`)
	p.check("focus back on the row's button", p.focused(trigger))
}

// TestAccessStates checks what people who may not manage the team see: a
// member without the Users permission, someone outside the business, and a
// session whose token stopped working (back to sign-in).
func TestAccessStates(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	if status := owner.do("POST", "/v1/businesses/demo/users", `{"email":"member@demo.test","permissions":["home","crm"]}`, nil); status != 201 {
		t.Fatalf("invite member: %d", status)
	}
	p := newPage(t, stack.URL, 1280, 860)

	p.signInAs("member@demo.test")
	p.waitJS("the no-access state shows", `document.querySelector("#state-title")`)
	p.check("says no access to User Management", `document.querySelector("#state-title").textContent === "You don't have access to User Management"`)
	p.check("explains how to get it", `document.querySelector(".state-card").textContent.includes("Users permission")`)
	p.check("no table, no invite", `!document.querySelector("table.users") && !document.querySelector("#invite-user")`)
	p.screenshot("no-access")
	p.axe("the no-access state")

	p.click(".state-card .btn")
	p.waitJS("sign in as someone else", `document.querySelector("#signin-email")`)
	p.signInAs("stranger@elsewhere.test")
	p.waitJS("the not-a-member state shows", `document.querySelector("#state-title")`)
	p.check("says no access to this business", `document.querySelector("#state-title").textContent === "You don't have access to this business"`)

	// A token the stack no longer accepts (expired, or from an earlier run).
	p.run("spoil the token", evalJS(`sessionStorage.setItem("businessapp.usermanagement.session", JSON.stringify({token: "x.eyJlbWFpbCI6Im93bmVyQGRlbW8udGVzdCJ9.y", email: "owner@demo.test"}))`))
	p.navigate("/demo/administration/users")
	p.waitJS("401 leads back to sign-in", `document.querySelector("#signin-email")`)
	p.check("saying why", `document.querySelector(".notice").textContent.includes("session has ended")`)
	p.screenshot("sign-in")
	p.axe("the sign-in screen")
}

// TestNarrowScreen checks the page at 375 px wide: nothing overflows
// sideways, the table becomes a list, and the invite sidebar fills the
// screen and still works.
func TestNarrowScreen(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	owner.do("POST", "/v1/businesses/demo/users", `{"email":"maria.fernanda.rodriguez-alvarez@a-rather-long-domain.example","firstName":"María Fernanda","lastName":"Rodríguez Álvarez","phone":"+34 612 345 678"}`, nil)
	p := newPage(t, stack.URL, 375, 812)
	p.signInAsManager()
	noOverflow := `document.documentElement.scrollWidth <= window.innerWidth`
	p.check("no horizontal overflow on the table", noOverflow)
	p.screenshot("narrow-table")

	p.run("open the menu from the keyboard", focusSel(row(local.DemoOwner)+" .row-actions"))
	p.key(kb.Enter)
	p.waitJS("the menu opens", `document.querySelector("#row-menu")`)
	p.check("the menu fits on screen", `(() => { const r = document.querySelector("#row-menu").getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth })()`)
	p.key(kb.Escape)

	p.click("#invite-user")
	p.waitJS("the invite sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("the sidebar fits the screen", `document.querySelector("dialog.sheet").getBoundingClientRect().width <= window.innerWidth`)
	p.check("no horizontal overflow in the sidebar", `(() => { const b = document.querySelector(".sheet-body"); return b.scrollWidth <= b.clientWidth })()`)
	p.screenshot("narrow-invite-sidebar")
	p.typeInto("#f-email", "phone@demo.test")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the new row appears", `document.querySelector(`+jsq(row("phone@demo.test"))+`)`)
	p.check("still no horizontal overflow", noOverflow)
}

// TestPagingAndConflicts checks paging through a team with Next and
// Previous (two users a page here, so five users take three pages), and an edit
// that someone else got in before: the 412 is explained, the form shows
// the other person's change, and saving again works.
func TestPagingAndConflicts(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	for _, email := range []string{"a@demo.test", "b@demo.test", "c@demo.test", "d@demo.test"} {
		if status := owner.do("POST", "/v1/businesses/demo/users", `{"email":"`+email+`","firstName":"`+strings.ToUpper(email[:1])+`"}`, nil); status != 201 {
			t.Fatalf("invite %s: %d", email, status)
		}
	}
	s := newSite(t, stack, map[string]any{"apiBaseUrl": "", "tokenMode": "local", "local": map[string]string{"suggestedEmail": local.DemoOwner}, "pageSize": 2})
	p := newPage(t, s.URL, 1280, 860)
	p.navigate("/demo/administration/users")
	p.waitJS("the sign-in screen shows", `document.querySelector(".account-choice")`)
	p.click(".account-choice")
	p.waitForTable()
	// Issue 11 (SPEC §2.1, findable at 100,000) turned "Load more", which
	// kept every row loaded so far, into pages that keep one page of rows
	// in the DOM, and the count line into the whole team's count.
	rows := `document.querySelectorAll("tbody tr[data-email]").length`
	emails := `[...document.querySelectorAll("tbody tr[data-email]")].map(r => r.dataset.email).join()`
	rangeText := `document.querySelector("#page-range").textContent`
	p.waitJS("the count line", `document.querySelector("#team-count").textContent === "5 people · 4 invited"`)
	p.check("first page", rows+` === 2 && `+rangeText+` === "1–2 of 5" && document.querySelector("#page-prev").disabled`)
	seen := eval[string](p, emails)
	p.click("#page-next")
	p.waitJS("second page", rangeText+` === "3–4 of 5"`)
	p.check("two rows", rows+` === 2`)
	seen += "," + eval[string](p, emails)
	p.click("#page-next")
	p.waitJS("last page", rangeText+` === "5–5 of 5"`)
	p.check("one row", rows+` === 1`)
	seen += "," + eval[string](p, emails)
	p.check("no more pages", `document.querySelector("#page-next").disabled && document.querySelector("#team-count").textContent === "5 people · 4 invited"`)
	if want := "a@demo.test,b@demo.test,c@demo.test,d@demo.test,owner@demo.test"; seen != want {
		t.Errorf("the pages in order: %s, want everyone once in email order: %s", seen, want)
	}
	p.click("#page-prev")
	p.waitJS("back to the second page", rangeText+` === "3–4 of 5"`)

	p.openRowAction("c@demo.test", "Edit contact info")
	p.waitJS("the contact sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	// Someone else renames C while the sidebar is open.
	if status := owner.do("PATCH", "/v1/businesses/demo/users/c@demo.test", `{"firstName":"Cleo"}`, nil); status != 200 {
		t.Fatalf("concurrent edit: %d", status)
	}
	p.typeInto("#f-lastName", "Jones")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the conflict is explained", `!document.querySelector("dialog .form-banner").hidden`)
	p.check("saying what happened", `document.querySelector("dialog .form-banner").textContent.includes("Someone else changed this user")`)
	p.check("the form shows their change", `document.querySelector("#f-firstName").value === "Cleo"`)
	p.check("the row shows it too", `document.querySelector(`+jsq(row("c@demo.test"))+`).textContent.includes("Cleo")`)
	p.typeInto("#f-lastName", "Jones")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the sidebar closes", `!document.querySelector("dialog.sheet")`)
	p.toast("Contact info updated for Cleo Jones")
	if c, _ := owner.user("c@demo.test"); c.FirstName == nil || *c.FirstName != "Cleo" || c.LastName == nil || *c.LastName != "Jones" {
		t.Errorf("after the second save: %+v", c)
	}
}
