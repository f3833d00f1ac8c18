package logging_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/logging"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"alice@example.com", "[email]"},
		{"MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: Bob.O'Neil+crm@mail.example.co.uk, no-reply@x.io",
			"MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: [email], [email]"},
		{"/v1/businesses/acme/users/alice%40example.com", "/v1/businesses/acme/users/[email]"},
		{"phone +14155550100 stored", "phone [phone] stored"},
		{"phone +1 (415) 555-0100.", "phone [phone]."},
		{"call (415) 555-0100 or 030 1234 5678", "call [phone] or [phone]"},
		{"+44 20 7946 0958", "[phone]"},
		// Not personal data: kept as it is.
		{"at 2026-11-29T09:00:00.123Z after 1.5s", "at 2026-11-29T09:00:00.123Z after 1.5s"},
		{"activity 01JDQ8G0Y5T2M3N4P5Q6R7S8T9 of usr_01JDQ8G0Y5T2M3N4P5Q6R7S8T9", "activity 01JDQ8G0Y5T2M3N4P5Q6R7S8T9 of usr_01JDQ8G0Y5T2M3N4P5Q6R7S8T9"},
		{"sequence 100000000012345678901, status 503, 12 ms", "sequence 100000000012345678901, status 503, 12 ms"},
		{"version 3 of demo", "version 3 of demo"},
		{"request c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "request c6af9ac6-7b61-11e6-9a41-93e8deadbeef"},
		{"request JKJa+mPLvHcESHA=", "request JKJa+mPLvHcESHA="},
	} {
		if got := logging.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

type contact struct{ Email, Phone string }

type stringer string

func (s stringer) String() string { return string(s) }

// TestLoggerRedactsEverything checks that no email address or phone number
// reaches a line, whether in the message, a string, an error (wrapped or
// joined), a group, a Stringer or a struct.
func TestLoggerRedactsEverything(t *testing.T) {
	var out bytes.Buffer
	log := logging.New(&out, slog.LevelDebug)
	err := fmt.Errorf("send welcome email: %w", errors.Join(errors.New("to carol@example.com"), errors.New("sms +4915112345678")))
	log.Info("invited dave@example.com", slog.String("to", "erin@example.com"), slog.Any("error", err),
		slog.Group("user", slog.String("phone", "+1 415 555 0100")), slog.Any("who", stringer("frank@example.com")),
		slog.Any("contact", contact{Email: "gina@example.com", Phone: "+33 1 23 45 67 89"}),
		slog.String("requestId", "r-1"), slog.Int("status", 500))
	log.With(slog.String("caller", "hank@example.com")).Debug("x")
	got := out.String()
	for _, leak := range []string{"@example.com", "+4915112345678", "415 555 0100", "+33 1 23", "hank"} {
		if strings.Contains(got, leak) {
			t.Errorf("a line contains %q:\n%s", leak, got)
		}
	}
	for _, keep := range []string{`"requestId":"r-1"`, `"status":500`, `"msg":"invited [email]"`, `"to":"[email]"`, `"phone":"[phone]"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("the lines lack %s:\n%s", keep, got)
		}
	}
}

// BenchmarkRequestLine is the cost of one request's log line through the
// redacting logger, with the attributes the API logs (in Lambda, the
// invocation's id too: a UUID).
func BenchmarkRequestLine(b *testing.B) {
	log := logging.New(io.Discard, slog.LevelInfo)
	b.ReportAllocs()
	for b.Loop() {
		log.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("requestId", "JKJaXmPLvHcESHA="),
			slog.String("operation", "InviteUser"), slog.Int("status", 201), slog.Float64("latencyMs", 41.7),
			slog.String("businessId", "demo"), slog.String("userId", "usr_01JD8X4B7K9QZ0M5N2P3R4S6T7"),
			slog.String("lambdaRequestId", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"))
	}
}
