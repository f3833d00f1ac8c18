// Package phone parses phone numbers with libphonenumber's rules. It is its
// own package, passed to team.Service through its constructor, so that only
// the functions whose operations parse phone numbers link the library.
//
// The library is the fork in third_party/phonenumbers (see its FORK.md),
// which decodes its metadata on first use, only the regions a number needs,
// instead of all of it in package init: upstream's init costs 10–20 ms and
// 2.5 MB on every cold start, including the starts whose first request is
// answered without parsing a phone (unauthenticated, forbidden or otherwise
// refused). The first parse in a process pays for what it reads instead,
// about 1–2 ms. Nothing loads it ahead in the background: with a fraction
// of one vCPU, as a 128 MB function has, that load would compete with the
// request it runs beside (docs/PERFORMANCE.md, "Cold start").
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

// Normalizer is team.PhoneNormalizer backed by libphonenumber. The zero
// value is ready to use and safe for concurrent use; the first parse in a
// process loads the library's metadata.
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
