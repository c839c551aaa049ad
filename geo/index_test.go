package geo

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/uber/h3-go/v4"
	"github.com/veltrix/veltrix/protocol"
)

// bruteNearest is the reference: every treasure, by Distance, lowest id on
// ties.
func bruteNearest(ts map[uint32]Point, p Point) (uint32, float64, bool) {
	var id uint32
	best, ok := math.Inf(1), false
	for i, q := range ts {
		if d := Distance(p, q); d < best || (d == best && i < id) {
			best, id, ok = d, i, true
		}
	}
	return id, best, ok
}

func randomAround(rng *rand.Rand, c Point, spread float64) Point {
	return Point{Lat: c.Lat + (rng.Float64()*2-1)*spread, Lng: c.Lng + (rng.Float64()*2-1)*spread}
}

// checkNearest compares Nearest and Hint with the brute force at n random
// points within spread degrees of c.
func checkNearest(t *testing.T, ix *Index, ts map[uint32]Point, rng *rand.Rand, c Point, spread float64, n int) {
	t.Helper()
	for range n {
		p := randomAround(rng, c, spread)
		p.Lat = max(-90, min(90, p.Lat))
		id, d, ok := ix.Nearest(p)
		wid, wd, wok := bruteNearest(ts, p)
		if ok != wok || (ok && (id != wid || d != wd)) {
			t.Fatalf("Nearest(%v) = %d at %v m (%v), brute force %d at %v m (%v)", p, id, d, ok, wid, wd, wok)
		}
		band, bearing, ok := ix.Hint(p)
		if ok != wok || (ok && (band != BandOf(wd) || bearing != Bearing(p, ts[wid]))) || (!ok && band != BandUnknown) {
			t.Fatalf("Hint(%v) = %v %v %v; nearest is %d at %v m", p, band, bearing, ok, wid, wd)
		}
	}
}

func fill(t *testing.T, ix *Index, rng *rand.Rand, c Point, spread float64, n int) map[uint32]Point {
	t.Helper()
	ts := map[uint32]Point{}
	for i := uint32(1); i <= uint32(n); i++ {
		p := PointE7(randomAround(rng, c, spread).E7())
		ts[i] = p
		if err := ix.Add(i, p); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

func TestNearestMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ix, err := NewIndex(DefaultIndexResolution)
	if err != nil {
		t.Fatal(err)
	}
	checkNearest(t, ix, nil, rng, dam, 0.5, 10) // empty
	ts := fill(t, ix, rng, dam, 0.3, 3000)
	checkNearest(t, ix, ts, rng, dam, 0.3, 1000)
	checkNearest(t, ix, ts, rng, dam, 1, 200)  // some outside the cloud
	checkNearest(t, ix, ts, rng, dam, 30, 100) // far away: beyond maxRings, the full scan
	for i := uint32(1); i <= 2990; i++ {       // claim most of them
		if !ix.Remove(i) {
			t.Fatalf("remove %d failed", i)
		}
		delete(ts, i)
	}
	if ix.Remove(1) || ix.Len() != 10 {
		t.Fatalf("after removals: len %d", ix.Len())
	}
	checkNearest(t, ix, ts, rng, dam, 0.5, 500)
	for id := range ts {
		ix.Remove(id)
		delete(ts, id)
	}
	checkNearest(t, ix, ts, rng, dam, 0.5, 10) // empty again
}

// TestNearestFineBuckets uses small buckets so that most queries run out of
// rings and fall back to the full scan.
func TestNearestFineBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ix, _ := NewIndex(11)
	ts := fill(t, ix, rng, dam, 0.05, 300)
	checkNearest(t, ix, ts, rng, dam, 0.06, 300)
}

