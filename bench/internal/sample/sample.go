// Package sample reads what the edge says about itself while it is under
// load: its Prometheus /metrics (connections, messages, allocations, GC
// pauses and CPU, goroutines, RSS), and — when the edge runs here and perf
// is installed — the number of system calls it makes.
package sample

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Edge is one scrape of an edge's /metrics, reduced to what the load
// generator reports.
type Edge struct {
	At             time.Time `json:"at"`
	Connections    float64   `json:"connections"`
	CPUSeconds     float64   `json:"cpu_seconds"` // process user+system
	RSS            float64   `json:"rss_bytes"`
	HeapInuse      float64   `json:"heap_inuse_bytes"`
	StackInuse     float64   `json:"stack_inuse_bytes"`
	Goroutines     float64   `json:"goroutines"`
	Mallocs        float64   `json:"mallocs"`
	GCCycles       float64   `json:"gc_cycles"`
	GCCPUSeconds   float64   `json:"gc_cpu_seconds"`
	MessagesIn     float64   `json:"messages_in"`
	MessagesOut    float64   `json:"messages_out"`
	FramesQueued   float64   `json:"frames_queued"`
	BytesFannedOut float64   `json:"bytes_fanned_out"`       // bytes of frames queued to sessions (veltrix_edge_bytes_fanned_out_total)
	GCPauseMax     float64   `json:"gc_pause_max_seconds"`   // go_gc_duration_seconds max (recent cycles)
	GCPauseBuckets []Bucket  `json:"gc_pause_buckets"`       // cumulative, from veltrix_edge_gc_pause_seconds
	TickBuckets    []Bucket  `json:"tick_buckets,omitempty"` // cumulative, from veltrix_edge_tick_duration_seconds
	TickHz         float64   `json:"tick_hz,omitempty"`      // veltrix_edge_tick_rate_hz
	CrowdedCells   float64   `json:"crowded_cells,omitempty"`
	TickRateMoves  float64   `json:"tick_rate_changes,omitempty"`
	// ClaimsAtEdge: claims the edge answered itself (drops_total of
	// claim_already_claimed, claim_unknown_treasure, claim_rate_limited).
	ClaimsAtEdge float64 `json:"claims_at_edge,omitempty"`
	// CoordinatorClaims: claims the coordinator decided
	// (veltrix_coordinator_claims_total), when Parse read a coordinator's
	// /metrics.
	CoordinatorClaims float64 `json:"coordinator_claims,omitempty"`
	// Bytes over the embedded NATS server's routes to the region's other
	// edges (veltrix_edge_region_route_bytes_total), by direction.
	RouteIn  float64 `json:"route_in_bytes"`
	RouteOut float64 `json:"route_out_bytes"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	Le    F       `json:"le"` // +Inf (null) for the last bucket
	Count float64 `json:"count"`
}

// Scrape fetches and reduces url (an edge's /metrics).
func Scrape(ctx context.Context, c *http.Client, url string) (Edge, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return Edge{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return Edge{}, fmt.Errorf("cannot scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Edge{}, fmt.Errorf("cannot scrape %s: %s", url, resp.Status)
	}
	return Parse(resp.Body)
}

// Parse reduces a Prometheus text exposition.
func Parse(r io.Reader) (Edge, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Edge{}, fmt.Errorf("cannot parse metrics: %w", err)
	}
	e := Edge{At: time.Now()}
	sum := func(name string) float64 {
		f := fams[name]
		if f == nil {
			return 0
		}
		t := 0.0
		for _, m := range f.Metric {
			t += value(m)
		}
		return t
	}
	e.Connections = sum("veltrix_edge_connections")
	e.CPUSeconds = sum("process_cpu_seconds_total")
	e.RSS = sum("process_resident_memory_bytes")
	e.HeapInuse = sum("go_memstats_heap_inuse_bytes")
	e.StackInuse = sum("go_memstats_stack_inuse_bytes")
	e.Goroutines = sum("go_goroutines")
	e.Mallocs = sum("go_memstats_mallocs_total")
	e.GCCPUSeconds = sum("go_cpu_classes_gc_total_cpu_seconds_total")
	e.MessagesIn = sum("veltrix_edge_messages_in_total")
	e.MessagesOut = sum("veltrix_edge_messages_out_total")
	e.FramesQueued = sum("veltrix_edge_frames_queued_total")
	e.BytesFannedOut = sum("veltrix_edge_bytes_fanned_out_total")
	byLabel(fams["veltrix_edge_region_route_bytes_total"], func(label string, v float64) {
		switch label {
		case "dir=in":
			e.RouteIn += v
		case "dir=out":
			e.RouteOut += v
		}
	})
	e.gcFrom(fams)
	// Tick durations, rate and crowd state (edges since issue 15).
	e.TickBuckets = tickBuckets(fams["veltrix_edge_tick_duration_seconds"])
	e.TickHz = sum("veltrix_edge_tick_rate_hz")
	e.CrowdedCells = sum("veltrix_edge_crowded_cells")
	e.TickRateMoves = sum("veltrix_edge_tick_rate_changes_total")
	byLabel(fams["veltrix_edge_drops_total"], func(label string, v float64) {
		switch label {
		case "reason=claim_already_claimed", "reason=claim_unknown_treasure", "reason=claim_rate_limited":
			e.ClaimsAtEdge += v
		}
	})
	e.CoordinatorClaims = sum("veltrix_coordinator_claims_total")
	return e, nil
}

// byLabel calls fn with "name=value" for each label of each sample of f
// (nil: none), and the sample's value.
// gcFrom reads the collector's cycles, longest pause and pause histogram.
func (e *Edge) gcFrom(fams map[string]*dto.MetricFamily) {
	if f := fams["go_gc_duration_seconds"]; f != nil && len(f.Metric) > 0 && f.Metric[0].Summary != nil {
		e.GCCycles = float64(f.Metric[0].Summary.GetSampleCount())
		for _, q := range f.Metric[0].Summary.Quantile {
			if q.GetQuantile() == 1 {
				e.GCPauseMax = q.GetValue()
			}
		}
	}
	// The edge's own fine-bucketed pause histogram; else the Go
	// collector's (exact counts, but ~10× wide buckets).
	f := fams["veltrix_edge_gc_pause_seconds"]
	if f == nil {
		f = fams["go_sched_pauses_total_gc_seconds"]
	}
	if f != nil && len(f.Metric) > 0 && f.Metric[0].Histogram != nil {
		for _, b := range f.Metric[0].Histogram.Bucket {
			e.GCPauseBuckets = append(e.GCPauseBuckets, Bucket{Le: F(b.GetUpperBound()), Count: float64(b.GetCumulativeCount())})
		}
	}
}

// tickBuckets is the edge's tick-duration histogram (nil without one), its
// last bucket +Inf.
func tickBuckets(f *dto.MetricFamily) []Bucket {
	if f == nil || len(f.Metric) == 0 || f.Metric[0].Histogram == nil {
		return nil
	}
	var out []Bucket
	h := f.Metric[0].Histogram
	for _, b := range h.Bucket {
		out = append(out, Bucket{Le: F(b.GetUpperBound()), Count: float64(b.GetCumulativeCount())})
	}
	return append(out, Bucket{Le: F(math.Inf(1)), Count: float64(h.GetSampleCount())})
}

func byLabel(f *dto.MetricFamily, fn func(label string, v float64)) {
	if f == nil {
		return
	}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			fn(l.GetName()+"="+l.GetValue(), value(m))
		}
	}
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// Delta is what happened between two scrapes.
type Delta struct {
	Seconds     float64 `json:"seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	Mallocs     float64 `json:"mallocs"`
	GCCycles    float64 `json:"gc_cycles"`
	GCCPUShare  float64 `json:"gc_cpu_share"` // GC CPU / process CPU (the runtime updates it at each GC)
	MessagesIn  float64 `json:"messages_in"`
	MessagesOut float64 `json:"messages_out"`
	BytesOut    float64 `json:"bytes_fanned_out"`
	// GCPauseP99 is the smallest histogram bound that at least 99% of
	// the pauses in the interval were under, GCPauseMaxLe the bound of the
	// longest (upper bounds at the runtime's own resolution, 4 buckets per
	// power of two, which the edge exports as they are). NaN with no pause.
	GCPauseP99   F       `json:"gc_pause_p99_le_seconds"`
	GCPauseMaxLe F       `json:"gc_pause_max_le_seconds"`
	Pauses       float64 `json:"gc_pauses"`
	// TickP99 bounds the fan-out ticks' p99 duration likewise; NaN when
	// the edge exports no tick histogram.
	TickP99 F       `json:"tick_p99_le_seconds"`
	Ticks   float64 `json:"ticks"`
	// ClaimsAtEdge: claims the edge answered itself in the interval.
	ClaimsAtEdge float64 `json:"claims_at_edge"`
}

