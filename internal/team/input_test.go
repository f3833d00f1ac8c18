package team_test

import (
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/team"
)

// emailOfLength builds a syntactically valid address of exactly total
// characters whose part before @ has localLen characters, so that the RFC 5321
// limits can be tested at their edges. Domain labels stay under 63
// characters, the DNS limit, so only the limit under test can refuse it.
func emailOfLength(t *testing.T, localLen, total int) string {
	t.Helper()
	domainLen := total - localLen - 1
	const tld = ".com"
	var labels []string
	for rest := domainLen - len(tld); rest > 0; {
		n := min(rest, 50)
		if rest-n == 1 {
			// A lone leftover character cannot form a label with its dot.
			n--
		}
		labels = append(labels, strings.Repeat("d", n))
		rest -= n + 1
	}
	email := strings.Repeat("a", localLen) + "@" + strings.Join(labels, ".") + tld
	if len(email) != total {
		t.Fatalf("emailOfLength(%d, %d) built %d characters", localLen, total, len(email))
	}
	return email
}

func TestNormalizeEmail(t *testing.T) {
	longest := emailOfLength(t, team.MaxEmailLocalPart, team.MaxEmailLength)
	tests := []struct {
		name string
		raw  string
		want string
		// hint is text the refusal must contain, so a person knows what to fix;
		// empty for accepted input.
		hint    string
		refused bool
	}{
		{name: "plain address", raw: "ann@example.com", want: "ann@example.com"},
		{name: "trimmed and lower-cased", raw: "Ann@Example.COM ", want: "ann@example.com"},
		{name: "tabs and newlines around it are trimmed", raw: "\tann.lee+team@Example.co.uk\n", want: "ann.lee+team@example.co.uk"},
		{name: "hyphenated domain", raw: "ann@my-shop.example", want: "ann@my-shop.example"},
		{name: "254 characters with a 64-character local part", raw: strings.ToUpper(longest), want: longest},

		{name: "empty", raw: "", refused: true, hint: "Enter an email address"},
		{name: "whitespace only", raw: " \t\n ", refused: true, hint: "Enter an email address"},
		{name: "255 characters", raw: emailOfLength(t, 10, team.MaxEmailLength+1), refused: true, hint: "254"},
		{name: "65-character local part", raw: emailOfLength(t, team.MaxEmailLocalPart+1, 100), refused: true, hint: "64"},
		{name: "display name", raw: "Ann <ann@example.com>", refused: true, hint: "name@example.com"},
		{name: "angle brackets", raw: "<ann@example.com>", refused: true, hint: "name@example.com"},
		{name: "trailing comment", raw: "ann@example.com (Ann)", refused: true, hint: "name@example.com"},
		{name: "leading comment", raw: "(Ann)ann@example.com", refused: true, hint: "name@example.com"},
		{name: "two addresses separated by a comma", raw: "ann@example.com, bob@example.com", refused: true, hint: "name@example.com"},
		{name: "two addresses separated by a space", raw: "ann@example.com bob@example.com", refused: true, hint: "name@example.com"},
		{name: "two addresses separated by a semicolon", raw: "ann@example.com;bob@example.com", refused: true, hint: "name@example.com"},
		{name: "quoted local part", raw: `"ann lee"@example.com`, refused: true, hint: "name@example.com"},
		{name: "domain without a dot", raw: "ann@gmail", refused: true, hint: "gmail"},
		{name: "no at sign", raw: "ann", refused: true, hint: "name@example.com"},
		{name: "two at signs", raw: "ann@@example.com", refused: true, hint: "name@example.com"},
		{name: "domain ending in a dot", raw: "ann@example.com.", refused: true, hint: "name@example.com"},
		{name: "domain label starting with a hyphen", raw: "ann@-example.com", refused: true, hint: "name@example.com"},
		{name: "underscore in the domain", raw: "ann@ex_ample.com", refused: true, hint: "name@example.com"},
		{name: "address literal domain", raw: "ann@[192.0.2.1]", refused: true, hint: "name@example.com"},
		{name: "consecutive dots", raw: "ann..lee@example.com", refused: true, hint: "name@example.com"},
		{name: "invalid UTF-8", raw: "ann\xff@example.com", refused: true, hint: "invalid characters"},
		{name: "NUL character", raw: "ann\x00@example.com", refused: true},
		{name: "DEL character", raw: "ann\x7f@example.com", refused: true},
		{name: "tab inside the address", raw: "ann\t@example.com", refused: true},
		{name: "header injection", raw: "ann@example.com\r\nBcc: eve@example.com", refused: true},
		// C1 controls and invisible format characters cannot appear in an
		// RFC 5321 mailbox, and they would let two addresses that look the
		// same on the User Management page be different users.
		{name: "C1 control character NEL", raw: "ann\u0085@example.com", refused: true},
		{name: "C1 control character CSI", raw: "ann\u009b@example.com", refused: true},
		{name: "right-to-left override", raw: "\u202eann@example.com", refused: true},
		{name: "zero-width space", raw: "ann\u200b@example.com", refused: true},
		// Characters that cannot travel in a URL path through API Gateway,
		// which decodes paths: such a user could never be addressed again.
		{name: "slash in the local part", raw: "ann/lee@example.com", refused: true, hint: "web address"},
		{name: "percent in the local part", raw: "ann%lee@example.com", refused: true, hint: "web address"},
		{name: "percent-encoded at sign", raw: "ann%40example.com@example.com", refused: true, hint: "web address"},
		{name: "question mark in the local part", raw: "ann?lee@example.com", refused: true, hint: "web address"},
		{name: "hash in the local part", raw: "ann#lee@example.com", refused: true, hint: "web address"},
		{name: "backslash in the local part", raw: `ann\lee@example.com`, refused: true, hint: "web address"},
		{name: "quoted backslash", raw: `"ann\\lee"@example.com`, refused: true, hint: "web address"},
		{name: "upper case with a slash", raw: " Ann/Lee@Example.COM ", refused: true, hint: "/ % ? # \\"},
		// Other RFC 5322 specials are fine: they travel in a path encoded.
		{name: "plus, equals, ampersand and apostrophe", raw: "o'neil+a=b&c@example.com", want: "o'neil+a=b&c@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := team.NormalizeEmail(tt.raw)
			if !tt.refused {
				if err != nil {
					t.Fatalf("NormalizeEmail(%q) refused it: %v", tt.raw, err)
				}
				if got != tt.want {
					t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.raw, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizeEmail(%q) = %q, want it refused", tt.raw, got)
			}
			checkReason(t, err.Error(), tt.hint)
			if got != "" {
				t.Errorf("NormalizeEmail(%q) returned %q alongside its error, want \"\"", tt.raw, got)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    string
		refused bool
		hint    string
	}{
		{name: "trimmed", raw: "  Ann \t", want: "Ann"},
		{name: "empty clears the field", raw: "", want: ""},
		{name: "whitespace only clears the field", raw: " \n ", want: ""},
		{name: "accents and other scripts", raw: "Zoë 李", want: "Zoë 李"},
		// Persian and Indic names need the zero-width non-joiner and joiner.
		{name: "zero-width non-joiner inside a Persian name", raw: "مهر\u200cناز", want: "مهر\u200cناز"},
		{name: "100 ASCII characters", raw: strings.Repeat("a", 100), want: strings.Repeat("a", 100)},
		// The limit counts characters, not bytes: 100 × "é" is 200 bytes.
		{name: "100 two-byte characters", raw: strings.Repeat("é", 100), want: strings.Repeat("é", 100)},
		{name: "100 characters once trimmed", raw: "  " + strings.Repeat("é", 100) + "  ", want: strings.Repeat("é", 100)},

		{name: "101 ASCII characters", raw: strings.Repeat("a", 101), refused: true, hint: "100"},
		{name: "101 two-byte characters", raw: strings.Repeat("é", 101), refused: true, hint: "100"},
		{name: "NUL character", raw: "Ann\x00", refused: true, hint: "control"},
		{name: "newline inside", raw: "Ann\nLee", refused: true, hint: "control"},
		{name: "tab inside", raw: "Ann\tLee", refused: true, hint: "control"},
		{name: "C1 control character", raw: "Ann\u0085Lee", refused: true, hint: "control"},
		{name: "right-to-left override", raw: "Ann\u202eeeL", refused: true, hint: "control"},
		{name: "left-to-right isolate", raw: "\u2066Ann", refused: true, hint: "control"},
		{name: "invalid UTF-8", raw: "Ann\xff", refused: true, hint: "invalid characters"},
		{name: "line separator", raw: "Ann\u2028Lee", refused: true, hint: "control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := team.NormalizeName(tt.raw)
			if !tt.refused {
				if err != nil {
					t.Fatalf("NormalizeName(%q) refused it: %v", tt.raw, err)
				}
				if got != tt.want {
					t.Errorf("NormalizeName(%q) = %q, want %q", tt.raw, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizeName(%q) = %q, want it refused", tt.raw, got)
			}
			checkReason(t, err.Error(), tt.hint)
		})
	}
}

func TestParseBusinessID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		refused bool
	}{
		{name: "letters", id: "demo"},
		{name: "letters, digits, hyphen and underscore", id: "Acme-2_b"},
		{name: "one character", id: "a"},
		{name: "64 characters", id: strings.Repeat("b", 64)},

		{name: "empty", id: "", refused: true},
		{name: "65 characters", id: strings.Repeat("b", 65), refused: true},
		{name: "space", id: "acme corp", refused: true},
		{name: "path traversal", id: "acme/../globex", refused: true},
		{name: "percent-encoding", id: "acme%2Fglobex", refused: true},
		{name: "non-ASCII letter", id: "café", refused: true},
		{name: "NUL character", id: "acme\x00", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := team.ParseBusinessID(tt.id)
			if !tt.refused {
				if err != nil || got.String() != tt.id {
					t.Fatalf("ParseBusinessID(%q) = %q, %v, want %[1]q, nil", tt.id, got, err)
				}
				return
			}
			checkRefusal(t, err, wantErr{code: team.CodeInvalidRequest, mention: "business id"})
		})
	}
}

// checkReason checks that a validation reason is a sentence a person can act
// on: not empty, and naming what to change when the test knows what that is.
func checkReason(t *testing.T, reason, hint string) {
	t.Helper()
	if strings.TrimSpace(reason) == "" {
		t.Errorf("the refusal gives no reason")
	}
	if !strings.Contains(reason, hint) {
		t.Errorf("reason %q does not mention %q", reason, hint)
	}
}
