package report

import (
	"math"
	"testing"
)

func TestBoundsSkipsNonFinitePoints(t *testing.T) {
	ss := []series{
		{Name: "a", X: []float64{1, 10, 100}, Y: []float64{5, math.NaN(), 2}},
		{Name: "b", X: []float64{1000}, Y: []float64{math.Inf(1)}},
	}
	minX, maxX, maxY := bounds(ss, func(x float64) float64 { return x })
	if minX != 1 || maxX != 100 || maxY != 5 {
		t.Fatalf("linear: x %v … %v, max y %v; want 1 … 100, 5", minX, maxX, maxY)
	}
	minX, maxX, _ = bounds(ss, math.Log10)
	if minX != 0 || maxX != 2 {
		t.Fatalf("log: x %v … %v; want 0 … 2", minX, maxX)
	}
	if minX, _, _ := bounds(nil, math.Log10); !math.IsInf(minX, 1) {
		t.Fatalf("no points: min x %v, want +Inf", minX)
	}
}
