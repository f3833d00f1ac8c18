package delivery

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/businessapp/usermanagement/internal/team"
)

//go:embed templates/notice.txt.tmpl templates/notice.html.tmpl
var noticeFiles embed.FS

// The notice is kept apart from the welcome email (its own templates and
// renderer) so that each can change without the other. Like the welcome
// email, its HTML part goes through html/template.
var (
	noticeText = texttemplate.Must(texttemplate.ParseFS(noticeFiles, "templates/notice.txt.tmpl"))
	noticeHTML = htmltemplate.Must(htmltemplate.ParseFS(noticeFiles, "templates/notice.html.tmpl"))
)

// noticeData is what the notice templates see.
type noticeData struct {
	Subject    string
	Greeting   string // the user's first name, or "there"
	Changer    string // "Name (email)" or the email
	Business   string
	OldAddress string
	NewAddress string
}

// RenderNotice renders the notice to a user's old address after a manager
// changed their email (SPEC §5): it says which address now has access to
// the business and who changed it. It links nowhere and holds no secret;
// names people typed stay out of the subject, so that the notice cannot
// carry someone else's message in the line a mail client shows first.
func RenderNotice(biz team.Business, changer team.User, user team.Person, oldAddress string) (WelcomeEmail, error) {
	d := noticeData{
		Greeting:   user.FirstName,
		Changer:    changer.Email,
		Business:   biz.Name,
		OldAddress: oldAddress,
		NewAddress: user.Email,
	}
	if d.Greeting == "" {
		d.Greeting = "there"
	}
	if d.Business == "" {
		d.Business = biz.ID.String()
	}
	if name := strings.TrimSpace(changer.FirstName + " " + changer.LastName); name != "" {
		d.Changer = fmt.Sprintf("%s (%s)", name, changer.Email)
	}
	d.Subject = fmt.Sprintf("Your access to %s on the Business App moved to another email address", d.Business)

	var text, html bytes.Buffer
	if err := noticeText.Execute(&text, d); err != nil {
		return WelcomeEmail{}, fmt.Errorf("render notice text: %w", err)
	}
	if err := noticeHTML.Execute(&html, d); err != nil {
		return WelcomeEmail{}, fmt.Errorf("render notice html: %w", err)
	}
	return WelcomeEmail{To: oldAddress, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}
