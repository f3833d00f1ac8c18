package lambdaenv_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

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
