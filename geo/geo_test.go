package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/uber/h3-go/v4"
)

var dam = Point{Lat: 52.3730796, Lng: 4.8924534}

func TestCellOfAndNeighbours(t *testing.T) {
	c, err := CellOf(dam, 9)
	if err != nil {
		t.Fatal(err)
	}
	if c.Resolution() != 9 || !c.IsValid() {
		t.Fatalf("cell %s resolution %d", c, c.Resolution())
	}
	disk, err := GridDisk(c, 1)
	if err != nil || len(disk) != 7 {
		t.Fatalf("disk: %d cells, %v", len(disk), err)
	}
	for _, d := range disk {
		if dist, err := GridDistance(c, d); err != nil || dist > 1 {
			t.Errorf("disk cell %s at distance %d (%v)", d, dist, err)
		}
	}
	ctr, err := CellCenter(c)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := CellOf(ctr, 9); back != c {
		t.Errorf("centre of %s is in %s", c, back)
	}
	if d := Distance(dam, ctr); d > 400 {
		t.Errorf("centre %v is %v m from the point", ctr, d)
	}
	b, err := CellBoundary(c)
	if err != nil || len(b) != 6 {
		t.Errorf("boundary: %d vertices, %v", len(b), err)
	}
	p, err := Parent(c, 5)
	if err != nil || p.Resolution() != 5 {
		t.Errorf("parent: %s, %v", p, err)
	}
	// H3 is not strictly nested: the parent is the point's res-5 cell or a neighbour.
	if pc, _ := CellOf(dam, 5); errOf(GridDistance(pc, p)) != nil || mustDist(pc, p) > 1 {
		t.Errorf("parent %s is not near the point's res-5 cell %s", p, pc)
	}
}

func TestDistanceAndBearing(t *testing.T) {
	paris := Point{Lat: 48.8566, Lng: 2.3522}
	if d := Distance(dam, paris); math.Abs(d-430_000) > 5_000 {
		t.Errorf("Amsterdam–Paris %v m, want ~430 km", d)
	}
	cases := []struct {
		to   Point
		want float64
	}{
		{Point{Lat: 53, Lng: dam.Lng}, 0},
		{Point{Lat: dam.Lat, Lng: 5}, 90},
		{Point{Lat: 52, Lng: dam.Lng}, 180},
		{Point{Lat: dam.Lat, Lng: 4.8}, 270},
	}
	for _, c := range cases {
		if b := Bearing(dam, c.to); math.Abs(b-c.want) > 0.1 {
			t.Errorf("bearing to %v = %v, want %v", c.to, b, c.want)
		}
	}
	if Distance(dam, dam) != 0 {
		t.Error("distance to itself is not zero")
	}
	lat, lng := dam.E7()
	if lat != 523730796 || lng != 48924534 || PointE7(lat, lng) != dam {
		t.Errorf("E7 round trip: %d %d", lat, lng)
	}
}

