package geo

import (
	"math"
	"slices"
	"testing"
)

// square returns the ring of a square of half-side d degrees around p,
// counter-clockwise.
func square(p Point, d float64) []Point {
	return []Point{{Lat: p.Lat - d, Lng: p.Lng - d}, {Lat: p.Lat - d, Lng: p.Lng + d}, {Lat: p.Lat + d, Lng: p.Lng + d}, {Lat: p.Lat + d, Lng: p.Lng - d}}
}

// ring builds a ring from (lat, lng) pairs.
func ring(coords ...float64) []Point {
	r := make([]Point, 0, len(coords)/2)
	for i := 0; i+1 < len(coords); i += 2 {
		r = append(r, Point{Lat: coords[i], Lng: coords[i+1]})
	}
	return r
}

func TestPolygonValidateErrors(t *testing.T) {
	sq := square(dam, 0.01)
	cases := []struct {
		name string
		poly Polygon
		want error
		msg  string
	}{
		{"empty", Polygon{}, ErrEmptyPolygon, "outer ring: empty polygon: 0 distinct vertices, need at least 3"},
		{"two vertices", Polygon{Outer: ring(0, 0, 1, 1)}, ErrEmptyPolygon, "2 distinct vertices"},
		{"three with a repeat", Polygon{Outer: ring(0, 0, 0, 0, 1, 1)}, ErrEmptyPolygon, "2 distinct vertices"},
		{"closed segment", Polygon{Outer: ring(0, 0, 1, 1, 0, 0)}, ErrEmptyPolygon, "2 distinct vertices"},
		{"collinear", Polygon{Outer: ring(0, 0, 1, 1, 2, 2, 3, 3)}, ErrEmptyPolygon, "all 4 vertices lie on one line"},
		{"tiny", Polygon{Outer: ring(0, 0, 1e-8, 0, 0, 1e-8)}, ErrEmptyPolygon, "encloses 5e-17 square degrees"},
		{"bow tie", Polygon{Outer: ring(0, 0, 1, 1, 0, 1, 1, 0)}, ErrSelfIntersecting, "edge 0 (from {0 0}) meets edge 2"},
		{"fold back", Polygon{Outer: ring(0, 0, 0, 2, 0, 1, 1, 1)}, ErrSelfIntersecting, "edge 0 (from {0 0}) meets edge 1"},
		{"figure eight", Polygon{Outer: ring(0, 0, 1, 1, 0, 2, 2, 2, 1, 1, 2, 0)}, ErrSelfIntersecting, "meets edge"},
		{"vertex on an edge", Polygon{Outer: ring(0, 0, 0, 4, 2, 4, 0, 2, 2, 0)}, ErrSelfIntersecting, "meets edge"},
		{"bad vertex", Polygon{Outer: ring(0, 0, 100, 1, 0, 1)}, ErrInvalidPoint, "outer ring: vertex 1: invalid point: latitude 100"},
		{"NaN vertex", Polygon{Outer: []Point{{}, {Lat: 1}, {Lng: math.NaN()}}}, ErrInvalidPoint, "vertex 2"},
		{"antimeridian", Polygon{Outer: ring(0, 179, 1, -179, 1, 179)}, ErrInvalidPoint, "edge 0, from longitude 179 to -179, spans 180°"},
		{"too many vertices", Polygon{Outer: make([]Point, MaxVertices+1)}, ErrTooManyVertices, "2049 vertices, at most 2048"},
		{"too many with holes", Polygon{Outer: sq, Holes: [][]Point{make([]Point, MaxVertices-3)}}, ErrTooManyVertices, "2049"},
		{"degenerate hole", Polygon{Outer: sq, Holes: [][]Point{{dam}}}, ErrEmptyPolygon, "hole 0: empty polygon: 1 distinct"},
		{"second hole bad", Polygon{Outer: sq, Holes: [][]Point{square(dam, 0.001), ring(0, 0, 1, 1, 0, 1, 1, 0)}}, ErrSelfIntersecting, "hole 1: "},
		{"hole crosses outer", Polygon{Outer: sq, Holes: [][]Point{square(Point{Lat: dam.Lat + 0.01, Lng: dam.Lng}, 0.002)}}, ErrSelfIntersecting, "outer ring edge 2 meets hole 0 edge"},
		{"hole touches outer", Polygon{Outer: ring(0, 0, 0, 4, 4, 4, 4, 0), Holes: [][]Point{ring(0, 2, 1, 3, 1, 1)}}, ErrSelfIntersecting, "outer ring edge 0 meets hole 0"},
		{"hole outside", Polygon{Outer: sq, Holes: [][]Point{square(Point{Lat: dam.Lat + 1, Lng: dam.Lng}, 0.002)}}, ErrMisplacedHole, "hole 0 lies outside the outer ring"},
		{"hole around the area", Polygon{Outer: sq, Holes: [][]Point{square(dam, 0.02)}}, ErrMisplacedHole, "hole 0 lies outside"},
		{"nested holes", Polygon{Outer: sq, Holes: [][]Point{square(dam, 0.005), square(dam, 0.002)}}, ErrMisplacedHole, "hole 1 lies inside hole 0"},
		{"holes meet", Polygon{Outer: ring(0, 0, 0, 9, 9, 9, 9, 0), Holes: [][]Point{ring(1, 1, 1, 3, 3, 3, 3, 1), ring(3, 3, 3, 5, 5, 5, 5, 3)}}, ErrSelfIntersecting, "hole 0 edge 1 meets hole 1 edge 0"},
	}
	for _, tc := range cases {
		checkErr(t, tc.name, tc.poly.Validate(), tc.want, tc.msg)
	}
}

