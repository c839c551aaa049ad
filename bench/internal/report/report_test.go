package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/sample"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
)

func run(label string, msgs int64, cpu float64, winners map[uint32][]uint32) *Run {
	d := hist.New()
	for i := 1; i <= 100; i++ {
		d.Record(time.Duration(i) * time.Millisecond)
	}
	cfg := scenario.Defaults("claim-storm")
	r := &Run{Label: label, Scenario: cfg.Scenario, Config: cfg,
		Crowd: sim.Result{Players: 100, Connected: 100, Elapsed: 10 * time.Second, Handshake: hist.New(), Delivery: d, Claim: hist.New(),
			Counters: map[string]int64{"messages": msgs, "positions": 0}, Winners: winners,
			Series: []sim.Interval{{T: 1, Messages: msgs / 10, Delivery: d, Claim: hist.New()}}},
		Edge: EdgeReport{Sampled: true, BaseRSS: 10 << 20, BaseHeap: 4 << 20,
			After: sample.Edge{Connections: 100, RSS: 20 << 20, HeapInuse: 5 << 20, Goroutines: 200},
			Delta: sample.Delta{Seconds: 10, CPUSeconds: cpu, Mallocs: float64(msgs) / 2, BytesOut: 40e6, GCPauseP99: sample.F(math.NaN())}},
		RampMemory:   []EdgePoint{{Connections: 50, RSS: 15 << 20}, {Connections: 100, RSS: 20 << 20}},
		GeneratorCPU: 1, SlabDelta: 800 << 10}
	r.Derive()
	return r
}

func TestDerive(t *testing.T) {
	r := run("a", 100_000, 2, nil)
	d := r.Derived
	if d.MessagesPerSec != 10_000 || d.MessagesPerCPUSec != 50_000 || d.EdgeCPU != 0.2 || d.AllocsPerMessage != 0.5 {
		t.Fatalf("derived %+v", d)
	}
	if d.FanOutBytesPerSec != 4e6 || d.FanOutBytesPerCPU != 20e6 { // 40 MB over 10 s and 2 CPU-seconds
		t.Fatalf("fan-out bytes: %+v", d)
	}
	if d.RSSPerConn != float64(10<<20)/100 || d.GoroutinesPerConn != 2 || d.SlabPerConn != 8192 {
		t.Fatalf("per connection: %+v", d)
	}
	// 1 generator CPU-second and 2 of the edge's for 100,000 messages.
	if d.GenCPUPerMessage != 1e-5 || d.EdgeCPUPerMessage != 2e-5 || d.GeneratorCPU != 0.1 {
		t.Fatalf("CPU per message: generator %v, edge %v, generator share %v", d.GenCPUPerMessage, d.EdgeCPUPerMessage, d.GeneratorCPU)
	}
	if !math.IsNaN(float64(d.SyscallsPerMessage)) {
		t.Fatalf("syscalls per message without perf: %v", d.SyscallsPerMessage)
	}
}

// Claims per second count every answered claim, whatever its outcome,
// over the measured phase; sent and unanswered ones are not answers.
func TestDeriveClaimsPerSecond(t *testing.T) {
	r := run("a", 10, 1, nil)
	for k, v := range map[string]int64{"claims_sent": 900, "claims_won": 40, "claims_already_claimed": 300, "claims_too_far": 50,
		"claims_hunt_not_active": 5, "claims_other": 5, "claims_unanswered": 500} {
		r.Crowd.Counters[k] = v
	}
	r.Derive() // 400 answers in 10 s
	if r.Derived.ClaimsPerSec != 40 {
		t.Fatalf("claims/s %v, want 40", r.Derived.ClaimsPerSec)
	}
	r.Crowd.Claim.Record(3 * time.Millisecond)
	var sum bytes.Buffer
	r.Summary(&sum)
	if !strings.Contains(sum.String(), "40 claims/s answered") {
		t.Fatalf("the summary does not give claims/s:\n%s", sum.String())
	}
	b := run("b", 10, 1, nil)
	b.Crowd.Counters["claims_won"] = 800
	b.Derive()
	if line := compareLine(t, r, b, "claims answered /s"); !strings.HasSuffix(line, "2.00×") {
		t.Fatalf("b answers twice the claims: %q", line)
	}
}

