package team

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input limits of SPEC §4.
const (
	MaxEmailLength     = 254
	MaxEmailLocalPart  = 64
	MaxNameLength      = 100
	maxBusinessIDRunes = 64
)

// URLUnsafeEmailChars are the characters an email address may not contain
// (SPEC §4 input rules): they cannot travel in a URL path through API
// Gateway, which decodes paths before routing.
const URLUnsafeEmailChars = `/%?#\`

// NormalizeEmail validates a single plain address (no display name, no
// comments, RFC 5321 lengths) and returns it trimmed and lower-cased, the form
// users are keyed and compared by (invariant I1). A refused address is an
// invalid_request *Error about the field "email".
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", invalidEmail("Enter an email address.")
	case !isPrintableASCII(s):
		// Mail systems (SES included) do not take internationalised local
		// parts, and invisible or control characters would let two addresses
		// that look the same belong to two users.
		return "", invalidEmail("The email address contains invalid characters; use the form name@example.com.")
	case len(s) > MaxEmailLength:
		return "", invalidEmail(fmt.Sprintf("The email address is longer than %d characters.", MaxEmailLength))
	case strings.ContainsAny(s, URLUnsafeEmailChars):
		// RFC 5322 allows these in a local part, but a user is addressed by
		// their email in URL paths (/users/{email}), and API Gateway decodes
		// paths before routing: an address holding one of them could be
		// invited but never read, changed or removed afterwards.
		return "", invalidEmail(fmt.Sprintf("The email address cannot contain any of %s (they cannot travel in a web address); use an address without them.",
			strings.Join(strings.Split(URLUnsafeEmailChars, ""), " ")))
	}
	addr, err := mail.ParseAddress(s)
	// Requiring the parsed address to equal the input refuses display names,
	// angle brackets, comments and quoted forms that would round-trip to a
	// different string than the one a person typed.
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", invalidEmail(fmt.Sprintf("%q is not a valid email address; use the form name@example.com.", s))
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) > MaxEmailLocalPart {
		return "", invalidEmail(fmt.Sprintf("The part before @ is longer than %d characters.", MaxEmailLocalPart))
	}
	if !isHostname(domain) {
		return "", invalidEmail(fmt.Sprintf("%q is not a valid email domain; use the form name@example.com.", domain))
	}
	return strings.ToLower(s), nil
}

func invalidEmail(reason string) *Error { return InvalidField("email", reason) }

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		// Spaces pass here so that the parser's message about the form of
		// an address (display names, lists) answers them.
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// isHostname accepts dotted DNS names of letters, digits and hyphens with at
// least two labels, which catches typos such as "ann@gmail" early.
func isHostname(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(s) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// NormalizeName trims a first or last name and checks its length and
// characters. An empty input returns "" (the field is cleared). A refused
// name is an invalid_request *Error about the field "name"; callers file
// it under their own field name with Field.
func NormalizeName(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(s) {
		return "", invalidName("The name contains invalid characters.")
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return "", invalidName(fmt.Sprintf("Names can be at most %d characters (this one has %d).", MaxNameLength, n))
	}
	for _, r := range s {
		// Format characters include the bidirectional overrides that can make
		// a name display differently from what it is; line and paragraph
		// separators would break the name across lines in every list.
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) || (unicode.Is(unicode.Cf, r) && !isJoiner(r)) {
			return "", invalidName("Names cannot contain control or formatting characters.")
		}
	}
	return s, nil
}

func invalidName(reason string) *Error { return InvalidField("name", reason) }

// isJoiner reports the zero-width (non-)joiner, which Persian, Indic and
// other scripts need inside ordinary names.
func isJoiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// BusinessID names a business: 1 to 64 letters, digits, hyphens or
// underscores. Input from outside becomes one only through ParseBusinessID,
// once at the edge; ids read back from storage or from activity records are
// converted directly, since they were parsed before they were stored.
type BusinessID string

// String returns the id as written in paths and keys.
func (id BusinessID) String() string { return string(id) }

// ParseBusinessID checks a business id from a path or a request. Anything
// but 1 to 64 letters, digits, '-' or '_' cannot name a business and is an
// invalid_request *Error.
func ParseBusinessID(raw string) (BusinessID, error) {
	if raw == "" || len(raw) > maxBusinessIDRunes {
		return "", Errorf(CodeInvalidRequest, "The business id must be 1 to %d characters.", maxBusinessIDRunes)
	}
	for _, r := range raw {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", Errorf(CodeInvalidRequest, "The business id may contain only letters, digits, '-' and '_'.")
		}
	}
	return BusinessID(raw), nil
}
