package logging

import "testing"

// TestPrefiltersSkipOnlyWhatCannotMatch checks that Redact's cheap tests
// of a string's bytes never skip a pattern that would have changed it:
// on every string here, Redact answers what running all three patterns
// unconditionally answers.
func TestPrefiltersSkipOnlyWhatCannotMatch(t *testing.T) {
	for _, s := range []string{
		"alice@example.com", "alice%40example.com", "a@b", "@", "%40",
		"+14155550100", "+1 (415) 555-0100.", "+44 20 7946 0958", "1+2", "+x12345678", "++4915112345678", "+1 2",
		"(415) 555-0100", "(415)555-0100", "030 1234 5678", "030.1234.5678", "12 345 678", "12-345-6789", "555-0100",
		"call (415) 555-0100 or 030 1234 5678", "tel:0301234567", "1234 5678", "12 3456 789", "(12) 345 678",
		"2026-11-29T09:00:00.123Z", "1.5s", "100000000012345678901", "version 3 of demo",
		"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "JKJa+mPLvHcESHA=", "01JDQ8G0Y5T2M3N4P5Q6R7S8T9", "usr_01JDQ8G0Y5T2M3N4P5Q6R7S8T9",
		"", "123 456", "1234.5678", "1234-567", "99 999 999 9",
	} {
		want := emailPattern().ReplaceAllString(s, EmailPlaceholder)
		want = internationalPhone().ReplaceAllString(want, PhonePlaceholder)
		want = nationalPhone().ReplaceAllString(want, PhonePlaceholder)
		if got := Redact(s); got != want {
			t.Errorf("Redact(%q) = %q; the patterns alone give %q", s, got, want)
		}
	}
}
