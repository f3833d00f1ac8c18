// Package emf writes CloudWatch embedded metric format (EMF) documents: one
// JSON object per line that CloudWatch Logs turns into metrics when it
// finds it in a log group. Lambda sends whatever a function writes to
// stdout to its log group, so a function publishes metrics by writing these
// lines there: no PutMetricData call, no agent, no latency added to a
// request.
//
// The encoder is hand-written rather than AWS's client library because the
// format is small (a directive under "_aws" and the values beside it), Go
// has no library of AWS's, and the ones there are flush on their own
// schedules, which a Lambda that is frozen between invocations would lose.
// Each Write is one complete line, written with one call.
//
// The format (CloudWatch User Guide, "Specification: Embedded metric
// format"): the root object has an "_aws" member holding Timestamp
// (milliseconds since the epoch) and CloudWatchMetrics, an array of
// directives, each with a Namespace, Dimensions (an array of dimension
// sets, each an array of names) and Metrics (each a Name and a Unit). Every
// dimension name is a root member whose value is a string; every metric
// name is a root member whose value is a number or an array of at most 100
// numbers. Other root members are kept in the log event and ignored by
// metric extraction: they are how a metric line carries its context.
package emf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// The units this service's metrics use; CloudWatch has more.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Limits of the format: a directive names at most MaxMetrics metrics, a
// dimension set at most MaxDimensions dimensions, and a metric carries at
// most MaxValues values in one document.
const (
	MaxMetrics    = 100
	MaxDimensions = 30
	MaxValues     = 100
)

// Dimension is one dimension of a document's metrics.
type Dimension struct {
	Name, Value string
}

// Metric is one metric of a document and its values. Several values of one
// metric in one document (the lags of a batch of deliveries) are several
// samples, as if each had been written alone.
type Metric struct {
	Name   string
	Unit   Unit
	Values []float64
}

// Value returns a metric with one value.
func Value(name string, unit Unit, v float64) Metric {
	return Metric{Name: name, Unit: unit, Values: []float64{v}}
}

// Writer writes EMF documents to an io.Writer, one per line, for one
// namespace. It is safe for concurrent use: each document is written with
// one Write call under a lock, so lines never interleave.
type Writer struct {
	mu        sync.Mutex
	out       io.Writer
	namespace string
	now       func() time.Time
}

// New returns a Writer of documents in namespace to out, stamped with the
// time now returns.
func New(out io.Writer, namespace string, now func() time.Time) (*Writer, error) {
	if namespace == "" || len(namespace) > 255 || namespace[0] == ':' {
		return nil, fmt.Errorf("emf: namespace %q must be 1 to 255 characters and not start with ':'", namespace)
	}
	return &Writer{out: out, namespace: namespace, now: now}, nil
}

// Namespace returns the namespace the Writer's metrics are in.
func (w *Writer) Namespace() string { return w.namespace }

// Write writes one document: the metrics, with the dimensions (one
// dimension set of all of them) and the properties as further root members
// for the log event alone. Metrics without values are left out, and so is
// the whole document when none has a value. A metric with more than
// MaxValues values is split across documents. Errors: names that collide
// with each other or with "_aws", more than MaxMetrics metrics or
// MaxDimensions dimensions, a value that is not finite, and the writer's.
func (w *Writer) Write(dims []Dimension, metrics []Metric, props map[string]any) error {
	metrics = slices.DeleteFunc(slices.Clone(metrics), func(m Metric) bool { return len(m.Values) == 0 })
	if len(metrics) == 0 {
		return nil
	}
	if len(metrics) > MaxMetrics || len(dims) > MaxDimensions {
		return fmt.Errorf("emf: %d metrics and %d dimensions; at most %d and %d", len(metrics), len(dims), MaxMetrics, MaxDimensions)
	}
	names := map[string]bool{"_aws": true}
	for k := range props {
		names[k] = true
	}
	for _, d := range dims {
		if d.Name == "" || names[d.Name] {
			return fmt.Errorf("emf: dimension name %q is empty or used twice", d.Name)
		}
		names[d.Name] = true
	}
	for _, m := range metrics {
		if m.Name == "" || len(m.Name) > 255 || names[m.Name] {
			return fmt.Errorf("emf: metric name %q is empty, too long or used twice", m.Name)
		}
		names[m.Name] = true
		for _, v := range m.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("emf: metric %s has the value %v, which JSON cannot hold", m.Name, v)
			}
		}
	}
	var lines []byte
	for chunk := 0; ; chunk++ {
		var more bool
		var err error
		if lines, more, err = w.document(lines, chunk, dims, metrics, props); err != nil {
			return err
		}
		lines = append(lines, '\n')
		if !more {
			break
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.out.Write(lines)
	return err
}

// document appends the chunk-th document of a Write to buf: the values
// chunk*MaxValues onwards of each metric that has them. more says whether
// a metric has values beyond this chunk. It writes the JSON itself rather
// than through a map and encoding/json: every API request writes one, and
// this makes it a few allocations instead of dozens.
func (w *Writer) document(buf []byte, chunk int, dims []Dimension, metrics []Metric, props map[string]any) (out []byte, more bool, err error) {
	lo := chunk * MaxValues
	buf = append(buf, `{"_aws":{"Timestamp":`...)
	buf = strconv.AppendInt(buf, w.now().UnixMilli(), 10)
	buf = append(buf, `,"CloudWatchMetrics":[{"Namespace":`...)
	buf = appendString(buf, w.namespace)
	buf = append(buf, `,"Dimensions":[[`...)
	for i, d := range dims {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, d.Name)
	}
	buf = append(buf, `]],"Metrics":[`...)
	n := 0
	for _, m := range metrics {
		if lo >= len(m.Values) {
			continue
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		n++
		buf = append(buf, `{"Name":`...)
		buf = appendString(buf, m.Name)
		if m.Unit != "" {
			buf = append(buf, `,"Unit":`...)
			buf = appendString(buf, string(m.Unit))
		}
		buf = append(buf, '}')
	}
	if n == 0 {
		return nil, false, errors.New("emf: no values in a document")
	}
	buf = append(buf, "]}]}"...)
	for _, d := range dims {
		buf = append(buf, ',')
		buf = appendString(buf, d.Name)
		buf = append(buf, ':')
		buf = appendString(buf, d.Value)
	}
	for _, m := range metrics {
		if lo >= len(m.Values) {
			continue
		}
		hi := min(lo+MaxValues, len(m.Values))
		more = more || hi < len(m.Values)
		buf = append(buf, ',')
		buf = appendString(buf, m.Name)
		buf = append(buf, ':')
		if hi-lo == 1 {
			buf = strconv.AppendFloat(buf, m.Values[lo], 'g', -1, 64)
			continue
		}
		buf = append(buf, '[')
		for i, v := range m.Values[lo:hi] {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, ']')
	}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v, err := json.Marshal(props[k])
		if err != nil {
			return nil, false, fmt.Errorf("emf: encode property %s: %w", k, err)
		}
		buf = append(buf, ',')
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = append(buf, v...)
	}
	return append(buf, '}'), more, nil
}

// appendString appends s as a JSON string: as it is when it needs no
// escaping (every name and value this service writes), else as
// encoding/json writes it.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(buf, quoted...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
