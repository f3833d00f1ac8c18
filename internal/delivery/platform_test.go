package delivery_test

import (
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestWelcomeFromThePlatform checks the welcome email of an owner the
// platform provisioned: it names the Business App as the inviter and
// shows no placeholder address.
func TestWelcomeFromThePlatform(t *testing.T) {
	biz := team.Business{ID: "initech", Name: "Initech"}
	e, err := delivery.RenderWelcome("https://app.example.com", biz, team.User{FirstName: delivery.PlatformInviterName},
		team.Person{Email: "peter@initech.test", FirstName: "Peter"}, time.Date(2026, 12, 13, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if want := "The Business App invited you to Initech on the Business App"; e.Subject != want {
		t.Errorf("subject %q, want %q", e.Subject, want)
	}
	for _, part := range []string{e.Text, e.HTML} {
		if !strings.Contains(part, "The Business App") || strings.Contains(part, "()") || strings.Contains(part, ".invalid") {
			t.Errorf("body names the inviter wrongly:\n%s", part)
		}
	}
}
