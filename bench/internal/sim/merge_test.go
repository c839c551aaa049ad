package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
)

// Workers' series of different lengths line up by second; the crowd
// histograms appear when any worker has them; the first dial error, the
// longest phase and every winner survive the merge.
func TestMergeUnevenWorkers(t *testing.T) {
	one := func(d time.Duration) *hist.H { h := hist.New(); h.Record(d); return h }
	a := Result{Players: 3, Elapsed: 2 * time.Second, Series: []Interval{
		{T: 1, Messages: 4, Entries: 8, Positions: 2, Claims: 1, Delivery: one(time.Millisecond)},
		{T: 2, Messages: 6, Claim: one(3 * time.Millisecond)},
	}}
	b := Result{Players: 2, DialErrors: 2, DialError: "refused", Elapsed: time.Second,
		Winners:   map[uint32][]uint32{9: {4}},
		Staleness: one(time.Second), NearStaleness: one(200 * time.Millisecond), PositionBytes: one(40 * time.Microsecond),
		Series: []Interval{{T: 1, Messages: 1, Entries: 1, Positions: 1, Errors: 5}}}
	c := Result{DialError: "later", Staleness: one(2 * time.Second)}
	m, err := Merge([]Result{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if m.Players != 5 || m.DialErrors != 2 || m.DialError != "refused" || m.Elapsed != 2*time.Second {
		t.Fatalf("merged players %d, dial errors %d %q, elapsed %v", m.Players, m.DialErrors, m.DialError, m.Elapsed)
	}
	if len(m.Series) != 2 {
		t.Fatalf("%d seconds in the series, want 2", len(m.Series))
	}
	s1, s2 := m.Series[0], m.Series[1]
	if s1.T != 1 || s1.Messages != 5 || s1.Entries != 9 || s1.Positions != 3 || s1.Claims != 1 || s1.Errors != 5 || s1.Delivery.Count() != 1 {
		t.Fatalf("second 1 merged %+v", s1)
	}
	if s2.T != 2 || s2.Messages != 6 || s2.Claim.Count() != 1 || s2.Delivery.Count() != 0 {
		t.Fatalf("second 2 merged %+v", s2)
	}
	if m.Staleness == nil || m.Staleness.Count() != 2 || m.NearStaleness.Count() != 1 || m.PositionBytes.Count() != 1 {
		t.Fatalf("crowd histograms not merged: %v %v %v", m.Staleness, m.NearStaleness, m.PositionBytes)
	}
	if got := m.Winners[9]; len(got) != 1 || got[0] != 4 || len(m.DoubleWins()) != 0 {
		t.Fatalf("winners %v, double wins %v", m.Winners, m.DoubleWins())
	}
	if m.Handshake.Count() != 0 || m.Delivery.Count() != 0 {
		t.Fatal("workers without histograms added samples")
	}
	if none, _ := Merge([]Result{{Players: 1}}); none.Staleness != nil || none.PositionBytes != nil {
		t.Fatal("a run without the crowd scenario got crowd histograms")
	}
}

// Player id p (First+i+1) connects to URLs[p % len(URLs)], so that workers
// with different First spread their players over all edges.
func TestPlayersSpreadOverURLs(t *testing.T) {
	w := newWorker(Job{First: 4, URL: "ws://one", URLs: []string{"ws://a", "ws://b", "ws://c"}})
	for i, want := range []string{"ws://c", "ws://a", "ws://b", "ws://c"} { // ids 5, 6, 7, 8
		if got := w.url(i); got != want {
			t.Errorf("player %d (id %d) connects to %s, want %s", i, 5+i, got, want)
		}
	}
	single := newWorker(Job{First: 4, URL: "ws://one"})
	if single.urlIndex(3) != 0 || single.url(3) != "ws://one" {
		t.Fatalf("without URLs: index %d, url %s", single.urlIndex(3), single.url(3))
	}
}

// offset moves a point the given distance whatever the heading and the
// latitude (the longitude degree shrinks with the cosine of it).
func TestWalkerOffset(t *testing.T) {
	w := newWalker(rand.New(rand.NewPCG(1, 2)), [2]float64{60, 10}, 4, nil, 0)
	for _, p := range [][2]float64{{0, 0}, {48.85, 2.35}, {60, 10}, {-33.9, 151.2}} {
		for _, heading := range []float64{0, math.Pi / 2, math.Pi, 1} {
			lat, lng := w.offset(p, 100, heading)
			dLat := (lat - p[0]) * metresPerDegLat
			dLng := (lng - p[1]) * metresPerDegLat * math.Cos(p[0]*math.Pi/180)
			if d := math.Hypot(dLat, dLng); math.Abs(d-100) > 0.01 {
				t.Errorf("from %v heading %.2f: moved %.3f m, want 100", p, heading, d)
			}
		}
	}
}
