package report

import (
	"bytes"
	"encoding/json"
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
			Delta: sample.Delta{Seconds: 10, CPUSeconds: cpu, Mallocs: float64(msgs) / 2, GCPauseP99: sample.F(math.NaN())}},
		RampMemory: []EdgePoint{{Connections: 50, RSS: 15 << 20}, {Connections: 100, RSS: 20 << 20}}}
	r.Derive()
	return r
}

func TestDerive(t *testing.T) {
	r := run("a", 100_000, 2, nil)
	d := r.Derived
	if d.MessagesPerSec != 10_000 || d.MessagesPerCPUSec != 50_000 || d.EdgeCPU != 0.2 || d.AllocsPerMessage != 0.5 {
		t.Fatalf("derived %+v", d)
	}
	if d.RSSPerConn != float64(10<<20)/100 || d.GoroutinesPerConn != 2 {
		t.Fatalf("per connection: %+v", d)
	}
	if !math.IsNaN(float64(d.SyscallsPerMessage)) {
		t.Fatalf("syscalls per message without perf: %v", d.SyscallsPerMessage)
	}
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
