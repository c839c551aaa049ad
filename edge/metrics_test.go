package edge

import (
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/wsnet"
	"github.com/veltrix/veltrix/protocol/token"
)

// The GC pause histogram counts every pause the runtime saw, cumulatively
// over bounds that rise.
func TestGCPauseHistogram(t *testing.T) {
	runtime.GC()
	runtime.GC()
	reg := prometheus.NewRegistry()
	reg.MustRegister(newGCPauses())
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || len(fams[0].Metric) != 1 {
		t.Fatalf("gathered %v", fams)
	}
	h := fams[0].Metric[0].Histogram
	if h.GetSampleCount() < 2 {
		t.Fatalf("%d pauses after two GCs", h.GetSampleCount())
	}
	// The runtime's own resolution: every bound is one of its bucket
	// edges, 4 per power of two between 1 µs and 10 s (p99 < 100 µs is
	// told apart from 75 or 150 µs by the runtime, not by a coarse bound).
	s := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(s)
	edges := s[0].Value.Float64Histogram().Buckets
	near := 0 // bounds around the goal, 25.6 µs to 204.8 µs: three powers of two
	for _, b := range h.Bucket {
		if !slices.Contains(edges, b.GetUpperBound()) {
			t.Fatalf("bound %v is not a bucket edge of the runtime's histogram", b.GetUpperBound())
		}
		if b.GetUpperBound() > 25.6e-6 && b.GetUpperBound() <= 204.8e-6 {
			near++
		}
	}
	if near < 12 {
		t.Fatalf("%d bounds from 25.6 µs to 204.8 µs: want the runtime's 4 per power of two", near)
	}
	prev, prevLe := uint64(0), 0.0
	for _, b := range h.Bucket {
		if b.GetUpperBound() <= prevLe || b.GetCumulativeCount() < prev || b.GetCumulativeCount() > h.GetSampleCount() {
			t.Fatalf("bucket ≤%v holds %d after ≤%v held %d (total %d)", b.GetUpperBound(), b.GetCumulativeCount(), prevLe, prev, h.GetSampleCount())
		}
		prev, prevLe = b.GetCumulativeCount(), b.GetUpperBound()
	}
}

// veltrix_edge_drops_total carries exactly the reason labels dashboards
// select on, one series each, even before any drop.
func TestDropReasonLabels(t *testing.T) {
	pub, _, _ := token.GenerateKey()
	c, err := core.New(core.Config{PublicKey: pub, Hunts: noHunts{}})
	if err != nil {
		t.Fatal(err)
	}
	ws := wsnet.New(c, wsnet.Config{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(newStatsCollector(&Edge{Core: c, WS: ws}))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fams {
		if f.GetName() != "veltrix_edge_drops_total" {
			continue
		}
		for _, m := range f.Metric {
			got = append(got, m.Label[0].GetValue())
		}
	}
	slices.Sort(got)
	want := []string{"before_hello", "budget", "claim_already_claimed", "claim_rate_limited", "claim_unknown_treasure", "impossible_speed", "invalid_position",
		"message_flood", "queue_full", "rate_limited", "remote_bad", "remote_full", "remote_unwatched", "stale"}
	if !slices.Equal(got, want) {
		t.Errorf("drop reasons %v, want %v", got, want)
	}
}

type noHunts struct{}

func (noHunts) Hunt(uint32) (core.HuntInfo, bool) { return core.HuntInfo{}, false }
