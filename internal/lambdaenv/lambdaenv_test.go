package lambdaenv_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/metrics"
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

// TestInviteRateFromEnv checks that INVITE_RATE sets the email budget, that
// it defaults (0, which the Service reads as team.DefaultEmailBudget) when
// unset, and that a value that is not a positive whole number stops the
// function's init rather than silently lifting or closing the limit.
func TestInviteRateFromEnv(t *testing.T) {
	for _, tt := range []struct {
		value   string
		want    int
		wantErr bool
	}{
		{"", 0, false},
		{"10", 10, false},
		{"100000", 100000, false},
		{"100001", 0, true},
		{"0", 0, true},
		{"-5", 0, true},
		{"ten", 0, true},
	} {
		t.Run(tt.value, func(t *testing.T) {
			t.Setenv(lambdaenv.EnvInviteRate, tt.value)
			s, err := lambdaenv.RouteSettingsFromEnv()
			switch {
			case tt.wantErr && err == nil:
				t.Fatalf("INVITE_RATE=%q accepted as %d", tt.value, s.InviteRate)
			case tt.wantErr && !strings.Contains(err.Error(), lambdaenv.EnvInviteRate):
				t.Fatalf("error %q does not name INVITE_RATE", err)
			case !tt.wantErr && err != nil:
				t.Fatal(err)
			case !tt.wantErr && s.InviteRate != tt.want:
				t.Errorf("InviteRate = %d, want %d", s.InviteRate, tt.want)
			}
		})
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

// TestObservabilitySettingsFromEnv checks that the functions read the
// metrics namespace (defaulting to metrics.DefaultNamespace) and the
// consumer its SES configuration set (none by default) from the variables
// template.yaml sets.
func TestObservabilitySettingsFromEnv(t *testing.T) {
	for _, v := range []struct{ name, value string }{
		{lambdaenv.EnvTableName, "users"}, {lambdaenv.EnvSenderEmail, "no-reply@example.com"}, {lambdaenv.EnvAppBaseURL, "https://app.example.com"},
	} {
		t.Setenv(v.name, v.value)
	}
	t.Setenv(lambdaenv.EnvMetricsNamespace, "")
	t.Setenv(lambdaenv.EnvSesConfigurationSet, "")
	route, err := lambdaenv.RouteSettingsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	streamSettings, err := lambdaenv.StreamSettingsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if route.MetricsNamespace != metrics.DefaultNamespace || streamSettings.MetricsNamespace != metrics.DefaultNamespace || streamSettings.SesConfigurationSet != "" {
		t.Errorf("unset: namespaces %q and %q, configuration set %q; want the default namespace and none",
			route.MetricsNamespace, streamSettings.MetricsNamespace, streamSettings.SesConfigurationSet)
	}

	t.Setenv(lambdaenv.EnvMetricsNamespace, "Acme/Users")
	t.Setenv(lambdaenv.EnvSesConfigurationSet, "acme-events")
	route, _ = lambdaenv.RouteSettingsFromEnv()
	streamSettings, _ = lambdaenv.StreamSettingsFromEnv()
	if route.MetricsNamespace != "Acme/Users" || streamSettings.MetricsNamespace != "Acme/Users" || streamSettings.SesConfigurationSet != "acme-events" {
		t.Errorf("set: namespaces %q and %q, configuration set %q", route.MetricsNamespace, streamSettings.MetricsNamespace, streamSettings.SesConfigurationSet)
	}
	if _, err := lambdaenv.NewMetrics(io.Discard, ":bad", slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), lambdaenv.EnvMetricsNamespace) {
		t.Errorf("NewMetrics with an invalid namespace: %v, want an error naming %s", err, lambdaenv.EnvMetricsNamespace)
	}
}