func TestPolygonValidateAccepts(t *testing.T) {
	closed := append(square(dam, 0.01), square(dam, 0.01)[0])
	repeats := square(dam, 0.01)
	repeats = []Point{repeats[0], repeats[0], repeats[1], repeats[2], repeats[2], repeats[2], repeats[3], repeats[0]}
	clockwise := slices.Clone(square(dam, 0.01))
	slices.Reverse(clockwise)
	cases := map[string]Polygon{
		"square":             {Outer: square(dam, 0.01)},
		"closed ring":        {Outer: closed},
		"repeated vertices":  {Outer: repeats},
		"clockwise":          {Outer: clockwise},
		"concave L":          {Outer: ring(0, 0, 0, 2, 1, 2, 1, 1, 2, 1, 2, 0)},
		"straight vertex":    {Outer: ring(0, 0, 0, 1, 0, 2, 2, 2, 2, 0)},
		"two holes":          {Outer: square(dam, 0.01), Holes: [][]Point{square(Point{Lat: dam.Lat + 0.005, Lng: dam.Lng}, 0.002), square(Point{Lat: dam.Lat - 0.005, Lng: dam.Lng}, 0.002)}},
		"at the poles' edge": {Outer: ring(89, 0, 90, 10, 89, 20)},
		"max vertices":       {Outer: circle(dam, 0.05, MaxVertices)},
	}
	for name, p := range cases {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// circle is a regular n-gon of radius r degrees around c.
func circle(c Point, r float64, n int) []Point {
	out := make([]Point, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = Point{Lat: c.Lat + r*math.Sin(a), Lng: c.Lng + r*math.Cos(a)}
	}
	return out
}

func TestPolygonCells(t *testing.T) {
	full, err := PolygonCells(Polygon{Outer: square(dam, 0.02)}, 9)
	if err != nil {
		t.Fatal(err)
	}
	hole := square(dam, 0.01)
	holed, err := PolygonCells(Polygon{Outer: square(dam, 0.02), Holes: [][]Point{hole}}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) < 100 || len(holed) >= len(full) {
		t.Fatalf("full %d cells, with hole %d", len(full), len(holed))
	}
	if !slices.IsSorted(full) || len(slices.Compact(slices.Clone(full))) != len(full) {
		t.Fatal("cells not sorted and distinct")
	}
	for _, c := range holed {
		ctr, _ := CellCenter(c)
		if pointInRing(ctr, hole) || !pointInRing(ctr, square(dam, 0.02)) {
			t.Fatalf("cell %s centred at %v is outside the area", c, ctr)
		}
		if !slices.Contains(full, c) {
			t.Fatalf("cell %s is in the holed area but not the full one", c)
		}
	}
	// Repeated vertices change nothing.
	sq := square(dam, 0.02)
	again, err := PolygonCells(Polygon{Outer: []Point{sq[0], sq[0], sq[1], sq[2], sq[3], sq[0]}}, 9)
	if err != nil || !slices.Equal(again, full) {
		t.Fatalf("repeated vertices: %d cells, %v", len(again), err)
	}
}

func TestPolygonCellsErrors(t *testing.T) {
	area := Polygon{Outer: square(dam, 0.01)}
	checkErr(t, "bad res", errOf(PolygonCells(area, 20)), ErrInvalidResolution, "20 is outside")
	checkErr(t, "bad polygon", errOf(PolygonCells(Polygon{Outer: ring(0, 0, 1, 1)}, 9)), ErrEmptyPolygon, "2 distinct")
	checkErr(t, "too many cells", errOf(PolygonCells(Polygon{Outer: square(dam, 0.5)}, 15)), ErrAreaTooLarge, "at resolution 15 needs room for about")
	// A 20 × 20 km city fits at resolution 11.
	if _, err := PolygonCells(Polygon{Outer: ring(52.28, 4.74, 52.28, 5.03, 52.46, 5.03, 52.46, 4.74)}, 11); err != nil {
		t.Fatal(err)
	}
}

// TestFillEstimateBoundsFill checks that the estimate H3 allocates by is at
// least what it fills.
func TestFillEstimateBoundsFill(t *testing.T) {
	polys := []Polygon{
		{Outer: square(dam, 0.02)},
		{Outer: ring(52.3, 4.8, 52.31, 4.95, 52.4, 4.9)},
		{Outer: circle(Point{Lat: -33.9, Lng: 151.2}, 0.1, 40)},
		{Outer: ring(0, 0, 0.001, 0.3, 0.002, 0)},
	}
	for i, p := range polys {
		rings, err := p.rings()
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range []int{5, 8, 10} {
			cells, err := PolygonCells(p, res)
			if err != nil {
				t.Fatal(err)
			}
			if est := fillEstimate(rings, res); est < float64(len(cells)) {
				t.Errorf("polygon %d res %d: estimate %v < %d cells", i, res, est, len(cells))
			}
		}
	}
}
