// Package phone parses phone numbers with libphonenumber's rules. It is its
// own package, passed to team.Service through its constructor, so that only
// the functions whose operations parse phone numbers link the library: its
// package init alone costs milliseconds and megabytes on every cold start.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/businessapp/usermanagement/internal/team"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code ("415 555 0100"). Numbers with a leading + are parsed as is.
const DefaultRegion = "US"

// maxInput bounds what is handed to the parser (SPEC §4's input limits).
const maxInput = 64

// Normalizer is team.PhoneNormalizer backed by libphonenumber.
type Normalizer struct{}

var _ team.PhoneNormalizer = Normalizer{}

// NormalizePhone parses a phone number with libphonenumber's rules and
// returns it in E.164. An empty input returns "" (the field is cleared).
func (Normalizer) NormalizePhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	if len(s) > maxInput || !utf8.ValidString(s) {
		return "", errors.New("This is not a phone number; use the form +1 415 555 0100.")
	}
	// libphonenumber skips letters and stray text; refusing them here keeps
	// a typo from being stored as a different, valid-looking number.
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-(). /", r) {
			return "", fmt.Errorf("%q is not a phone number: use digits, spaces and + - ( ) only, as in +1 415 555 0100.", s)
		}
	}
	num, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%q is not a valid phone number; include the country code, as in +1 415 555 0100.", s)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// DisplayPhone returns a number in E.164 (as NormalizePhone returns it) in
// libphonenumber's international format, the form people read: "+1
// 415-555-0100". It returns "" for "" (no phone), and the input unchanged
// should it not parse, which NormalizePhone's output always does.
func (Normalizer) DisplayPhone(e164 string) string {
	if e164 == "" {
		return ""
	}
	num, err := phonenumbers.Parse(e164, DefaultRegion)
	if err != nil {
		return e164
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}