// Between returns b − a.
func Between(a, b Edge) Delta {
	d := Delta{Seconds: b.At.Sub(a.At).Seconds(), CPUSeconds: b.CPUSeconds - a.CPUSeconds, Mallocs: b.Mallocs - a.Mallocs,
		GCCycles: b.GCCycles - a.GCCycles, MessagesIn: b.MessagesIn - a.MessagesIn, MessagesOut: b.MessagesOut - a.MessagesOut,
		BytesOut: b.BytesFannedOut - a.BytesFannedOut, GCPauseP99: F(math.NaN()), GCPauseMaxLe: F(math.NaN()), ClaimsAtEdge: b.ClaimsAtEdge - a.ClaimsAtEdge}
	if d.CPUSeconds > 0 {
		d.GCCPUShare = (b.GCCPUSeconds - a.GCCPUSeconds) / d.CPUSeconds
	}
	var p99, top float64
	d.Pauses, p99 = pauseQuantile(a.GCPauseBuckets, b.GCPauseBuckets, 0.99)
	_, top = pauseQuantile(a.GCPauseBuckets, b.GCPauseBuckets, 1)
	d.GCPauseP99, d.GCPauseMaxLe = F(p99), F(top)
	d.Ticks, p99 = pauseQuantile(a.TickBuckets, b.TickBuckets, 0.99)
	d.TickP99 = F(p99)
	return d
}

