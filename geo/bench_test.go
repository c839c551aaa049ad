package geo

import (
	"math/rand/v2"
	"testing"
)

// Run: go test -run=^$ -bench=. -benchmem ./geo/

func BenchmarkCellOf(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CellOf(dam, 9); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDisk(b *testing.B, k int) {
	c, _ := CellOf(dam, 9)
	buf := make([]Cell, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendGridDisk(buf[:0], c, k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGridDiskK1(b *testing.B) { benchDisk(b, 1) }
func BenchmarkGridDiskK2(b *testing.B) { benchDisk(b, 2) }

// BenchmarkPlace10kCity places 10,000 treasures, two cells apart, over a
// ~22 × 15 km area (Amsterdam) at resolution 11.
func BenchmarkPlace10kCity(b *testing.B) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.1)}, Resolution: 11, Count: 10_000, MinSpacing: 2, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Place(spec); err != nil {
			b.Fatal(err)
		}
	}
}

func index100k(b *testing.B) (*Index, map[uint32]Point, []Point) {
	rng := rand.New(rand.NewPCG(1, 2))
	ix, _ := NewIndex(DefaultIndexResolution)
	ts := make(map[uint32]Point, 100_000)
	for i := uint32(1); i <= 100_000; i++ {
		p := randomAround(rng, dam, 0.5)
		ts[i] = p
		if err := ix.Add(i, p); err != nil {
			b.Fatal(err)
		}
	}
	qs := make([]Point, 1024)
	for i := range qs {
		qs[i] = randomAround(rng, dam, 0.5)
	}
	return ix, ts, qs
}

func BenchmarkNearest100k(b *testing.B) {
	ix, _, qs := index100k(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Nearest(qs[i%len(qs)])
	}
}

func BenchmarkNearestBruteForce100k(b *testing.B) {
	_, ts, qs := index100k(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bruteNearest(ts, qs[i%len(qs)])
	}
}
