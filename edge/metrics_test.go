package edge

import (
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
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
	prev, prevLe := uint64(0), 0.0
	for _, b := range h.Bucket {
		if b.GetUpperBound() <= prevLe || b.GetCumulativeCount() < prev || b.GetCumulativeCount() > h.GetSampleCount() {
			t.Fatalf("bucket ≤%v holds %d after ≤%v held %d (total %d)", b.GetUpperBound(), b.GetCumulativeCount(), prevLe, prev, h.GetSampleCount())
		}
		prev, prevLe = b.GetCumulativeCount(), b.GetUpperBound()
	}
}
