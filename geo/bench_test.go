package geo

import (
	"fmt"
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

func BenchmarkCellCenter(b *testing.B) {
	c := mustCell(b, dam, 9)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CellCenter(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGridDisk reuses its buffer, as the edge does on a cell change.
func BenchmarkGridDisk(b *testing.B) {
	c := mustCell(b, dam, 9)
	for _, k := range []int{1, 2} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			buf := make([]Cell, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = AppendGridDisk(buf[:0], c, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPolygonValidateMax validates a polygon of MaxVertices vertices:
// the quadratic worst case.
func BenchmarkPolygonValidateMax(b *testing.B) {
	p := Polygon{Outer: circle(dam, 0.05, MaxVertices)}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlace10kCity places 10,000 treasures, two cells apart, over a
// ~22 × 15 km area (Amsterdam) at resolution 11 (~150,000 cells).
func BenchmarkPlace10kCity(b *testing.B) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.1)}, Resolution: 11, Count: 10_000, MinSpacing: 2, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Place(spec); err != nil {
			b.Fatal(err)
		}
	}
}

// index100k indexes 100,000 treasures over ~110 × 70 km and draws 1,024
// query points over the same area.
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

// BenchmarkHintCity is the edge's case: a hint among 1,000 treasures left in
// a city.
func BenchmarkHintCity(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	ix, _ := NewIndex(DefaultIndexResolution)
	for i := uint32(1); i <= 1000; i++ {
		if err := ix.Add(i, randomAround(rng, dam, 0.1)); err != nil {
			b.Fatal(err)
		}
	}
	qs := make([]Point, 1024)
	for i := range qs {
		qs[i] = randomAround(rng, dam, 0.1)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Hint(qs[i%len(qs)])
	}
}
