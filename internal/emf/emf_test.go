package emf_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/emf"
)

var at = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func newWriter(t *testing.T, out *bytes.Buffer) *emf.Writer {
	t.Helper()
	w, err := emf.New(out, "BusinessApp/UserManagement", func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// units CloudWatch accepts (MetricDatum.Unit).
var units = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// Validate checks one line against the EMF specification, as CloudWatch
// Logs applies it when it extracts metrics, and returns the metrics it
// would extract (name → values) with their dimensions.
func validate(t *testing.T, line string) (dims map[string]string, values map[string][]float64) {
	t.Helper()
	var root map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &root); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, line)
	}
	var meta struct {
		Timestamp         *json.Number
		CloudWatchMetrics []map[string]json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(root["_aws"]))
	dec.UseNumber()
	if err := dec.Decode(&meta); err != nil {
		t.Fatalf("_aws: %v\n%s", err, line)
	}
	if meta.Timestamp == nil {
		t.Fatalf("_aws.Timestamp is missing: %s", line)
	}
	if ms, err := meta.Timestamp.Int64(); err != nil || ms != at.UnixMilli() {
		t.Errorf("_aws.Timestamp = %s, want %d (milliseconds since the epoch)", meta.Timestamp, at.UnixMilli())
	}
	if len(meta.CloudWatchMetrics) == 0 {
		t.Fatalf("_aws.CloudWatchMetrics is empty: %s", line)
	}
	dims, values = map[string]string{}, map[string][]float64{}
	for _, directive := range meta.CloudWatchMetrics {
		for k := range directive {
			if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
				t.Errorf("directive has member %q, which the specification does not allow", k)
			}
		}
		var ns string
		if err := json.Unmarshal(directive["Namespace"], &ns); err != nil || ns == "" || len(ns) > 255 {
			t.Errorf("Namespace %s is not a string of 1 to 255 characters", directive["Namespace"])
		}
		var sets [][]string
		if err := json.Unmarshal(directive["Dimensions"], &sets); err != nil {
			t.Fatalf("Dimensions %s is not an array of arrays of strings: %v", directive["Dimensions"], err)
		}
		for _, set := range sets {
			if len(set) > emf.MaxDimensions {
				t.Errorf("a dimension set has %d dimensions, more than %d", len(set), emf.MaxDimensions)
			}
			for _, name := range set {
				var v string
				if err := json.Unmarshal(root[name], &v); err != nil || v == "" {
					t.Errorf("dimension %s refers to %s, which must be a non-empty string member of the root", name, root[name])
				}
				dims[name] = v
			}
		}
		var defs []map[string]json.RawMessage
		if err := json.Unmarshal(directive["Metrics"], &defs); err != nil || len(defs) == 0 || len(defs) > emf.MaxMetrics {
			t.Fatalf("Metrics %s is not an array of 1 to %d metric definitions", directive["Metrics"], emf.MaxMetrics)
		}
		for _, def := range defs {
			var name, unit string
			if err := json.Unmarshal(def["Name"], &name); err != nil || name == "" || len(name) > 255 {
				t.Errorf("metric definition %v has no valid Name", def)
			}
			if raw, ok := def["Unit"]; ok {
				if err := json.Unmarshal(raw, &unit); err != nil || !units[unit] {
					t.Errorf("metric %s has Unit %s, which CloudWatch does not know", name, raw)
				}
			} else {
				t.Errorf("metric %s has no Unit", name)
			}
			var one float64
			var many []float64
			switch {
			case json.Unmarshal(root[name], &one) == nil:
				values[name] = []float64{one}
			case json.Unmarshal(root[name], &many) == nil && len(many) > 0 && len(many) <= emf.MaxValues:
				values[name] = many
			default:
				t.Errorf("metric %s refers to %s, which must be a number or an array of 1 to %d numbers", name, root[name], emf.MaxValues)
			}
		}
	}
	return dims, values
}

func lines(t *testing.T, out *bytes.Buffer) []string {
	t.Helper()
	var ls []string
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ls = append(ls, sc.Text())
	}
	return ls
}

