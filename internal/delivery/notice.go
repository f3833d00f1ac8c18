package delivery

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"sync"
	texttemplate "text/template"

	"github.com/businessapp/usermanagement/internal/team"
)

//go:embed templates/notice.txt.tmpl templates/notice.html.tmpl
var noticeFiles embed.FS

// The notice is kept apart from the welcome email (its own templates and
// renderer) so that each can change without the other. Like the welcome
// email, its HTML part goes through html/template.
// They are parsed on first use, as the welcome email's are.
var (
	noticeText = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.ParseFS(noticeFiles, "templates/notice.txt.tmpl"))
	})
	noticeHTML = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.ParseFS(noticeFiles, "templates/notice.html.tmpl"))
	})
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
		Greeting:   greeting(user.FirstName),
		Changer:    personLabel(changer),
		Business:   businessName(biz),
		OldAddress: oldAddress,
		NewAddress: user.Email,
	}
	d.Subject = fmt.Sprintf("Your access to %s on the Business App moved to another email address", d.Business)
	return render("notice", noticeText(), noticeHTML(), d, oldAddress, d.Subject)
}
