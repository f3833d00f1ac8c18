package delivery

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

//go:embed templates/welcome.txt.tmpl templates/welcome.html.tmpl
var templateFiles embed.FS

// Both parts are rendered from templates in the repository; the HTML part
// goes through html/template, which escapes names people typed. They are
// parsed on first use, not at package initialisation: every route function
// links this package (through internal/dynamo's delivery ledger) and never
// sends an email, and its cold start should not pay for parsing them.
var (
	welcomeText = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/welcome.txt.tmpl"))
	})
	welcomeHTML = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/welcome.html.tmpl"))
	})
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
		Greeting:  greeting(invitee.FirstName),
		Inviter:   personLabel(inviter),
		Business:  businessName(biz),
		To:        invitee.Email,
		SignInURL: SignInURL(appBaseURL, biz.ID),
	}
	if !validUntil.IsZero() {
		d.ValidUntil = validUntil.UTC().Format(validUntilLayout)
	}
	// The subject names the inviter by name when there is one (the
	// platform has no address), else by address.
	subjectInviter := inviter.Email
	if name := fullName(inviter); name != "" {
		subjectInviter = name
	}
	d.Subject = fmt.Sprintf("%s invited you to %s on the Business App", subjectInviter, d.Business)
	return render("welcome", welcomeText(), welcomeHTML(), d, invitee.Email, d.Subject)
}

// greeting is how an email greets a person: by first name, or "there".
func greeting(firstName string) string {
	if firstName == "" {
		return "there"
	}
	return firstName
}

// businessName is the business as an email names it: its name, or its id
// when it has none.
func businessName(biz team.Business) string {
	if biz.Name == "" {
		return biz.ID.String()
	}
	return biz.Name
}

func fullName(u team.User) string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// personLabel names who acted in an email's body: "Name (email)", or the
// one of the two there is (the platform has a name and no address).
func personLabel(u team.User) string {
	switch name := fullName(u); {
	case name == "":
		return u.Email
	case u.Email == "":
		return name
	default:
		return fmt.Sprintf("%s (%s)", name, u.Email)
	}
}

// render executes an email's text and HTML templates on data.
func render(what string, text *texttemplate.Template, html *htmltemplate.Template, data any, to, subject string) (WelcomeEmail, error) {
	var textPart, htmlPart bytes.Buffer
	if err := text.Execute(&textPart, data); err != nil {
		return WelcomeEmail{}, fmt.Errorf("render %s text: %w", what, err)
	}
	if err := html.Execute(&htmlPart, data); err != nil {
		return WelcomeEmail{}, fmt.Errorf("render %s html: %w", what, err)
	}
	return WelcomeEmail{To: to, Subject: subject, Text: textPart.String(), HTML: htmlPart.String()}, nil
}