// TestNearestAroundPentagon exercises H3's pentagon fallbacks (rings with
// empty slots) and the most distorted cells.
func TestNearestAroundPentagon(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ps, _ := h3.Pentagons(DefaultIndexResolution)
	for _, pc := range ps[:4] {
		c, _ := CellCenter(Cell(pc))
		ix, _ := NewIndex(DefaultIndexResolution)
		ts := fill(t, ix, rng, c, 0.2, 300)
		checkNearest(t, ix, ts, rng, c, 0.3, 200)
	}
}

func TestNearestTiesAndUpdates(t *testing.T) {
	ix, _ := NewIndex(9)
	for _, id := range []uint32{9, 4, 7} {
		if err := ix.Add(id, dam); err != nil {
			t.Fatal(err)
		}
	}
	if id, d, ok := ix.Nearest(dam); !ok || id != 4 || d != 0 {
		t.Fatalf("tie: %d at %v m, want 4 at 0", id, d)
	}
	far := Point{Lat: dam.Lat + 0.01, Lng: dam.Lng}
	if err := ix.Add(4, far); err != nil { // 4 moves away
		t.Fatal(err)
	}
	if id, _, _ := ix.Nearest(dam); id != 7 || ix.Len() != 3 {
		t.Fatalf("after moving 4: nearest %d, len %d", id, ix.Len())
	}
	if err := ix.Add(5, Point{Lat: math.NaN()}); err == nil || ix.Len() != 3 {
		t.Fatalf("invalid point: %v, len %d", err, ix.Len())
	}
	if _, _, ok := ix.Nearest(Point{Lat: 95}); ok {
		t.Fatal("invalid query found a treasure")
	}
	if band, _, ok := ix.Hint(Point{Lng: math.Inf(1)}); ok || band != BandUnknown {
		t.Fatal("invalid query got a hint")
	}
}

// TestNearestConcurrentReaders runs queries in parallel, as the edge does
// under a read lock; the race detector checks that they only read.
func TestNearestConcurrentReaders(t *testing.T) {
	ix, _ := NewIndex(DefaultIndexResolution)
	ts := fill(t, ix, rand.New(rand.NewPCG(1, 1)), dam, 0.2, 500)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for range 200 {
				p := randomAround(rng, dam, 0.3)
				if id, _, _ := ix.Nearest(p); id != mustBrute(ts, p) {
					t.Errorf("Nearest(%v) = %d", p, id)
					return
				}
				ix.Hint(p)
			}
		})
	}
	wg.Wait()
}

func mustBrute(ts map[uint32]Point, p Point) uint32 {
	id, _, _ := bruteNearest(ts, p)
	return id
}

func TestNearestDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	ix, _ := NewIndex(DefaultIndexResolution)
	fill(t, ix, rng, dam, 0.2, 1000)
	p := randomAround(rng, dam, 0.2)
	if n := testing.AllocsPerRun(100, func() { ix.Nearest(p) }); n != 0 {
		t.Errorf("Nearest allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { ix.Hint(p) }); n != 0 {
		t.Errorf("Hint allocates %v times", n)
	}
}

// TestRingBound re-measures what ringBound claims: from random points
// around the globe and around every pentagon (where cells are smallest), no
// point of a cell exactly m grid steps away is closer than ringBound(m-1).
// A cell's points lie within its circumradius R of its centre, so the
// distance to the cell is at least (distance to the centre) − R.
func TestRingBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, res := range []int{0, 2, 5, 7, 10, 15} {
		edge, _ := EdgeLength(res)
		for _, p := range boundSamples(rng, res, edge) {
			origin := mustCell(t, p, res)
			for m := 2; m <= 5; m++ { // ringBound(0) = 0 holds trivially
				ring, err := h3.GridRing(h3.Cell(origin), m)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range ring {
					if lb, want := distanceToCell(t, p, Cell(c)), ringBound(m-1, edge); lb < want {
						t.Fatalf("res %d: from %v a cell %d steps away is %.1f m away, ringBound says ≥ %.1f", res, p, m, lb, want)
					}
				}
			}
		}
	}
}

