package delivery

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

//go:embed templates/welcome.txt.tmpl templates/welcome.html.tmpl
var templateFiles embed.FS

// Both parts are rendered from templates in the repository; the HTML part
// goes through html/template, which escapes names people typed.
var (
	welcomeText = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/welcome.txt.tmpl"))
	welcomeHTML = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/welcome.html.tmpl"))
)

// welcomeData is what the templates see.
type welcomeData struct {
	Subject   string
	Greeting  string // the invitee's first name, or "there"
	Inviter   string // "Name (email)" or the email
	Business  string
	To        string
	SignInURL string
	// ValidUntil is when the invitation expires, for people ("" when the
	// activity predates recording it).
	ValidUntil string
}

// SignInURL is the Business App address for a business: where an invitee
// signs in. It contains no secret; signing in is what proves who they are.
func SignInURL(appBaseURL string, businessID team.BusinessID) string {
	return strings.TrimRight(appBaseURL, "/") + "/" + url.PathEscape(businessID.String())
}

// validUntilLayout writes an invitation's expiry for people. The time is
// in UTC and says so: the service does not know the invitee's time zone.
const validUntilLayout = "Monday 2 January 2006 at 15:04 UTC"

// RenderWelcome renders the welcome email for an invited user, whose
// invitation is valid until validUntil (SPEC §5; zero leaves the sentence
// out, for activity recorded before the expiry was).
func RenderWelcome(appBaseURL string, biz team.Business, inviter team.User, invitee team.Person, validUntil time.Time) (WelcomeEmail, error) {
	d := welcomeData{
		Greeting:  invitee.FirstName,
		Inviter:   inviter.Email,
		Business:  biz.Name,
		To:        invitee.Email,
		SignInURL: SignInURL(appBaseURL, biz.ID),
	}
	if d.Greeting == "" {
		d.Greeting = "there"
	}
	if !validUntil.IsZero() {
		d.ValidUntil = validUntil.UTC().Format(validUntilLayout)
	}
	if d.Business == "" {
		d.Business = biz.ID.String()
	}
	inviterName := strings.TrimSpace(inviter.FirstName + " " + inviter.LastName)
	subjectInviter := inviter.Email
	switch {
	case inviterName != "" && inviter.Email == "":
		// An inviter who is no person with an address: the platform.
		d.Inviter, subjectInviter = inviterName, inviterName
	case inviterName != "":
		d.Inviter = fmt.Sprintf("%s (%s)", inviterName, inviter.Email)
		subjectInviter = inviterName
	}
	d.Subject = fmt.Sprintf("%s invited you to %s on the Business App", subjectInviter, d.Business)

	var text, html bytes.Buffer
	if err := welcomeText.Execute(&text, d); err != nil {
		return WelcomeEmail{}, fmt.Errorf("render welcome text: %w", err)
	}
	if err := welcomeHTML.Execute(&html, d); err != nil {
		return WelcomeEmail{}, fmt.Errorf("render welcome html: %w", err)
	}
	return WelcomeEmail{To: invitee.Email, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}
