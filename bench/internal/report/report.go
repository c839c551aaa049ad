// Package report turns a load-generator run into its three outputs: a
// JSON result file, an HTML report with charts (latency percentiles over
// time, latency CDFs, memory against connections, throughput), and a short
// text summary; and it sets two runs side by side as ratios.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/sample"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
)

// Run is everything one scenario run measured.
type Run struct {
	Label    string          `json:"label"`
	Scenario string          `json:"scenario"`
	Config   scenario.Config `json:"config"`
	Machine  Machine         `json:"machine"`
	Date     time.Time       `json:"date"`
	Workers  int             `json:"workers"`
	Crowd    sim.Result      `json:"crowd"`

	Edge EdgeReport `json:"edge"`
	// CoordinatorClaims is how many claims the coordinator (the leader
	// at the end) decided in the measured phase; -1 when not sampled.
	CoordinatorClaims float64   `json:"coordinator_claims"`
	Status            *hist.H   `json:"status,omitempty"` // hunt-status latency
	StatusErrs        int64     `json:"status_errors"`
	StatusSent        int64     `json:"status_sent"`
	Failover          *Failover `json:"failover,omitempty"`
	Checks            []Check   `json:"checks"`
	Derived           Derived   `json:"derived"`
	RampTime          float64   `json:"ramp_seconds"`
	// GeneratorCPU is the CPU seconds the worker processes used in the
	// measured phase (the same window as the edge's delta).
	GeneratorCPU float64 `json:"generator_cpu_seconds"`
	// SlabDelta is the growth of the kernel's slab memory (machine-wide)
	// over the ramp: what the new connections' sockets cost, both loopback
	// ends and anything else the machine did meanwhile.
	SlabDelta  float64       `json:"slab_delta_bytes"`
	Timeline   []EdgePoint   `json:"timeline"` // edge samples through the measured phase
	RampMemory []EdgePoint   `json:"ramp_memory"`
	StatusTS   []StatusPoint `json:"status_series,omitempty"`
	// Region: each edge of a region run (Config.Edges > 1), over the
	// measured phase.
	Region []EdgeShare `json:"region,omitempty"`
}

// EdgeShare is one edge of a region over the measured phase.
type EdgeShare struct {
	URL        string  `json:"url"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	RouteIn    float64 `json:"route_in_bytes"`  // from the other edges
	RouteOut   float64 `json:"route_out_bytes"` // to the other edges
}

// Machine says where a run ran.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	NoFile   int    `json:"rlimit_nofile"`
	MemTotal string `json:"mem_total"`
}

// EdgeReport is the edge's own view of the measured phase.
type EdgeReport struct {
	Before   sample.Edge  `json:"before"`
	After    sample.Edge  `json:"after"`
	Delta    sample.Delta `json:"delta"`
	BaseRSS  float64      `json:"base_rss_bytes"`  // before any player connected
	BaseHeap float64      `json:"base_heap_bytes"` // heap+stacks in use before any player connected
	// ScrapeMallocs is what this tool's own /metrics scrapes allocated in
	// the edge during the phase (taken off the allocation count).
	ScrapeMallocs float64 `json:"scrape_mallocs"`
	Syscalls      uint64  `json:"syscalls,omitempty"`
	SyscallsErr   string  `json:"syscalls_error,omitempty"`
	Sampled       bool    `json:"sampled"`
}

// EdgePoint is one edge sample.
type EdgePoint struct {
	T           float64 `json:"t"`
	Connections float64 `json:"connections"`
	RSS         float64 `json:"rss_bytes"`
	Heap        float64 `json:"heap_bytes"` // heap + stacks in use
	CPU         float64 `json:"cpu_seconds"`
	Goroutines  float64 `json:"goroutines"`
}

// StatusPoint is one second of hunt-status load.
type StatusPoint struct {
	T   float64 `json:"t"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	N   int64   `json:"n"`
}

