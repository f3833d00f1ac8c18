package httpapi

import (
	"encoding/json"
	"testing"
	"time"
)

// timestamp must write exactly what encoding/json writes for a time.Time in
// UTC, which is what the API wrote before it took the shortcut.
func TestTimestampIsHowJSONWritesTimes(t *testing.T) {
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{
		base,
		base.Add(123 * time.Millisecond),
		base.Add(120 * time.Millisecond), // trailing zeros of the fraction are trimmed
		base.Add(time.Nanosecond),
		base.In(time.FixedZone("UTC+5", 5*3600)), // written in UTC either way
		{},
	} {
		want, err := json.Marshal(at.UTC())
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(timestamp(at))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("timestamp(%v) encodes as %s, time.Time as %s", at, got, want)
		}
	}
}
