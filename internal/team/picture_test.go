package team_test

import (
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/team"
)

func TestProfileImageURLKeepsOnlyHTTPSURLsUpTo2048Characters(t *testing.T) {
	long := "https://img.example.com/" + strings.Repeat("a", team.MaxProfileImageURLLength-len("https://img.example.com/"))
	for _, tt := range []struct {
		claim, want string
	}{
		{"https://img.example.com/ann.png", "https://img.example.com/ann.png"},
		{long, long},
		{long + "a", ""},
		{"http://img.example.com/ann.png", ""},
		{"javascript:alert(1)", ""},
		{"data:image/png;base64,AAAA", ""},
		{"//img.example.com/ann.png", ""},
		{"https:///ann.png", ""},
		{"https://user:pw@img.example.com/ann.png", ""},
		{"", ""},
	} {
		if got := team.ProfileImageURL(tt.claim); got != tt.want {
			t.Errorf("ProfileImageURL(%.60q) = %.60q, want %.60q", tt.claim, got, tt.want)
		}
	}
}