func boundSamples(rng *rand.Rand, res int, edge float64) []Point {
	var pts []Point
	for range 40 {
		pts = append(pts, Point{Lat: math.Asin(rng.Float64()*2-1) * 180 / math.Pi, Lng: rng.Float64()*360 - 180})
	}
	ps, _ := h3.Pentagons(res)
	for _, pc := range ps {
		c, _ := CellCenter(Cell(pc))
		for range 6 {
			r, a := rng.Float64()*3*edge/111_000, rng.Float64()*2*math.Pi
			p := Point{Lat: c.Lat + r*math.Sin(a), Lng: c.Lng + r*math.Cos(a)/math.Cos(c.Lat*math.Pi/180)}
			if p.Validate() == nil {
				pts = append(pts, p)
			}
		}
	}
	return pts
}

// distanceToCell is a lower bound on the distance from p to any point of c.
func distanceToCell(t *testing.T, p Point, c Cell) float64 {
	ctr, err := CellCenter(c)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CellBoundary(c)
	r := 0.0
	for _, v := range b {
		r = max(r, Distance(ctr, v))
	}
	return Distance(p, ctr) - r
}

func TestHint(t *testing.T) {
	ix, _ := NewIndex(9)
	if band, _, ok := ix.Hint(dam); ok || band != BandUnknown {
		t.Fatalf("empty index: %v %v", band, ok)
	}
	north := Point{Lat: dam.Lat + 0.002, Lng: dam.Lng} // ~222 m north
	east := Point{Lat: dam.Lat, Lng: dam.Lng + 0.1}    // ~6.8 km east
	_ = ix.Add(1, north)
	_ = ix.Add(2, east)
	if band, bearing, ok := ix.Hint(dam); !ok || band != BandWarm || math.Abs(bearing) > 0.5 {
		t.Errorf("hint = %v %v %v, want warm, ~0°", band, bearing, ok)
	}
	ix.Remove(1)
	if band, bearing, ok := ix.Hint(dam); !ok || band != BandFreezing || math.Abs(bearing-90) > 0.5 {
		t.Errorf("hint = %v %v %v, want freezing, ~90°", band, bearing, ok)
	}
}

func TestBands(t *testing.T) {
	cases := []struct {
		m    float64
		want Band
	}{{0, BandBurning}, {24.9, BandBurning}, {25, BandHot}, {99.9, BandHot}, {100, BandWarm}, {299, BandWarm},
		{300, BandCool}, {999, BandCool}, {1000, BandCold}, {2999, BandCold}, {3000, BandFreezing}, {1e9, BandFreezing},
		{math.Inf(1), BandFreezing}, {math.NaN(), BandUnknown}}
	for _, c := range cases {
		if got := BandOf(c.m); got != c.want {
			t.Errorf("BandOf(%v) = %v, want %v", c.m, got, c.want)
		}
	}
	names := map[Band]string{BandUnknown: "unknown", BandBurning: "burning", BandHot: "hot", BandWarm: "warm",
		BandCool: "cool", BandCold: "cold", BandFreezing: "freezing", Band(9): "band(9)"}
	for b, want := range names {
		if b.String() != want {
			t.Errorf("Band(%d).String() = %q, want %q", uint8(b), b, want)
		}
	}
}

// The wire carries geo.Band as protocol's HINT band: the numbers are fixed.
func TestBandsMatchTheWire(t *testing.T) {
	pairs := [][3]uint8{{uint8(BandUnknown), protocol.HintUnknown, 0}, {uint8(BandBurning), protocol.HintBurning, 1},
		{uint8(BandHot), protocol.HintHot, 2}, {uint8(BandWarm), protocol.HintWarm, 3}, {uint8(BandCool), protocol.HintCool, 4},
		{uint8(BandCold), protocol.HintCold, 5}, {uint8(BandFreezing), protocol.HintFreezing, 6}}
	for _, p := range pairs {
		if p[0] != p[1] || p[0] != p[2] {
			t.Errorf("geo band %d, protocol band %d, documented %d", p[0], p[1], p[2])
		}
	}
}
