package lambdaenv_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/httpapi"
)

// Packages whose linking is a cold-start cost, and the functions that may
// link them: the phone library's init alone takes milliseconds and
// megabytes, and the SES and EventBridge clients are dead weight in a
// function that never sends.
const (
	phoneLibrary = "github.com/nyaruka/phonenumbers"
	sesSDK       = "github.com/aws/aws-sdk-go-v2/service/sesv2"
	eventsSDK    = "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	// streamFolder is the stream consumer's function, the only one that
	// sends.
	streamFolder = "deliver-activity"
	// provisionFolder is the platform events' function (SPEC §7).
	provisionFolder = "provision-business"
)

// TestFunctionsLinkOnlyWhatTheyUse checks, with the import graph of each
// function as the Makefile builds it, that the phone library is linked
// exactly into the functions of routes that parse phones, and the SES and
// EventBridge SDKs exactly into the stream consumer. Package init runs for
// every imported package, so the import graph is what decides.
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to list the functions' packages:", err)
	}
	type want struct{ phones, sends bool }
	// The provisioning function writes the table only: the welcome email
	// of the owner it invites goes out through the stream consumer.
	functions := map[string]want{streamFolder: {phones: false, sends: true}, provisionFolder: {}}
	for _, r := range httpapi.Routes() {
		functions[r.Function()] = want{phones: r.ParsesPhones}
	}
	folders := make([]string, 0, len(functions))
	for f := range functions {
		folders = append(folders, f)
	}
	slices.Sort(folders)
	for _, folder := range folders {
		t.Run(folder, func(t *testing.T) {
			cmd := exec.Command(goBin, "list", "-deps", "-tags", "lambda.norpc", "./functions/"+folder)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			w := functions[folder]
			for _, c := range []struct {
				pkg  string
				want bool
				why  string
			}{
				{phoneLibrary, w.phones, "the route parses phone numbers (httpapi.Route.ParsesPhones)"},
				{sesSDK, w.sends, "the function sends welcome emails"},
				{eventsSDK, w.sends, "the function puts events"},
			} {
				if got := slices.Contains(deps, c.pkg); got != c.want {
					t.Errorf("functions/%s links %s: %t, want %t (%t exactly when %s)", folder, c.pkg, got, c.want, c.want, c.why)
				}
			}
		})
	}
}