// compareLine is the row of Compare(a, b) named name.
func compareLine(t *testing.T, a, b *Run, name string) string {
	t.Helper()
	var out bytes.Buffer
	Compare(&out, a, b)
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, name+" ") {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no row %q in:\n%s", name, out.String())
	return ""
}

func TestChecksCatchDoubleWinsAndWrongWinners(t *testing.T) {
	ok := run("a", 10, 1, map[uint32][]uint32{1: {5}, 2: {6}})
	ok.Check(map[uint32]uint32{1: 5, 2: 6})
	if !ok.OK() {
		t.Fatalf("clean run failed: %+v", ok.Checks)
	}
	double := run("b", 10, 1, map[uint32][]uint32{1: {5, 6}})
	double.Check(map[uint32]uint32{1: 5})
	if double.OK() {
		t.Fatal("a treasure announced to two winners passed")
	}
	wrong := run("c", 10, 1, map[uint32][]uint32{1: {5}})
	wrong.Check(map[uint32]uint32{1: 9})
	if wrong.OK() {
		t.Fatal("a winner the coordinator does not know passed")
	}
}

func TestCompareAndReports(t *testing.T) {
	a, b := run("netpoll", 100_000, 4, nil), run("uring", 100_000, 2, nil)
	var out bytes.Buffer
	Compare(&out, a, b)
	line := ""
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "messages per edge CPU-second") {
			line = l
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(line), "2.00×") {
		t.Fatalf("uring does twice the messages per CPU-second, compare says:\n%s", out.String())
	}
	dir := t.TempDir()
	if err := WriteHTML(filepath.Join(dir, "r.html"), []*Run{a, b}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "<svg"); n != 4 {
		t.Fatalf("%d charts, want 4", n)
	}
	if err := a.WriteJSON(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err) // NaN figures must still encode
	}
	var back Run
	b2, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(b2, &back); err != nil {
		t.Fatal(err)
	}
	if back.Crowd.Delivery.Count() != 100 || !math.IsNaN(float64(back.Derived.SyscallsPerMessage)) {
		t.Fatalf("JSON round trip lost figures: %d, %v", back.Crowd.Delivery.Count(), back.Derived.SyscallsPerMessage)
	}
	var sum bytes.Buffer
	a.Summary(&sum)
	if !strings.Contains(sum.String(), "delivery     p50") {
		t.Fatalf("summary:\n%s", sum.String())
	}
}

// A claim that never got its CLAIM_RESULT fails the run.
func TestEveryClaimAnsweredCheck(t *testing.T) {
	for _, tc := range []struct {
		unanswered int64
		ok         bool
	}{{0, true}, {1, false}, {40, false}} {
		r := run("a", 10, 1, map[uint32][]uint32{1: {5}})
		r.Crowd.Counters["claims_sent"] = 50
		r.Crowd.Counters["claims_unanswered"] = tc.unanswered
		r.Check(map[uint32]uint32{1: 5})
		var got *Check
		for i := range r.Checks {
			if r.Checks[i].Name == "every claim answered" {
				got = &r.Checks[i]
			}
		}
		if got == nil {
			t.Fatalf("no \"every claim answered\" check: %+v", r.Checks)
		}
		if got.OK != tc.ok || r.OK() != tc.ok {
			t.Fatalf("%d unanswered: check ok %v, run ok %v, want %v", tc.unanswered, got.OK, r.OK(), tc.ok)
		}
		if want := fmt.Sprintf("%d of 50 claims sent", tc.unanswered); !strings.Contains(got.Detail, want) {
			t.Fatalf("detail %q, want it to say %q", got.Detail, want)
		}
	}
}

