// Package hist records latencies for the load generator: HdrHistograms
// (microsecond resolution, 3 significant figures, up to one minute) behind
// striped locks so that thousands of simulated players record at once, with
// a per-interval view for "percentiles over time", and a compact encoding
// so that worker processes send theirs to the parent, which merges them.
package hist

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Range of every histogram, in microseconds.
const (
	lowest  = 1
	highest = int64(time.Minute / time.Microsecond)
	sigFigs = 3
)

// H is one latency histogram (not safe for concurrent use; see Recorder).
// Its JSON form is HdrHistogram's compressed V2 encoding, so that worker
// results stay small.
type H struct{ h *hdrhistogram.Histogram }

// New returns an empty histogram.
func New() *H { return &H{h: hdrhistogram.New(lowest, highest, sigFigs)} }

// Record adds one latency; values outside 1 µs .. 1 min are clamped (and
// counted as such: a minute-long delivery is a failure worth seeing).
func (h *H) Record(d time.Duration) {
	v := min(max(int64(d/time.Microsecond), lowest), highest)
	_ = h.h.RecordValue(v) // cannot fail: v is in range
}

// Merge adds every value of o.
func (h *H) Merge(o *H) { h.h.Merge(o.h) }

// Count is the number of values recorded.
func (h *H) Count() int64 { return h.h.TotalCount() }

// Quantile is the value at quantile q (0..1), 0 when empty.
func (h *H) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q*100)) * time.Microsecond
}

// Max is the largest value recorded.
func (h *H) Max() time.Duration { return time.Duration(h.h.Max()) * time.Microsecond }

// Mean is the mean value.
func (h *H) Mean() time.Duration { return time.Duration(h.h.Mean()) * time.Microsecond }

// Summary is the usual percentiles of a histogram.
type Summary struct {
	Count int64         `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summary returns h's percentiles.
func (h *H) Summary() Summary {
	return Summary{Count: h.Count(), Mean: h.Mean(), P50: h.Quantile(.5), P90: h.Quantile(.9),
		P99: h.Quantile(.99), P999: h.Quantile(.999), Max: h.Max()}
}

// Point is one step of a cumulative distribution.
type Point struct {
	Value    time.Duration `json:"value_ns"`
	Fraction float64       `json:"fraction"`
}

// CDF returns the cumulative distribution at a resolution suited to a chart.
func (h *H) CDF() []Point {
	if h.Count() == 0 {
		return nil
	}
	var out []Point
	for _, b := range h.h.CumulativeDistributionWithTicks(5) {
		out = append(out, Point{Value: time.Duration(b.ValueAt) * time.Microsecond, Fraction: b.Quantile / 100})
	}
	return out
}

// MarshalJSON encodes h compressed.
func (h *H) MarshalJSON() ([]byte, error) {
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("cannot encode histogram: %w", err)
	}
	return json.Marshal(b)
}

// UnmarshalJSON decodes what MarshalJSON encoded.
func (h *H) UnmarshalJSON(data []byte) error {
	var b []byte
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	d, err := hdrhistogram.Decode(b)
	if err != nil {
		return fmt.Errorf("cannot decode histogram: %w", err)
	}
	h.h = hdrhistogram.New(lowest, highest, sigFigs)
	h.h.Merge(d)
	return nil
}

// stripes spreads recorders over locks; players pick one by their index.
const stripes = 16

// Recorder is a histogram many goroutines record into, with a total and
// an interval histogram that TakeInterval swaps out.
type Recorder struct {
	s [stripes]struct {
		mu              sync.Mutex
		total, interval *H
		_               [40]byte // keep stripes on separate cache lines
	}
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	r := &Recorder{}
	for i := range r.s {
		r.s[i].total, r.s[i].interval = New(), New()
	}
	return r
}

// Record adds d from the recorder's user number who (any int: a player
// index spreads the lock load).
func (r *Recorder) Record(who int, d time.Duration) {
	s := &r.s[uint(who)%stripes]
	s.mu.Lock()
	s.total.Record(d)
	s.interval.Record(d)
	s.mu.Unlock()
}

// TakeInterval returns what was recorded since the last call.
func (r *Recorder) TakeInterval() *H {
	out := New()
	for i := range r.s {
		s := &r.s[i]
		s.mu.Lock()
		out.Merge(s.interval)
		s.interval.h.Reset()
		s.mu.Unlock()
	}
	return out
}

// Total returns everything recorded.
func (r *Recorder) Total() *H {
	out := New()
	for i := range r.s {
		s := &r.s[i]
		s.mu.Lock()
		out.Merge(s.total)
		s.mu.Unlock()
	}
	return out
}