// Failover describes the coordinator leader kill.
type Failover struct {
	Killed      string  `json:"killed"`
	KilledAt    float64 `json:"killed_at_s"`
	NewLeaderAt float64 `json:"new_leader_at_s"`
	NewLeader   string  `json:"new_leader"`
	// The window: from the kill to 2 s after the new leader.
	ClaimsWindow       int64   `json:"claims_answered_in_window"`
	ClaimMaxWindow     float64 `json:"claim_max_window_ms"`
	ErrorsWindow       int64   `json:"errors_in_window"` // see sim.Interval.Errors
	DeliveryP99Window  float64 `json:"delivery_p99_window_ms"`
	DeliveryMaxWindow  float64 `json:"delivery_max_window_ms"`
	DeliveriesInWindow int64   `json:"deliveries_in_window"`
}

// Window adds up the seconds of series in the failover window: from the
// kill until 2 s after the new leader (nothing when no leader followed).
func (f *Failover) Window(series []sim.Interval) {
	if f.NewLeaderAt <= 0 {
		return
	}
	delivery := hist.New()
	for _, iv := range series {
		// iv.T is when second iv ended: it covers (iv.T-1, iv.T].
		if iv.T <= f.KilledAt || iv.T-1 > f.NewLeaderAt+2 {
			continue
		}
		f.ErrorsWindow += iv.Errors
		if iv.Claim != nil {
			f.ClaimsWindow += iv.Claim.Count()
			f.ClaimMaxWindow = max(f.ClaimMaxWindow, ms(iv.Claim.Max()))
		}
		if iv.Delivery != nil {
			delivery.Merge(iv.Delivery)
		}
	}
	if f.DeliveriesInWindow = delivery.Count(); f.DeliveriesInWindow > 0 { // NaN would not encode
		f.DeliveryP99Window, f.DeliveryMaxWindow = quant(delivery, .99), quant(delivery, 1)
	}
}

// Check is one correctness check of the run.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Derived figures, per second of the measured phase.
type Derived struct {
	MessagesPerSec     float64  `json:"messages_per_s"`         // messages players received
	PositionsPerSec    float64  `json:"positions_per_s"`        // positions players sent
	DeliveredPerSec    float64  `json:"delivered_per_s"`        // position entries players received
	ClaimsPerSec       float64  `json:"claims_per_s"`           // claims answered (a CLAIM_RESULT of any outcome)
	EdgeCPU            float64  `json:"edge_cpu_share"`         // edge CPU-seconds per second
	MessagesPerCPUSec  float64  `json:"messages_per_cpu_s"`     // received messages per edge CPU-second
	FanOutBytesPerSec  float64  `json:"fanout_bytes_per_s"`     // bytes of frames the edge queued to sessions per second
	FanOutBytesPerCPU  float64  `json:"fanout_bytes_per_cpu_s"` // the same per edge CPU-second
	AllocsPerMessage   float64  `json:"allocs_per_message"`     // edge mallocs / (messages received + positions sent by players)
	RSSPerConn         float64  `json:"rss_per_conn_bytes"`     // (RSS − base) / connections
	HeapPerConn        float64  `json:"heap_per_conn_bytes"`    // (heap+stacks − base) / connections
	SyscallsPerMessage sample.F `json:"syscalls_per_message"`   // NaN (null) without perf
	GoroutinesPerConn  float64  `json:"goroutines_per_conn"`
	ConnectsPerSec     float64  `json:"connects_per_s"`
	EdgeCPUPerMessage  float64  `json:"edge_cpu_per_message_s"`      // edge CPU-seconds per message players received
	GenCPUPerMessage   float64  `json:"generator_cpu_per_message_s"` // the generator's, in the same window
	GeneratorCPU       float64  `json:"generator_cpu_share"`         // generator CPU-seconds per second
	SlabPerConn        float64  `json:"slab_per_conn_bytes"`         // SlabDelta / connections
}

