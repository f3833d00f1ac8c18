package webtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/local/localtest"
)

// badges returns a JS expression for the texts of a row's badges, joined
// with "|", in the order the row shows them.
func badges(email string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].map(b => b.textContent).join("|")`, jsq(row(email)+" .badge"))
}

// TestOwnerAndStatus checks what the table says about people (SPEC §2.1,
// §2.3, §2.8): the owner's row carries an "Owner" badge, an invited user
// "Invited · expires in 14 days" (INVITATION_TTL's default), an active user
// no status at all; the top bar names the business rather than its id.
// Then, as another manager: the owner's row offers neither Remove nor Edit
// permissions (disabled, with the reasons) and shows the owner's email
// read-only with the reason, while a member's email stays editable.
func TestOwnerAndStatus(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	if status := owner.do("POST", "/v1/businesses/demo/users", `{"email":"ivy@demo.test","firstName":"Ivy","lastName":"Invitee","permissions":["home"]}`, nil); status != 201 {
		t.Fatalf("invite ivy: %d", status)
	}
	if status := owner.do("POST", "/v1/businesses/demo/users", `{"email":"max@demo.test","firstName":"Max","lastName":"Manager","permissions":["home","users"]}`, nil); status != 201 {
		t.Fatalf("invite max: %d", status)
	}
	// Max's first request makes him active (SPEC §2.3).
	maxAPI := newAPI(t, stack.URL, "max@demo.test")
	if status := maxAPI.do("GET", "/v1/businesses/demo", "", nil); status != 200 {
		t.Fatalf("max's first request: %d", status)
	}
	if m, _ := owner.user("max@demo.test"); m.Status != "active" {
		t.Fatalf("max after his first request: status %q, want active", m.Status)
	}

	p := newPage(t, stack.URL, 1280, 860)
	p.signInAsManager()
	p.check("the owner's own row: You, then Owner", badges(local.DemoOwner)+` === "You|Owner"`)
	p.check("the invitee's row: invited, and until when", badges("ivy@demo.test")+` === "Invited · expires in 14 days"`)
	p.check("an active user's row: no status", badges("max@demo.test")+` === ""`)
	p.check("the top bar names the business", `document.querySelector("#business").textContent === "Demo Business"`)
	p.check("so does the window title", `document.title === "User Management · Demo Business · Business App"`)
	p.check("and the table's caption", `document.querySelector("table.users caption").textContent === "Team members of Demo Business"`)
	p.screenshot("owner-and-status")
	p.axe("the table with owner and status badges")

	// Another manager looks at the owner's row.
	p.signOut()
	p.signInAs("max@demo.test")
	p.waitForTable()
	p.check("Max's row is his", badges("max@demo.test")+` === "You"`)
	p.check("the owner's row still says Owner", badges(local.DemoOwner)+` === "Owner"`)
	p.click(row(local.DemoOwner) + " .row-actions")
	p.waitJS("the row menu opens", `document.querySelector("#row-menu")`)
	item := func(label string) string {
		return `[...document.querySelectorAll("#row-menu .menu-item")].find(b => b.textContent.startsWith(` + jsq(label) + `))`
	}
	remove, perms := item("Remove user"), item("Edit permissions")
	p.check("Remove is disabled on the owner's row", remove+`.getAttribute("aria-disabled") === "true"`)
	p.check("with the reason", remove+`.textContent.includes("owner can't be removed")`)
	p.check("so is Edit permissions", perms+`.getAttribute("aria-disabled") === "true" && `+perms+`.textContent.includes("Only the owner can change the owner's permissions")`)
	p.check("contact info stays on offer", item("Edit contact info")+`.getAttribute("aria-disabled") === null`)
	p.screenshot("owner-row-menu")
	p.run("click the disabled Remove", evalJS(remove+`.click()`))
	p.check("the menu stays open", `document.querySelector("#row-menu")`)
	p.check("no confirmation opens", `!document.querySelector("dialog.modal")`)
	p.key(kb.Escape)
	p.waitJS("Escape closes the menu", `!document.querySelector("#row-menu")`)

	p.openRowAction(local.DemoOwner, "Edit contact info")
	p.waitJS("the contact sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("the sidebar says whose it is", `[...document.querySelectorAll("dialog .user-summary .badge")].map(b => b.textContent).join() === "Owner"`)
	p.check("the owner's email is shown", `document.querySelector("#f-email").value === "owner@demo.test"`)
	p.check("read-only", `document.querySelector("#f-email").readOnly`)
	p.check("with the reason, tied to the field", `document.querySelector("#f-email-hint").textContent.includes("owner's sign-in address") && document.querySelector("#f-email").getAttribute("aria-describedby").split(" ").includes("f-email-hint")`)
	p.check("the sidebar offers names and phone only", `document.querySelector("#sheet-desc").textContent === "Update Demo Owner's name and phone."`)
	p.screenshot("owner-email-read-only")
	p.axe("the owner's contact sidebar")
	// What the sidebar does offer works: a manager may edit the owner's phone.
	p.typeInto("#f-phone", "+1 415 555 0199")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the sidebar closes", `!document.querySelector("dialog.sheet")`)
	p.toast("Contact info updated for Demo Owner")
	if o, _ := owner.user(local.DemoOwner); o.Email != local.DemoOwner || o.Phone == nil || *o.Phone != "+14155550199" {
		t.Errorf("after Max saved the owner's phone: %+v, want the phone at the same address", o)
	}

	p.openRowAction("ivy@demo.test", "Edit contact info")
	p.waitJS("the contact sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("a member's email stays editable", `!document.querySelector("#f-email").readOnly && document.querySelector("#f-email").required`)
	p.key(kb.Escape)
	p.waitJS("Escape closes the sidebar", `!document.querySelector("dialog.sheet")`)
}

// TestExpiredInvitation checks an invitation past its expiry (a stack with
// a one-second INVITATION_TTL): the manager's table says "Invitation
// expired" in words, and the invitee who signs in is told that their
// invitation expired and whom to ask, not that they lack access.
func TestExpiredInvitation(t *testing.T) {
	stack := localtest.StartWith(t, "", func(c *local.Config) { c.InvitationTTL = time.Second })
	owner := newAPI(t, stack.URL, local.DemoOwner)
	var late user
	if status := owner.do("POST", "/v1/businesses/demo/users", `{"email":"late@demo.test","permissions":["home","users"]}`, &late); status != 201 {
		t.Fatalf("invite: %d", status)
	}
	if late.Status != "invited" || late.InvitationExpiresAt == nil {
		t.Fatalf("invited user: %+v, want status invited with an expiry", late)
	}
	time.Sleep(time.Until(*late.InvitationExpiresAt) + 100*time.Millisecond)

	p := newPage(t, stack.URL, 1280, 860)
	p.signInAsManager()
	p.check("the row says the invitation expired", badges("late@demo.test")+` === "Invitation expired"`)
	p.screenshot("invitation-expired")
	p.axe("the table with an expired invitation")

	p.signOut()
	p.signInAs("late@demo.test")
	p.waitJS("a state card shows", `document.querySelector("#state-title")`)
	p.check("says the invitation expired", `document.querySelector("#state-title").textContent === "Your invitation has expired"`)
	p.check("and whom to ask", `document.querySelector(".state-card").textContent.includes("Ask a manager of this business to resend it")`)
	p.check("no table", `!document.querySelector("table.users")`)
	p.axe("the invitation-expired state")
	if u, _ := owner.user("late@demo.test"); u.Status != "invited" {
		t.Errorf("after the expired invitee's visit: status %q, want still invited", u.Status)
	}
}

// TestOwnEmailChange checks that the page does not offer your own email for
// editing. SPEC §2.5 and I2 changed this (the first version let managers
// change their own address and followed them to it): a user's own email is
// their sign-in identity and cannot be changed by them (the API answers 422
// self_lockout). The contact sidebar shows the address read-only with the
// reason; the name can still be edited and is saved, and the caller stays
// who they were.
func TestOwnEmailChange(t *testing.T) {
	stack := localtest.Start(t, "")
	owner := newAPI(t, stack.URL, local.DemoOwner)
	p := newPage(t, stack.URL, 1280, 860)
	p.signInAsManager()
	p.openRowAction(local.DemoOwner, "Edit contact info")
	p.waitJS("the contact sidebar opens", `document.querySelector("dialog.sheet[open]")`)
	p.check("own email shown", `document.querySelector("#f-email").value === "owner@demo.test"`)
	p.check("own email read-only", `document.querySelector("#f-email").readOnly`)
	p.check("says it is the sign-in address and why it can't change", `(() => { const h = document.querySelector("#f-email-hint").textContent; return h.includes("you sign in with") && h.includes("can't change it") })()`)
	p.check("the hint is tied to the field", `document.querySelector("#f-email").getAttribute("aria-describedby").split(" ").includes("f-email-hint")`)
	p.check("the sidebar offers names and phone", `document.querySelector("#sheet-desc").textContent === "Update your name and phone."`)
	p.check("focus starts on the first name", p.focused("#f-firstName"))
	p.screenshot("own-email-read-only")
	p.axe("the own contact sidebar")

	// Typing into the address changes nothing.
	p.run("type into the email field", chromedp.SendKeys(chromedp.CSS("#f-email"), "boss"))
	p.check("the address is unchanged", `document.querySelector("#f-email").value === "owner@demo.test"`)

	p.typeInto("#f-firstName", "Dana")
	p.click(`dialog.sheet button[type="submit"]`)
	p.waitJS("the sidebar closes", `!document.querySelector("dialog.sheet")`)
	p.toast("Contact info updated for Dana Owner")
	p.waitJS("the row shows the new name", `document.querySelector(`+jsq(row(local.DemoOwner))+`).textContent.includes("Dana Owner")`)
	p.check("still the caller's row", badges(local.DemoOwner)+` === "You|Owner"`)
	p.check("the header still shows the address", `document.querySelector(".account-email").textContent === "owner@demo.test"`)
	me, status := owner.user(local.DemoOwner)
	if status != 200 || me.FirstName == nil || *me.FirstName != "Dana" || me.Email != local.DemoOwner {
		t.Errorf("after saving the own name: GET = %d %+v, want Dana at %s", status, me, local.DemoOwner)
	}
	p.navigate("/demo/administration/users")
	p.waitForTable()
	p.check("still a manager after a reload", badges(local.DemoOwner)+` === "You|Owner"`)
}