func TestInvalidInput(t *testing.T) {
	c, _ := CellOf(dam, 9)
	nan := math.NaN()
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"NaN", errOf(CellOf(Point{Lat: nan, Lng: 0}, 9)), ErrInvalidPoint},
		{"Inf", errOf(CellOf(Point{Lat: 0, Lng: math.Inf(1)}, 9)), ErrInvalidPoint},
		{"lat 91", errOf(CellOf(Point{Lat: 91, Lng: 0}, 9)), ErrInvalidPoint},
		{"lng -181", errOf(CellOf(Point{Lat: 0, Lng: -181}, 9)), ErrInvalidPoint},
		{"res 16", errOf(CellOf(dam, 16)), ErrInvalidResolution},
		{"res -1", errOf(CellOf(dam, -1)), ErrInvalidResolution},
		{"bad cell disk", errOf(GridDisk(Cell(12345), 1)), ErrInvalidCell},
		{"bad cell distance", errOf(GridDistance(c, Cell(0))), ErrInvalidCell},
		{"bad cell centre", errOf(CellCenter(Cell(1))), ErrInvalidCell},
		{"finer parent", errOf(Parent(c, 10)), ErrInvalidResolution},
		{"empty polygon", Polygon{}.Validate(), ErrEmptyPolygon},
		{"two vertices", Polygon{Outer: []Point{dam, {Lat: 52, Lng: 4}}}.Validate(), ErrEmptyPolygon},
		{"collinear", Polygon{Outer: []Point{{Lat: 0, Lng: 0}, {Lat: 1, Lng: 1}, {Lat: 2, Lng: 2}}}.Validate(), ErrEmptyPolygon},
		{"bow tie", Polygon{Outer: []Point{{Lat: 0, Lng: 0}, {Lat: 1, Lng: 1}, {Lat: 0, Lng: 1}, {Lat: 1, Lng: 0}}}.Validate(), ErrSelfIntersecting},
		{"bad vertex", Polygon{Outer: []Point{{Lat: 0, Lng: 0}, {Lat: 100, Lng: 1}, {Lat: 0, Lng: 1}}}.Validate(), ErrInvalidPoint},
		{"bad hole", Polygon{Outer: square(dam, 0.01), Holes: [][]Point{{dam}}}.Validate(), ErrEmptyPolygon},
		{"too many vertices", Polygon{Outer: make([]Point, MaxVertices+1)}.Validate(), ErrTooManyVertices},
		{"fill bad res", errOf(PolygonCells(Polygon{Outer: square(dam, 0.01)}, 20)), ErrInvalidResolution},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
		}
	}
}

func mustDist(a, b Cell) int {
	d, _ := GridDistance(a, b)
	return d
}

func errOf[T any](_ T, err error) error { return err }

// square returns the ring of a square of half-side d degrees around p.
func square(p Point, d float64) []Point {
	return []Point{{Lat: p.Lat - d, Lng: p.Lng - d}, {Lat: p.Lat - d, Lng: p.Lng + d}, {Lat: p.Lat + d, Lng: p.Lng + d}, {Lat: p.Lat + d, Lng: p.Lng - d}}
}

func TestPolygonCellsWithHole(t *testing.T) {
	outer := Polygon{Outer: square(dam, 0.02)}
	full, err := PolygonCells(outer, 9)
	if err != nil {
		t.Fatal(err)
	}
	holed, err := PolygonCells(Polygon{Outer: square(dam, 0.02), Holes: [][]Point{square(dam, 0.01)}}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) < 20 || len(holed) >= len(full) {
		t.Fatalf("full %d cells, with hole %d", len(full), len(holed))
	}
	inner, _ := CellOf(dam, 9)
	for _, c := range holed {
		if c == inner {
			t.Error("the hole's centre cell was filled")
		}
	}
	for i := 1; i < len(full); i++ {
		if full[i] <= full[i-1] {
			t.Fatal("cells not sorted and distinct")
		}
	}
}

// TestCellOfMatchesH3GoWithoutAllocating checks the direct C call against
// h3-go's own LatLngToCell and that it does not allocate (the edge calls it
// for every POSITION).
func TestCellOfMatchesH3GoWithoutAllocating(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 5000 {
		p := Point{Lat: rng.Float64()*180 - 90, Lng: rng.Float64()*360 - 180}
		res := rng.IntN(MaxResolution + 1)
		got, err := CellOf(p, res)
		want, werr := h3.LatLngToCell(h3.LatLng{Lat: p.Lat, Lng: p.Lng}, res)
		if err != nil || werr != nil || uint64(got) != uint64(want) {
			t.Fatalf("CellOf(%v, %d) = %s, %v; h3-go says %s, %v", p, res, got, err, want, werr)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = CellOf(dam, 9) }); n != 0 {
		t.Errorf("CellOf allocates %v times per call", n)
	}
}
