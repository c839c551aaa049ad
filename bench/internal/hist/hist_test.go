package hist

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestQuantilesOfKnownValues(t *testing.T) {
	h := New()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	s := h.Summary()
	if s.Count != 1000 {
		t.Fatalf("count %d", s.Count)
	}
	// 3 significant figures: within 0.1% of the exact order statistic.
	for _, c := range []struct {
		got, want time.Duration
	}{{s.P50, 500 * time.Millisecond}, {s.P99, 990 * time.Millisecond}, {s.P999, 999 * time.Millisecond}, {s.Max, time.Second}} {
		if d := c.got - c.want; d < -c.want/1000 || d > c.want/1000 {
			t.Errorf("got %v, want %v ± 0.1%%", c.got, c.want)
		}
	}
}

func TestOutOfRangeValuesAreClamped(t *testing.T) {
	h := New()
	h.Record(-5 * time.Second)
	h.Record(time.Hour)
	if h.Count() != 2 {
		t.Fatalf("count %d, want 2", h.Count())
	}
	if h.Max() < 59*time.Second || h.Quantile(0) > time.Microsecond {
		t.Fatalf("min %v max %v: not clamped to the range", h.Quantile(0), h.Max())
	}
}

// Merging the histograms of several workers gives the histogram of all the
// values: what the parent process reports.
func TestMergeEqualsRecordingEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all, parts := New(), []*H{New(), New(), New()}
	for i := 0; i < 30000; i++ {
		d := time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))
		all.Record(d)
		parts[i%3].Record(d)
	}
	merged := New()
	for _, p := range parts {
		merged.Merge(p)
	}
	for _, q := range []float64{.5, .9, .99, .999, 1} {
		if merged.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%v: merged %v, all %v", q, merged.Quantile(q), all.Quantile(q))
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	h := New()
	for i := 0; i < 5000; i++ {
		h.Record(time.Duration(i*i) * time.Microsecond)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back H
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary() != h.Summary() {
		t.Fatalf("round trip: %+v != %+v", back.Summary(), h.Summary())
	}
	if err := json.Unmarshal([]byte(`"bm90IGEgaGlzdG9ncmFt"`), &back); err == nil {
		t.Fatal("garbage decoded as a histogram")
	}
}

func TestRecorderConcurrentAndIntervals(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				r.Record(g, time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if n := r.TakeInterval().Count(); n != 8000 {
		t.Fatalf("interval count %d, want 8000", n)
	}
	r.Record(3, 2*time.Millisecond)
	if n := r.TakeInterval().Count(); n != 1 {
		t.Fatalf("second interval count %d, want 1", n)
	}
	if n := r.Total().Count(); n != 8001 {
		t.Fatalf("total %d, want 8001", n)
	}
}

func TestCDFIsMonotonic(t *testing.T) {
	h := New()
	if h.CDF() != nil {
		t.Fatal("CDF of an empty histogram")
	}
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	cdf := h.CDF()
	for i := 1; i < len(cdf); i++ {
		if cdf[i].Value < cdf[i-1].Value || cdf[i].Fraction < cdf[i-1].Fraction {
			t.Fatalf("not monotonic at %d: %+v then %+v", i, cdf[i-1], cdf[i])
		}
	}
	if last := cdf[len(cdf)-1]; last.Fraction != 1 {
		t.Fatalf("CDF ends at %v", last.Fraction)
	}
}