// Derive computes r.Derived.
func (r *Run) Derive() {
	d := &r.Derived
	c := r.Crowd
	secs := c.Elapsed.Seconds()
	if secs > 0 {
		d.MessagesPerSec = float64(c.Counters["messages"]) / secs
		d.PositionsPerSec = float64(c.Counters["positions"]) / secs
		d.DeliveredPerSec = float64(c.Counters["entries"]) / secs
		d.ClaimsPerSec = float64(ClaimsAnswered(c.Counters)) / secs
	}
	if r.RampTime > 0 {
		d.ConnectsPerSec = float64(c.Connected) / r.RampTime
	}
	if c.Connected > 0 {
		d.SlabPerConn = r.SlabDelta / float64(c.Connected)
	}
	if secs > 0 {
		d.GeneratorCPU = r.GeneratorCPU / secs
	}
	if m := float64(c.Counters["messages"]); m > 0 {
		d.GenCPUPerMessage = r.GeneratorCPU / m
	}
	e := r.Edge
	d.SyscallsPerMessage = sample.F(math.NaN())
	if !e.Sampled {
		return
	}
	if e.Delta.Seconds > 0 {
		d.EdgeCPU = e.Delta.CPUSeconds / e.Delta.Seconds
		d.FanOutBytesPerSec = e.Delta.BytesOut / e.Delta.Seconds
	}
	if m := float64(c.Counters["messages"]); m > 0 {
		d.EdgeCPUPerMessage = e.Delta.CPUSeconds / m
	}
	if e.Delta.CPUSeconds > 0 {
		d.MessagesPerCPUSec = float64(c.Counters["messages"]) / e.Delta.CPUSeconds
		d.FanOutBytesPerCPU = e.Delta.BytesOut / e.Delta.CPUSeconds
	}
	if msgs := float64(c.Counters["messages"] + c.Counters["positions"]); msgs > 0 {
		d.AllocsPerMessage = max(e.Delta.Mallocs-e.ScrapeMallocs, 0) / msgs
	}
	if conns := e.After.Connections; conns > 0 {
		d.RSSPerConn = (e.After.RSS - e.BaseRSS) / conns
		d.HeapPerConn = (e.After.HeapInuse + e.After.StackInuse - e.BaseHeap) / conns
		d.GoroutinesPerConn = e.After.Goroutines / conns
	}
	if e.Syscalls > 0 && c.Counters["messages"] > 0 {
		d.SyscallsPerMessage = sample.F(float64(e.Syscalls) / float64(c.Counters["messages"]))
	}
}

// ClaimsAnswered is how many claims got a CLAIM_RESULT, of any outcome.
func ClaimsAnswered(counters map[string]int64) int64 {
	n := int64(0)
	for _, k := range []string{"claims_won", "claims_already_claimed", "claims_too_far", "claims_hunt_not_active", "claims_other"} {
		n += counters[k]
	}
	return n
}

