package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/uber/h3-go/v4"
)

var dam = Point{Lat: 52.3730796, Lng: 4.8924534} // Amsterdam, Dam square

func errOf[T any](_ T, err error) error { return err }

func mustCell(t testing.TB, p Point, res int) Cell {
	t.Helper()
	c, err := CellOf(p, res)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkErr fails unless err wraps want and its message contains msg.
func checkErr(t *testing.T, name string, err, want error, msg string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", name, err, want)
		return
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: error %q does not say %q", name, err, msg)
	}
}

func TestCellOfAndNeighbours(t *testing.T) {
	c := mustCell(t, dam, 9)
	if c.Resolution() != 9 || !c.IsValid() || c.String() != "891969c9b3bffff" {
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
	if back := mustCell(t, ctr, 9); back != c {
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
	if d, err := GridDistance(mustCell(t, dam, 5), p); err != nil || d > 1 {
		t.Errorf("parent %s is %d steps from the point's res-5 cell (%v)", p, d, err)
	}
	if self, err := Parent(c, 9); err != nil || self != c {
		t.Errorf("parent at its own resolution: %s, %v", self, err)
	}
}

func TestDistanceAndBearing(t *testing.T) {
	paris := Point{Lat: 48.8566, Lng: 2.3522}
	if d := Distance(dam, paris); math.Abs(d-430_000) > 5_000 {
		t.Errorf("Amsterdam–Paris %v m, want ~430 km", d)
	}
	// A quarter of a meridian is πR/2.
	if d := Distance(Point{}, Point{Lat: 90}); math.Abs(d-math.Pi*EarthRadius/2) > 1e-6 {
		t.Errorf("equator to pole %v m", d)
	}
	if d := Distance(Point{Lng: -90}, Point{Lng: 90}); math.Abs(d-math.Pi*EarthRadius) > 1e-6 {
		t.Errorf("antipodes %v m", d)
	}
	cases := []struct {
		to   Point
		want float64
	}{
		{Point{Lat: 53, Lng: dam.Lng}, 0},
		{Point{Lat: dam.Lat, Lng: 5}, 90},
		{Point{Lat: 52, Lng: dam.Lng}, 180},
		{Point{Lat: dam.Lat, Lng: 4.8}, 270},
		{dam, 0},
	}
	for _, c := range cases {
		if b := Bearing(dam, c.to); math.Abs(b-c.want) > 0.1 || b < 0 || b >= 360 {
			t.Errorf("bearing to %v = %v, want %v", c.to, b, c.want)
		}
	}
	if Distance(dam, dam) != 0 {
		t.Error("distance to itself is not zero")
	}
}

func TestE7(t *testing.T) {
	cases := []struct {
		p        Point
		lat, lng int32
	}{
		{dam, 523730796, 48924534},
		{Point{Lat: 1.234567849, Lng: -1.234567851}, 12345678, -12345679},
		{Point{Lat: 90, Lng: 180}, 900_000_000, 1_800_000_000},
		{Point{Lat: -90, Lng: -180}, -900_000_000, -1_800_000_000},
	}
	for _, c := range cases {
		if lat, lng := c.p.E7(); lat != c.lat || lng != c.lng {
			t.Errorf("%v.E7() = %d, %d, want %d, %d", c.p, lat, lng, c.lat, c.lng)
		}
		if got := PointE7(c.lat, c.lng); math.Abs(got.Lat-c.p.Lat) > 0.5e-7 || math.Abs(got.Lng-c.p.Lng) > 0.5e-7 {
			t.Errorf("PointE7(%d, %d) = %v", c.lat, c.lng, got)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		lat, lng := int32(rng.IntN(1_800_000_001)-900_000_000), int32(rng.IntN(3_600_000_001)-1_800_000_000)
		if a, b := PointE7(lat, lng).E7(); a != lat || b != lng {
			t.Fatalf("E7 round trip of %d, %d gave %d, %d", lat, lng, a, b)
		}
	}
}

func TestCellErrors(t *testing.T) {
	c := mustCell(t, dam, 9)
	c8 := mustCell(t, dam, 8)
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		err  error
		want error
		msg  string
	}{
		{"NaN", errOf(CellOf(Point{Lat: nan, Lng: 0}, 9)), ErrInvalidPoint, "not finite"},
		{"Inf", errOf(CellOf(Point{Lat: 0, Lng: inf}, 9)), ErrInvalidPoint, "not finite"},
		{"-Inf", errOf(CellOf(Point{Lat: -inf, Lng: 0}, 9)), ErrInvalidPoint, "not finite"},
		{"lat 91", errOf(CellOf(Point{Lat: 91, Lng: 0}, 9)), ErrInvalidPoint, "latitude 91 is outside"},
		{"lat -90.5", errOf(CellOf(Point{Lat: -90.5, Lng: 0}, 9)), ErrInvalidPoint, "latitude -90.5"},
		{"lng -181", errOf(CellOf(Point{Lat: 0, Lng: -181}, 9)), ErrInvalidPoint, "longitude -181 is outside"},
		{"res 16", errOf(CellOf(dam, 16)), ErrInvalidResolution, "16 is outside 0..15"},
		{"res -1", errOf(CellOf(dam, -1)), ErrInvalidResolution, "-1 is outside"},
		{"disk of a bad cell", errOf(GridDisk(Cell(12345), 1)), ErrInvalidCell, "3039 is not an H3 cell"},
		{"disk of cell 0", errOf(AppendGridDisk(nil, 0, 1)), ErrInvalidCell, "0 is not"},
		{"disk radius -1", errOf(GridDisk(c, -1)), ErrInvalidRadius, "-1 is outside 0..1000"},
		{"disk radius too big", errOf(GridDisk(c, MaxDiskRadius+1)), ErrInvalidRadius, "1001"},
		{"distance to a bad cell", errOf(GridDistance(c, Cell(0))), ErrInvalidCell, "0 is not"},
		{"distance from a bad cell", errOf(GridDistance(Cell(7), c)), ErrInvalidCell, "7 is not"},
		{"distance across resolutions", errOf(GridDistance(c, c8)), ErrInvalidResolution, "resolution 8"},
		{"centre of a bad cell", errOf(CellCenter(Cell(1))), ErrInvalidCell, "1 is not"},
		{"boundary of a bad cell", errOf(CellBoundary(Cell(0))), ErrInvalidCell, "0 is not"},
		{"finer parent", errOf(Parent(c, 10)), ErrInvalidResolution, "parent resolution 10 is finer than the cell's 9"},
		{"parent res -1", errOf(Parent(c, -1)), ErrInvalidResolution, "-1"},
		{"parent of a bad cell", errOf(Parent(Cell(5), 3)), ErrInvalidCell, "5 is not"},
		{"edge length res 16", errOf(EdgeLength(16)), ErrInvalidResolution, "16"},
		{"index res 16", errOf(NewIndex(16)), ErrInvalidResolution, "16"},
	}
	for _, tc := range cases {
		checkErr(t, tc.name, tc.err, tc.want, tc.msg)
	}
	if c.IsValid() == Cell(12345).IsValid() {
		t.Error("IsValid does not tell a cell from a number")
	}
}

// TestAppendGridDisk checks the append contract: the prefix is kept, the
// cells are GridDisk's, an error leaves dst as it was.
func TestAppendGridDisk(t *testing.T) {
	c := mustCell(t, dam, 9)
	dst := []Cell{7, 0, 9}
	got, err := AppendGridDisk(dst, c, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := GridDisk(c, 2)
	if !slices.Equal(got[:3], []Cell{7, 0, 9}) || !slices.Equal(got[3:], want) || len(want) != 19 {
		t.Fatalf("append gave %v, want the prefix then %v", got, want)
	}
	if again, err := AppendGridDisk(dst, c, -1); err == nil || !slices.Equal(again, dst) {
		t.Fatalf("failed append returned %v, %v", again, err)
	}
}

// TestWrappersMatchH3Go checks that the direct C calls return bit-for-bit
// what h3-go returns — placement depends on it — around ordinary cells and
// pentagons alike.
func TestWrappersMatchH3Go(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var cells []Cell
	for range 2000 {
		p := Point{Lat: rng.Float64()*180 - 90, Lng: rng.Float64()*360 - 180}
		res := rng.IntN(MaxResolution + 1)
		got := mustCell(t, p, res)
		want, err := h3.LatLngToCell(h3.LatLng{Lat: p.Lat, Lng: p.Lng}, res)
		if err != nil || uint64(got) != uint64(want) {
			t.Fatalf("CellOf(%v, %d) = %s; h3-go says %s, %v", p, res, got, want, err)
		}
		cells = append(cells, got)
	}
	for _, res := range []int{0, 5, 10, 15} {
		ps, _ := h3.Pentagons(res)
		for _, p := range ps {
			cells = append(cells, Cell(p))
		}
	}
	for _, c := range cells {
		compareWithH3Go(t, c)
	}
}

func compareWithH3Go(t *testing.T, c Cell) {
	t.Helper()
	ctr, err := CellCenter(c)
	want, werr := h3.CellToLatLng(h3.Cell(c))
	if err != nil || werr != nil || ctr.Lat != want.Lat || ctr.Lng != want.Lng {
		t.Fatalf("centre of %s: %v, %v; h3-go %v, %v", c, ctr, err, want, werr)
	}
	b, err := CellBoundary(c)
	wb, werr := h3.CellToBoundary(h3.Cell(c))
	if err != nil || werr != nil || len(b) != len(wb) {
		t.Fatalf("boundary of %s: %v, %v; h3-go %v, %v", c, b, err, wb, werr)
	}
	for i := range b {
		if b[i].Lat != wb[i].Lat || b[i].Lng != wb[i].Lng {
			t.Fatalf("boundary of %s vertex %d: %v, h3-go %v", c, i, b[i], wb[i])
		}
	}
	for k := range 3 {
		d, err := GridDisk(c, k)
		wd, werr := h3.GridDisk(h3.Cell(c), k)
		if err != nil || werr != nil || len(d) != len(wd) {
			t.Fatalf("disk %d of %s: %d cells, %v; h3-go %d, %v", k, c, len(d), err, len(wd), werr)
		}
		for i := range d {
			if uint64(d[i]) != uint64(wd[i]) {
				t.Fatalf("disk %d of %s differs from h3-go's at %d", k, c, i)
			}
		}
	}
}

// TestNoAllocations proves the calls the edge makes per message allocate
// nothing.
func TestNoAllocations(t *testing.T) {
	c := mustCell(t, dam, 9)
	pent, _ := h3.Pentagons(9)
	buf := make([]Cell, 0, 64)
	cases := map[string]func(){
		"CellOf":                     func() { _, _ = CellOf(dam, 9) },
		"CellCenter":                 func() { _, _ = CellCenter(c) },
		"AppendGridDisk":             func() { buf, _ = AppendGridDisk(buf[:0], c, 2) },
		"AppendGridDisk at pentagon": func() { buf, _ = AppendGridDisk(buf[:0], Cell(pent[0]), 3) },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}
