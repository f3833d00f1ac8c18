// Package logging makes the JSON logger every process of the service writes
// to, and keeps personal data out of it: no email address or phone number
// reaches a log line, whichever message or error carries one.
//
// The code logs ids, not people (a caller is logged by user id, never by
// email), but errors are another matter: an SES refusal names the
// recipient, a wrapped domain error may quote an address. Rather than audit
// every error path for ever, the logger's handler rewrites every string it
// writes, the message and errors included, replacing what looks like an
// email address or a phone number with a placeholder. What is left is
// enough to find the record (activity, user and request ids are logged
// beside it) without copying personal data into log storage, which keeps it
// longer and shows it to more people than the table does.
package logging

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
)

// Placeholders that replace what Redact removes.
const (
	EmailPlaceholder = "[email]"
	PhonePlaceholder = "[phone]"
)

// The patterns are compiled on first use, not at package init: every
// function pays its packages' init on each cold start, and most processes'
// lines never need a pattern (Redact runs one only on a string that could
// match it), so compiling them up front only delayed the first answer.
var (
	// emailPattern matches an address as people and SES write it, also
	// percent-encoded (%40) as in a URL.
	emailPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`[A-Za-z0-9._%+'\-]+(?:@|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	})
	// internationalPhone matches a number in international form (+ and 7
	// or more digits, spaced or not: what the service stores is E.164).
	internationalPhone = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\+\d[\d ().\-]{5,}\d`)
	})
	// nationalPhone matches a number in national form of three groups
	// ((415) 555-0100, 030 1234 5678). A date (2026-11-29), a time or a
	// duration has too few digits in its groups to match.
	nationalPhone = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:\(\d{2,5}\)\s?|\b\d{2,5}[ .\-])\d{3,4}[ .\-]\d{3,4}\b`)
	})
)

// Redact returns s with every email address and phone number replaced by
// a placeholder.
func Redact(s string) string {
	// Most strings a line holds (ids, operation names, codes) can match
	// none of the patterns; telling so by their bytes is much cheaper than
	// running the patterns, which every string of every line would pay.
	// Each test below is true of every string its pattern matches.
	if strings.Contains(s, "@") || strings.Contains(s, "%40") {
		s = emailPattern().ReplaceAllString(s, EmailPlaceholder)
	}
	if plusDigit(s) {
		s = internationalPhone().ReplaceAllString(s, PhonePlaceholder)
	}
	if digits(s) >= 7 && digitGroups(s) {
		s = nationalPhone().ReplaceAllString(s, PhonePlaceholder)
	}
	return s
}

// plusDigit tells whether s holds a + followed by a digit, as every
// number in international form does (a request id in base64 may hold a +
// without one).
func plusDigit(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '+' && isDigit(s[i+1]) {
			return true
		}
	}
	return false
}

// digitGroups tells whether s holds three digits, a space, dot or hyphen,
// and three digits again, as the last two groups of every number in
// national form do. A UUID, a ULID or a timestamp does not, so a request's
// line runs no pattern at all.
func digitGroups(s string) bool {
	for i := 3; i+3 < len(s); i++ {
		if (s[i] == ' ' || s[i] == '.' || s[i] == '-') &&
			isDigit(s[i-3]) && isDigit(s[i-2]) && isDigit(s[i-1]) &&
			isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits counts the decimal digits of s: a national phone number has at
// least 7.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// New returns a logger writing JSON lines to w at level and above (nil:
// info), with every string redacted (see Redact).
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}))
}

// redactAttr redacts an attribute's value as the handler writes it: a
// string, an error's text, or any other value's JSON (which becomes a
// string only when something had to be redacted from it). The message is
// an attribute too, so it is redacted as well.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Redact(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(Redact(v.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(Redact(v.String()))
		default:
			raw, err := json.Marshal(v)
			if err != nil {
				a.Value = slog.StringValue(Redact(fmt.Sprint(v)))
				break
			}
			if s := Redact(string(raw)); s != string(raw) {
				a.Value = slog.StringValue(s)
			}
		}
	}
	return a
}