// Check adds the run's correctness checks: every player connected, no
// treasure won twice (and, when the coordinator's state is known, every
// announced winner is the winner on record), frames well formed, every
// sampled position in the cell its update was for.
func (r *Run) Check(claimedBy map[uint32]uint32) {
	c := r.Crowd
	add := func(name string, ok bool, format string, a ...any) {
		r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
	}
	add("players connected", c.Connected == int64(c.Players), "%d of %d (first error: %s)", c.Connected, c.Players, orNone(c.DialError))
	add("frames well formed", c.Counters["bad_frames"] == 0, "%d malformed", c.Counters["bad_frames"])
	add("positions in their cell", c.Counters["wrong_cell"] == 0, "%d sampled entries outside the cell of their update", c.Counters["wrong_cell"])
	if r.Config.Claims {
		double := c.DoubleWins()
		add("no treasure won twice", len(double) == 0, "%d treasures won, %d announced to more than one player", len(c.Winners), len(double))
		if claimedBy != nil {
			wrong := 0
			for t, ps := range c.Winners {
				for _, p := range ps {
					if claimedBy[t] != p {
						wrong++
					}
				}
			}
			add("winners match the coordinator", wrong == 0, "%d announced wins not on record", wrong)
		}
		add("claim results matched", c.Counters["claim_unmatched"] == 0, "%d results without a claim", c.Counters["claim_unmatched"])
		add("every claim answered", c.Counters["claims_unanswered"] == 0, "%d of %d claims sent had no CLAIM_RESULT %s after the run",
			c.Counters["claims_unanswered"], c.Counters["claims_sent"], sim.ClaimGrace)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// OK reports whether every check passed.
func (r *Run) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// WriteJSON writes r to path.
func (r *Run) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Summary writes the short text summary.
func (r *Run) Summary(w io.Writer) {
	c, d := r.Crowd, r.Derived
	fmt.Fprintf(w, "%s — %s: %d players (%s), %d workers, measured %.1fs\n", r.Label, r.Scenario, c.Players,
		r.Config.Transport, r.Workers, c.Elapsed.Seconds())
	fmt.Fprintf(w, "  connect      %d ok, %d failed, %.0f conn/s; handshake %s\n", c.Connected, c.DialErrors, d.ConnectsPerSec, lat(c.Handshake))
	if c.Delivery != nil && c.Delivery.Count() > 0 {
		fmt.Fprintf(w, "  delivery     %s (position → neighbour)\n", lat(c.Delivery))
	}
	fmt.Fprintf(w, "  throughput   %.0f msg/s received, %.0f positions/s sent, %.0f positions/s delivered\n",
		d.MessagesPerSec, d.PositionsPerSec, d.DeliveredPerSec)
	if c.Claim != nil && c.Claim.Count() > 0 {
		fmt.Fprintf(w, "  claims       %.0f claims/s answered; %s; sent %d, won %d, already claimed %d, too far %d\n", d.ClaimsPerSec, lat(c.Claim),
			c.Counters["claims_sent"], c.Counters["claims_won"], c.Counters["claims_already_claimed"], c.Counters["claims_too_far"])
		if r.CoordinatorClaims >= 0 && r.Edge.Sampled && c.Elapsed > 0 {
			fmt.Fprintf(w, "  coordinator  %.0f claims decided (%.1f/s); %.0f answered by the edge itself (%.1f/s)\n", r.CoordinatorClaims,
				r.CoordinatorClaims/c.Elapsed.Seconds(), r.Edge.Delta.ClaimsAtEdge, r.Edge.Delta.ClaimsAtEdge/c.Elapsed.Seconds())
		}
	}
	if r.Status != nil && r.Status.Count() > 0 {
		fmt.Fprintf(w, "  hunt status  %s; %d sent, %d errors\n", lat(r.Status), r.StatusSent, r.StatusErrs)
	}
	if r.Failover != nil {
		f := r.Failover
		fmt.Fprintf(w, "  failover     killed %s at %.1fs, %s leads from %.1fs (%.0f ms); in the window: %d claims answered, slowest %.0f ms; %d errors; delivery p99 %.2f ms, max %.2f ms (n=%d)\n",
			f.Killed, f.KilledAt, f.NewLeader, f.NewLeaderAt, (f.NewLeaderAt-f.KilledAt)*1000, f.ClaimsWindow, f.ClaimMaxWindow,
			f.ErrorsWindow, f.DeliveryP99Window, f.DeliveryMaxWindow, f.DeliveriesInWindow)
		fmt.Fprintf(w, "  claims lost  %d unavailable or unknown, %d unanswered\n", c.Counters["claims_other"], c.Counters["claims_unanswered"])
	}
	if r.Edge.Sampled {
		e := r.Edge
		fmt.Fprintf(w, "  edge         CPU %.2f cores, %.0f msg per CPU-s, %.2f allocs/msg, RSS %.0f MiB (%.0f B/conn, heap+stacks %.0f B/conn), %.2f goroutines/conn\n",
			d.EdgeCPU, d.MessagesPerCPUSec, d.AllocsPerMessage, e.After.RSS/(1<<20), d.RSSPerConn, d.HeapPerConn, d.GoroutinesPerConn)
		fmt.Fprintf(w, "  generator    CPU %.2f cores over %d workers; per message received %.2f µs, the edge's %.2f µs\n",
			d.GeneratorCPU, r.Workers, d.GenCPUPerMessage*1e6, d.EdgeCPUPerMessage*1e6)
		fmt.Fprintf(w, "  kernel slab  %+.0f B per connection over the ramp (machine-wide: both loopback ends)\n", d.SlabPerConn)
		fmt.Fprintf(w, "  fan-out      %.1f MB/s queued to sessions, %.1f MB per edge CPU-second\n", d.FanOutBytesPerSec/1e6, d.FanOutBytesPerCPU/1e6)
		fmt.Fprintf(w, "  edge GC      %.0f cycles, %.0f pauses, CPU share %.1f%%, pause p99 ≤ %s, max ≤ %s (runtime histogram buckets)\n",
			e.Delta.GCCycles, e.Delta.Pauses, 100*e.Delta.GCCPUShare, secs(float64(e.Delta.GCPauseP99)), secs(float64(e.Delta.GCPauseMaxLe)))
		if e.SyscallsErr != "" {
			fmt.Fprintf(w, "  syscalls     not counted: %s\n", e.SyscallsErr)
		} else if e.Syscalls > 0 && !math.IsNaN(float64(d.SyscallsPerMessage)) {
			fmt.Fprintf(w, "  syscalls     %d, %.3f per delivered message\n", e.Syscalls, d.SyscallsPerMessage)
		}
	}
	if c.PositionBytes != nil && c.PositionBytes.Count() > 0 {
		r.crowdSummary(w)
	}
	if len(c.Errors) > 0 {
		fmt.Fprintf(w, "  edge errors  %v\n", c.Errors)
	}
	for _, ch := range r.Checks {
		mark := "ok  "
		if !ch.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  [%s] %s: %s\n", mark, ch.Name, ch.Detail)
	}
}

// crowdSummary writes the crowd scenario's figures (issue 15).
func (r *Run) crowdSummary(w io.Writer) {
	c, e := r.Crowd, r.Edge
	b := c.PositionBytes
	fmt.Fprintf(w, "  bytes        position bytes per player per second: p50 %d, p99 %d, max %d (n=%d players)\n",
		b.Quantile(.5)/time.Microsecond, b.Quantile(.99)/time.Microsecond, b.Max()/time.Microsecond, b.Count())
	if h := c.Staleness; h != nil && h.Count() > 0 {
		fmt.Fprintf(w, "  staleness    oldest neighbour held: p99 %.2f s, max %.2f s", h.Quantile(.99).Seconds(), h.Max().Seconds())
		if n := c.NearStaleness; n != nil && n.Count() > 0 {
			fmt.Fprintf(w, "; within 50 m: p99 %.2f s, max %.2f s", n.Quantile(.99).Seconds(), n.Max().Seconds())
		}
		if n := c.NearestStaleness; n != nil && n.Count() > 0 {
			fmt.Fprintf(w, "; 100 nearest within 50 m: p99 %.2f s, max %.2f s", n.Quantile(.99).Seconds(), n.Max().Seconds())
		}
		fmt.Fprintf(w, " (observers sampled each second)\n")
	}
	for _, n := range []struct {
		what string
		h    *hist.H
	}{{"every neighbour within 50 m", c.Near50Staleness}, {"every player of the refined interest area", c.AreaStaleness}} {
		if n.h != nil && n.h.Count() > 0 {
			fmt.Fprintf(w, "  staleness    %s (truth): p99 %.2f s, max %.2f s\n", n.what, n.h.Quantile(.99).Seconds(), n.h.Max().Seconds())
		}
	}
	if e.Sampled {
		fmt.Fprintf(w, "  ticks        p99 ≤ %s over %.0f ticks; rate now %.0f Hz, %.0f rate changes; %.0f crowded cells\n",
			secs(float64(e.Delta.TickP99)), e.Delta.Ticks, e.After.TickHz, e.After.TickRateMoves, e.After.CrowdedCells)
	}
	fmt.Fprintf(w, "  disconnects  %d\n", c.Counters["disconnects"])
}

func lat(h *hist.H) string {
	if h == nil || h.Count() == 0 {
		return "none"
	}
	s := h.Summary()
	return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms (n=%d)", ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max), s.Count)
}

func secs(s float64) string {
	switch {
	case math.IsNaN(s):
		return "n/a"
	case math.IsInf(s, 1):
		return "∞"
	case s < 1e-3:
		return fmt.Sprintf("%.1f µs", s*1e6)
	default:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
}

// ThisMachine describes the machine the tool runs on.
func ThisMachine(nofile int) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), NoFile: nofile}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.CPU = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if l, _, ok := strings.Cut(string(b), "\n"); ok {
			m.MemTotal = strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return m
}