func TestWriteIsValidEMF(t *testing.T) {
	var out bytes.Buffer
	w := newWriter(t, &out)
	err := w.Write([]emf.Dimension{{"Operation", "InviteUser"}}, []emf.Metric{
		emf.Value("Requests", emf.Count, 1),
		emf.Value("ServerErrors", emf.Count, 0),
		emf.Value("Latency", emf.Milliseconds, 12.5),
		{Name: "Empty", Unit: emf.Count}, // no values: left out
	}, map[string]any{"requestId": "r-1", "status": 201})
	if err != nil {
		t.Fatal(err)
	}
	ls := lines(t, &out)
	if len(ls) != 1 {
		t.Fatalf("wrote %d lines, want 1:\n%s", len(ls), out.String())
	}
	dims, values := validate(t, ls[0])
	if d := cmp.Diff(map[string]string{"Operation": "InviteUser"}, dims); d != "" {
		t.Errorf("dimensions (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string][]float64{"Requests": {1}, "ServerErrors": {0}, "Latency": {12.5}}, values); d != "" {
		t.Errorf("metrics (-want +got):\n%s", d)
	}
	var root map[string]any
	_ = json.Unmarshal([]byte(ls[0]), &root)
	if root["requestId"] != "r-1" || root["status"] != float64(201) {
		t.Errorf("the properties are not root members: %s", ls[0])
	}
	var meta struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	raw, _ := json.Marshal(root["_aws"])
	_ = json.Unmarshal(raw, &meta)
	want := []struct{ Name, Unit string }{{"Requests", "Count"}, {"ServerErrors", "Count"}, {"Latency", "Milliseconds"}}
	if d := cmp.Diff(want, meta.CloudWatchMetrics[0].Metrics); d != "" {
		t.Errorf("metric definitions (-want +got):\n%s", d)
	}
	if meta.CloudWatchMetrics[0].Namespace != "BusinessApp/UserManagement" {
		t.Errorf("Namespace = %q", meta.CloudWatchMetrics[0].Namespace)
	}
}

// TestManyValuesSplit checks that a metric with more values than one
// document may carry is split across documents that together hold all of
// them, each valid on its own.
func TestManyValuesSplit(t *testing.T) {
	var out bytes.Buffer
	w := newWriter(t, &out)
	lags := make([]float64, 250)
	for i := range lags {
		lags[i] = float64(i)
	}
	if err := w.Write([]emf.Dimension{{"Operation", "DeliverActivity"}}, []emf.Metric{
		{Name: "EmailDeliveryLag", Unit: emf.Milliseconds, Values: lags},
		emf.Value("EmailsSent", emf.Count, 250),
	}, nil); err != nil {
		t.Fatal(err)
	}
	ls := lines(t, &out)
	if len(ls) != 3 {
		t.Fatalf("wrote %d documents, want 3 (100 + 100 + 50 values)", len(ls))
	}
	var got []float64
	sent := 0.0
	for _, l := range ls {
		_, values := validate(t, l)
		got = append(got, values["EmailDeliveryLag"]...)
		for _, v := range values["EmailsSent"] {
			sent += v
		}
	}
	if d := cmp.Diff(lags, got); d != "" {
		t.Errorf("lags across documents (-want +got):\n%s", d)
	}
	if sent != 250 {
		t.Errorf("EmailsSent across documents = %v, want 250 (counted once)", sent)
	}
}

func TestWriteRefuses(t *testing.T) {
	tooMany := make([]emf.Metric, emf.MaxMetrics+1)
	for i := range tooMany {
		tooMany[i] = emf.Value(fmt.Sprintf("M%d", i), emf.Count, 1)
	}
	for name, c := range map[string]struct {
		dims    []emf.Dimension
		metrics []emf.Metric
		props   map[string]any
	}{
		"metric named like a dimension": {[]emf.Dimension{{"Operation", "x"}}, []emf.Metric{emf.Value("Operation", emf.Count, 1)}, nil},
		"metric named like a property":  {nil, []emf.Metric{emf.Value("status", emf.Count, 1)}, map[string]any{"status": 1}},
		"metric named _aws":             {nil, []emf.Metric{emf.Value("_aws", emf.Count, 1)}, nil},
		"metric without a name":         {nil, []emf.Metric{emf.Value("", emf.Count, 1)}, nil},
		"not a number":                  {nil, []emf.Metric{emf.Value("Latency", emf.Milliseconds, 0.0/zero())}, nil},
		"too many metrics":              {nil, tooMany, nil},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := newWriter(t, &out).Write(c.dims, c.metrics, c.props); err == nil {
				t.Errorf("Write succeeded, want an error")
			}
			if out.Len() != 0 {
				t.Errorf("Write wrote %q after refusing", out.String())
			}
		})
	}
	if _, err := emf.New(&bytes.Buffer{}, "", time.Now); err == nil {
		t.Error("New with an empty namespace succeeded")
	}
}

func zero() float64 { return 0 }

// TestConcurrentWritesDoNotInterleave checks that each document stays one
// whole line when requests write at the same time.
func TestConcurrentWritesDoNotInterleave(t *testing.T) {
	var out bytes.Buffer
	w := newWriter(t, &out)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			_ = w.Write([]emf.Dimension{{"Operation", strings.Repeat("x", i+1)}}, []emf.Metric{emf.Value("Requests", emf.Count, 1)}, nil)
		})
	}
	wg.Wait()
	ls := lines(t, &out)
	if len(ls) != 50 {
		t.Fatalf("%d lines, want 50", len(ls))
	}
	for _, l := range ls {
		validate(t, l)
	}
}

// TestStringsAreEscaped checks that a dimension value or property that
// needs escaping still makes a valid document holding it unchanged.
func TestStringsAreEscaped(t *testing.T) {
	var out bytes.Buffer
	odd := "Zoë's \"quoted\" \\ <b>&\n\t\x00"
	if err := newWriter(t, &out).Write([]emf.Dimension{{"Operation", odd}}, []emf.Metric{emf.Value("Requests", emf.Count, 1e21)},
		map[string]any{"note": odd, "n": 3}); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(out.String())
	dims, values := validate(t, line)
	if dims["Operation"] != odd || values["Requests"][0] != 1e21 {
		t.Errorf("round trip: dimensions %q, values %v", dims, values)
	}
	var root map[string]any
	_ = json.Unmarshal([]byte(line), &root)
	if root["note"] != odd || root["n"] != 3.0 {
		t.Errorf("properties: %v", root)
	}
}