// pauseQuantile is the q-quantile bound of the pauses counted between two
// cumulative histograms with the same buckets.
func pauseQuantile(a, b []Bucket, q float64) (n, le float64) {
	if len(b) == 0 {
		return 0, math.NaN()
	}
	diff := make([]Bucket, len(b))
	for i := range b {
		diff[i] = b[i]
		if i < len(a) && a[i].Le == b[i].Le {
			diff[i].Count -= a[i].Count
		}
	}
	sort.Slice(diff, func(i, j int) bool { return diff[i].Le < diff[j].Le })
	n = diff[len(diff)-1].Count
	if n <= 0 {
		return 0, math.NaN()
	}
	for _, bk := range diff {
		if bk.Count >= q*n {
			return n, float64(bk.Le)
		}
	}
	return n, math.Inf(1)
}

// Syscalls counts the system calls process pid makes until ctx ends, with
// perf (raw_syscalls:sys_enter). ErrNoPerf when perf is missing or may not
// trace.
func Syscalls(ctx context.Context, pid int) (uint64, error) {
	path, err := exec.LookPath("perf")
	if err != nil {
		return 0, ErrNoPerf
	}
	cmd := exec.Command(path, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", strconv.Itoa(pid))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNoPerf, err)
	}
	go func() {
		<-ctx.Done()
		_ = cmd.Process.Signal(os.Interrupt) // perf prints its counts on SIGINT
	}()
	var count uint64
	var seen bool
	var lines []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		f := strings.Split(line, ",")
		if len(f) >= 3 && strings.Contains(line, "raw_syscalls:sys_enter") {
			if v, err := strconv.ParseUint(f[0], 10, 64); err == nil {
				count, seen = v, true
			}
		}
	}
	_ = cmd.Wait()
	if !seen {
		return 0, fmt.Errorf("%w: %s", ErrNoPerf, strings.Join(lines, "; "))
	}
	return count, nil
}

// ErrNoPerf reports that system calls cannot be counted here.
var ErrNoPerf = errors.New("perf cannot count system calls here")

// F is a float64 whose JSON form is null when it is NaN or infinite (which
// JSON cannot carry): "not measured" or "beyond the last bucket".
type F float64

// MarshalJSON implements json.Marshaler.
func (f F) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *F) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = F(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = F(v)
	return err
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// ProcCPU is the user+system CPU seconds process pid has used so far
// (/proc/PID/stat utime and stime).
func ProcCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command (which may hold spaces) start after ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("sample: /proc/%d/stat: no command field", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // state is field 3, utime 14, stime 15
		return 0, fmt.Errorf("sample: /proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("sample: /proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return float64(ut+st) / clockTicks, nil
}

// Slab is the kernel's slab memory in bytes, machine-wide (/proc/meminfo
// Slab): its growth per connection is what the sockets cost the kernel.
func Slab() (float64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "Slab:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb * 1024, err
			}
		}
	}
	return 0, errors.New("sample: no Slab line in /proc/meminfo")
}
