package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/veltrix/veltrix/protocol"
)

func bruteNearest(ts map[uint32]Point, p Point) (uint32, float64) {
	var id uint32
	best := math.Inf(1)
	for i, q := range ts {
		if d := Distance(p, q); d < best || (d == best && i < id) {
			best, id = d, i
		}
	}
	return id, best
}

func randomAround(rng *rand.Rand, c Point, spread float64) Point {
	return Point{Lat: c.Lat + (rng.Float64()*2-1)*spread, Lng: c.Lng + (rng.Float64()*2-1)*spread}
}

func TestNearestMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ix, err := NewIndex(DefaultIndexResolution)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := ix.Nearest(dam); ok {
		t.Fatal("empty index found a treasure")
	}
	ts := map[uint32]Point{}
	for i := uint32(1); i <= 2000; i++ {
		p := randomAround(rng, dam, 0.3)
		ts[i] = p
		if err := ix.Add(i, p); err != nil {
			t.Fatal(err)
		}
	}
	check := func(n int) {
		for range n {
			p := randomAround(rng, dam, 0.6) // some queries far outside the cloud
			id, d, ok := ix.Nearest(p)
			wid, wd := bruteNearest(ts, p)
			if !ok || id != wid || math.Abs(d-wd) > 1e-9 {
				t.Fatalf("Nearest(%v) = %d at %.1f m, brute force %d at %.1f m", p, id, d, wid, wd)
			}
		}
	}
	check(500)
	for i := uint32(1); i <= 1990; i++ { // claim most of them
		if !ix.Remove(i) {
			t.Fatalf("remove %d failed", i)
		}
		delete(ts, i)
	}
	if ix.Remove(1) || ix.Len() != 10 {
		t.Fatalf("after removals: len %d", ix.Len())
	}
	check(300)
}

func TestHintBands(t *testing.T) {
	ix, _ := NewIndex(9)
	north := Point{Lat: dam.Lat + 0.002, Lng: dam.Lng} // ~222 m north
	if err := ix.Add(1, north); err != nil {
		t.Fatal(err)
	}
	band, bearing, ok := ix.Hint(dam)
	if !ok || band != BandWarm || math.Abs(bearing) > 0.5 {
		t.Errorf("hint = %v %v %v, want warm, ~0°", band, bearing, ok)
	}
	for _, c := range []struct {
		m    float64
		want Band
	}{{0, BandBurning}, {24.9, BandBurning}, {25, BandHot}, {299, BandWarm}, {999, BandCool}, {2999, BandCold}, {3000, BandFreezing}} {
		if got := BandOf(c.m); got != c.want {
			t.Errorf("BandOf(%v) = %v, want %v", c.m, got, c.want)
		}
	}
	if BandFreezing.String() != "freezing" || Band(9).String() != "band(9)" {
		t.Error("band names")
	}
}

// The wire carries geo.Band as protocol's HINT band: same numbers.
func TestBandsMatchTheWire(t *testing.T) {
	pairs := [][2]uint8{{uint8(BandUnknown), protocol.HintUnknown}, {uint8(BandBurning), protocol.HintBurning},
		{uint8(BandHot), protocol.HintHot}, {uint8(BandWarm), protocol.HintWarm}, {uint8(BandCool), protocol.HintCool},
		{uint8(BandCold), protocol.HintCold}, {uint8(BandFreezing), protocol.HintFreezing}}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("geo band %d is protocol band %d", p[0], p[1])
		}
	}
}
