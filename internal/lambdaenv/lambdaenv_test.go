package lambdaenv_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// TestRouteHandlerNeedsPhonesExactlyWhereTheRouteParsesThem checks that a
// function whose route parses phone numbers refuses to start without the
// parser (a wiring bug fails the init, not a request), and that every
// other route starts without it, as its generated main.go passes none.
func TestRouteHandlerNeedsPhonesExactlyWhereTheRouteParsesThem(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, r := range httpapi.Routes() {
		for _, tt := range []struct {
			name    string
			phones  team.PhoneNormalizer
			wantErr bool
		}{
			{"without a phone parser", nil, r.ParsesPhones},
			{"with a phone parser", phone.Normalizer{}, false},
		} {
			t.Run(r.Operation+" "+tt.name, func(t *testing.T) {
				// No request is served, so no DynamoDB client is needed.
				_, err := lambdaenv.NewRouteHandler(nil, lambdaenv.RouteSettings{TableName: "users"}, log, r.Operation, tt.phones)
				switch {
				case tt.wantErr && err == nil:
					t.Fatalf("%s started without a phone parser; it parses phones", r.Operation)
				case tt.wantErr && !strings.Contains(err.Error(), "PhoneNormalizer"):
					t.Fatalf("error %q does not say what is missing", err)
				case !tt.wantErr && err != nil:
					t.Fatalf("%s did not start: %v", r.Operation, err)
				}
			})
		}
	}
}

// TestInvitationTTLFromEnv checks INVITATION_TTL: unset keeps the domain's
// default (0 here), a Go duration is taken, and anything that is not a
// positive duration fails the function's init instead of silently using
// the default.
func TestInvitationTTLFromEnv(t *testing.T) {
	for _, tt := range []struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"336h", 336 * time.Hour, false},
		{"3s", 3 * time.Second, false},
		{"14d", 0, true},
		{"0s", 0, true},
		{"-1h", 0, true},
	} {
		t.Run(tt.value, func(t *testing.T) {
			t.Setenv(lambdaenv.EnvInvitationTTL, tt.value)
			got, err := lambdaenv.RouteSettingsFromEnv()
			if (err != nil) != tt.wantErr {
				t.Fatalf("INVITATION_TTL=%q: error %v, want error %v", tt.value, err, tt.wantErr)
			}
			if got.InvitationTTL != tt.want {
				t.Errorf("INVITATION_TTL=%q: InvitationTTL = %v, want %v", tt.value, got.InvitationTTL, tt.want)
			}
		})
	}
}