// The failover window takes the seconds from the kill to 2 s after the
// new leader: their errors, claims and delivery latency, and no others.
func TestFailoverWindow(t *testing.T) {
	second := func(t float64, errs int64, delivery time.Duration) sim.Interval {
		d, c := hist.New(), hist.New()
		d.Record(delivery)
		c.Record(delivery * 2)
		return sim.Interval{T: t, Errors: errs, Delivery: d, Claim: c}
	}
	series := []sim.Interval{second(1, 100, time.Second), second(2, 1, 10*time.Millisecond),
		second(3, 2, 500*time.Millisecond), second(4, 4, 20*time.Millisecond), second(5, 1000, 5*time.Second)}
	f := &Failover{KilledAt: 1.5, NewLeaderAt: 1.9} // window (1.5, 3.9]: the seconds ending at 2, 3 and 4 overlap it
	f.Window(series)
	if f.ErrorsWindow != 7 || f.ClaimsWindow != 3 || f.DeliveriesInWindow != 3 {
		t.Fatalf("errors %d (want 7), claims %d (want 3), deliveries %d (want 3)", f.ErrorsWindow, f.ClaimsWindow, f.DeliveriesInWindow)
	}
	if f.DeliveryP99Window < 499 || f.DeliveryP99Window > 501 || f.ClaimMaxWindow < 999 || f.ClaimMaxWindow > 1001 {
		t.Fatalf("delivery p99 %.1f ms (want 500), slowest claim %.1f ms (want 1000)", f.DeliveryP99Window, f.ClaimMaxWindow)
	}
	none := &Failover{KilledAt: 1.5}
	none.Window(series)
	if none.ErrorsWindow != 0 || none.DeliveriesInWindow != 0 {
		t.Fatalf("no new leader, no window: %+v", none)
	}
}

// Every scenario's main figures get a ratio: claim and hunt-status
// latency, connections per second, and the failover window when both
// runs had one.
func TestCompareCoversEveryScenario(t *testing.T) {
	latencies := func(scale time.Duration) *hist.H {
		h := hist.New()
		for i := 1; i <= 100; i++ {
			h.Record(time.Duration(i) * scale)
		}
		return h
	}
	a, b := run("a", 1000, 1, nil), run("b", 1000, 1, nil)
	a.Crowd.Claim, b.Crowd.Claim = latencies(time.Millisecond), latencies(3*time.Millisecond)
	a.Status, b.Status = latencies(100*time.Microsecond), latencies(50*time.Microsecond)
	a.RampTime, b.RampTime = 1, 4
	a.Derive()
	b.Derive()
	for name, want := range map[string]string{
		"claim p50 (ms)": "3.00×", "claim p99 (ms)": "3.00×",
		"hunt status p50 (ms)": "0.50×", "hunt status p99 (ms)": "0.50×", "hunt status p99.9 (ms)": "0.50×",
		"connections per second (ramp)": "0.25×",
	} {
		if line := compareLine(t, a, b, name); !strings.HasSuffix(line, want) {
			t.Errorf("%s: %q, want the ratio %s", name, line, want)
		}
	}
	var out bytes.Buffer
	Compare(&out, a, b)
	if strings.Contains(out.String(), "failover") {
		t.Fatalf("failover rows without a failover:\n%s", out.String())
	}
	a.Failover = &Failover{KilledAt: 10, NewLeaderAt: 10.5, ErrorsWindow: 4, DeliveryP99Window: 20}
	b.Failover = &Failover{KilledAt: 10, NewLeaderAt: 11, ErrorsWindow: 2, DeliveryP99Window: 10}
	for name, want := range map[string]string{
		"failover: new leader after (ms)": "2.00×", "failover: errors in the window": "0.50×",
		"failover: delivery p99 in the window (ms)": "0.50×",
	} {
		if line := compareLine(t, a, b, name); !strings.HasSuffix(line, want) {
			t.Errorf("%s: %q, want the ratio %s", name, line, want)
		}
	}
}
