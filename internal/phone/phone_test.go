package phone_test

import (
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/phone"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    string
		refused bool
		hint    string
	}{
		{name: "formatted US number with country code", raw: "+1 (415) 555-0100", want: "+14155550100"},
		{name: "no country code is read as a US number", raw: "415 555 0100", want: "+14155550100"},
		{name: "US national format", raw: "(415) 555-0100", want: "+14155550100"},
		{name: "already E.164, with spaces around it", raw: "  +14155550100  ", want: "+14155550100"},
		{name: "another country", raw: "+44 20 7946 0958", want: "+442079460958"},
		{name: "empty clears the field", raw: "", want: ""},
		{name: "whitespace only clears the field", raw: "   ", want: ""},

		{name: "too short", raw: "123", refused: true, hint: "+1 415 555 0100"},
		{name: "not a valid US number", raw: "+1 000 000 0000", refused: true, hint: "+1 415 555 0100"},
		{name: "unknown country code", raw: "+999 1234", refused: true, hint: "country code"},
		{name: "foreign national format without country code", raw: "020 7946 0958", refused: true, hint: "country code"},
		{name: "overly long input", raw: strings.Repeat("1", 65), refused: true, hint: "+1 415 555 0100"},
		{name: "a long string of digits and spaces", raw: "+1 415 555 0100" + strings.Repeat(" 0", 30), refused: true, hint: "+1 415 555 0100"},
		{name: "letters only", raw: "abc", refused: true, hint: "+1 415 555 0100"},
		{name: "words", raw: "call me maybe", refused: true, hint: "+1 415 555 0100"},
		{name: "letter O typed for zero", raw: "+1 415 555 01OO", refused: true, hint: "+1 415 555 0100"},
		{name: "two numbers", raw: "+1 415 555 0100 / +1 415 555 0199", refused: true, hint: "+1 415 555 0100"},
		{name: "invalid UTF-8", raw: "+1 415 555 0100\xff", refused: true, hint: "+1 415 555 0100"},
		// The phone library skips letters and extensions; silently storing a
		// different number than the one typed would be worse than refusing.
		{name: "an extension", raw: "+1 415 555 0100 ext. 123", refused: true, hint: "digits"},
		{name: "a stray letter", raw: "415a5550100", refused: true, hint: "digits"},
		{name: "a vanity number", raw: "1-800-FLOWERS", refused: true, hint: "digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := phone.Normalizer{}.NormalizePhone(tt.raw)
			if !tt.refused {
				if err != nil {
					t.Fatalf("NormalizePhone(%q) refused it: %v", tt.raw, err)
				}
				if got != tt.want {
					t.Errorf("NormalizePhone(%q) = %q, want %q", tt.raw, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizePhone(%q) = %q, want it refused", tt.raw, got)
			}
			checkReason(t, err.Error(), tt.hint)
		})
	}
}

func checkReason(t *testing.T, reason, hint string) {
	t.Helper()
	if strings.TrimSpace(reason) == "" {
		t.Errorf("the refusal gives no reason")
	}
	if !strings.Contains(reason, hint) {
		t.Errorf("reason %q does not mention %q", reason, hint)
	}
}

// TestDisplayPhone: the phoneDisplay of SPEC §4's example, other countries
// in their own grouping, and no phone as no display.
func TestDisplayPhone(t *testing.T) {
	for raw, want := range map[string]string{
		"+1 (415) 555-0100": "+1 415-555-0100",
		"+44 20 7946 0958":  "+44 20 7946 0958",
		"+49 30 901820":     "+49 30 901820",
		"":                  "",
	} {
		e164, err := phone.Normalizer{}.NormalizePhone(raw)
		if err != nil {
			t.Fatalf("NormalizePhone(%q): %v", raw, err)
		}
		if got := (phone.Normalizer{}).DisplayPhone(e164); got != want {
			t.Errorf("DisplayPhone(%q) = %q, want %q", e164, got, want)
		}
	}
}
