package geo

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/uber/h3-go/v4"
)

var update = flag.Bool("update", false, "rewrite testdata/placement_golden.json")

type goldenTreasure struct {
	Cell string `json:"cell"`
	Lat  int32  `json:"lat"`
	Lng  int32  `json:"lng"`
}

// goldenSpec never changes: the coordinator's replicas, old and new, must
// place the same treasures for the same log entry.
var goldenSpec = PlacementSpec{Area: Polygon{Outer: square(dam, 0.02)}, Resolution: 10, Count: 25, MinSpacing: 3, Seed: 20261128}

func TestPlacementGolden(t *testing.T) {
	ts, err := Place(goldenSpec)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]goldenTreasure, 0, len(ts))
	for _, tr := range ts {
		lat, lng := tr.Point.E7()
		got = append(got, goldenTreasure{tr.Cell.String(), lat, lng})
	}
	const path = "testdata/placement_golden.json"
	if *update {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenTreasure
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("placement differs from %s (run with -update only after a deliberate change):\n got %v\nwant %v", path, got, want)
	}
}

func TestPlacementDeterministic(t *testing.T) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.03)}, Resolution: 10, Count: 120, MinSpacing: 2, Seed: 1}
	a, err := Place(spec)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Place(spec); !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with one seed differ")
	}
	spec.Seed = 2
	c, _ := Place(spec)
	if len(c) != len(a) || reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same placement")
	}
	same := 0
	for i := range a {
		if a[i].Cell == c[i].Cell {
			same++
		}
	}
	if same > 5 {
		t.Errorf("seeds 1 and 2 agree on %d of %d treasures", same, len(a))
	}
}

// checkSpacing compares every pair of treasures.
func checkSpacing(t *testing.T, ts []Treasure, spacing int) {
	t.Helper()
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if d, err := GridDistance(ts[i].Cell, ts[j].Cell); err != nil || d < max(spacing, 1) {
				t.Fatalf("treasures %d and %d are %d cells apart (%v), want ≥ %d", i, j, d, err, spacing)
			}
		}
	}
}

// checkInside checks that each treasure's point lies in its cell, and its
// cell in the area.
func checkInside(t *testing.T, ts []Treasure, spec PlacementSpec) {
	t.Helper()
	cells, err := PolygonCells(spec.Area, spec.Resolution)
	if err != nil {
		t.Fatal(err)
	}
	in := make(map[Cell]bool, len(cells))
	for _, c := range cells {
		in[c] = true
	}
	for i, tr := range ts {
		if got := mustCell(t, tr.Point, spec.Resolution); got != tr.Cell || !in[tr.Cell] {
			t.Fatalf("treasure %d at %v is in %s, placed in %s (in the area: %v)", i, tr.Point, got, tr.Cell, in[tr.Cell])
		}
	}
}

func TestPlacementSpacing(t *testing.T) {
	for _, spacing := range []int{0, 1, 2, 4, 7} {
		spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.06)}, Resolution: 10, Count: 60, MinSpacing: spacing, Seed: uint64(spacing)}
		ts, err := Place(spec)
		if err != nil || len(ts) != 60 {
			t.Fatalf("spacing %d: %d treasures, %v", spacing, len(ts), err)
		}
		checkSpacing(t, ts, spacing)
		checkInside(t, ts, spec)
	}
}

// TestPlacementPointsInsideCells places where cells are distorted: around a
// pentagon, and next to the antimeridian.
func TestPlacementPointsInsideCells(t *testing.T) {
	ps, _ := h3.Pentagons(8)
	pent, _ := CellCenter(Cell(ps[3]))
	areas := []Polygon{
		{Outer: square(pent, 0.05)},
		{Outer: ring(10, 179.9, 10, 179.9999999, 10.1, 179.9999999, 10.1, 179.9)},
		{Outer: ring(-10, -179.9999999, -10, -179.9, -10.1, -179.9, -10.1, -179.9999999)},
		{Outer: square(Point{Lat: 84, Lng: 30}, 0.05)},
	}
	for i, area := range areas {
		spec := PlacementSpec{Area: area, Resolution: 10, Count: 200, MinSpacing: 1, Seed: uint64(i)}
		ts, err := Place(spec)
		if err != nil {
			t.Fatalf("area %d: %v", i, err)
		}
		checkInside(t, ts, spec)
	}
}

func TestPlacementAvoidsHoles(t *testing.T) {
	hole := square(dam, 0.02)
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.04), Holes: [][]Point{hole}}, Resolution: 10, Count: 400, MinSpacing: 1, Seed: 3}
	ts, err := Place(spec)
	if err != nil {
		t.Fatal(err)
	}
	checkInside(t, ts, spec)
	for _, tr := range ts { // the cell's centre is outside; its point may lie a little way in
		if ctr, _ := CellCenter(tr.Cell); pointInRing(ctr, hole) {
			t.Fatalf("treasure cell %s centred at %v is in the hole", tr.Cell, ctr)
		}
	}
}

// TestPlace10kCity places 10,000 treasures over a ~22 × 15 km city at
// resolution 11, two cells apart.
func TestPlace10kCity(t *testing.T) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.1)}, Resolution: 11, Count: 10_000, MinSpacing: 2, Seed: 42}
	ts, err := Place(spec)
	if err != nil || len(ts) != spec.Count {
		t.Fatalf("%d treasures, %v", len(ts), err)
	}
	checkInside(t, ts, spec)
	taken := make(map[Cell]bool, len(ts))
	for _, tr := range ts {
		taken[tr.Cell] = true
	}
	for _, tr := range ts { // spacing 2: no two treasures in neighbouring cells
		disk, _ := GridDisk(tr.Cell, 1)
		for _, d := range disk[1:] {
			if taken[d] {
				t.Fatalf("treasures in neighbouring cells %s and %s", tr.Cell, d)
			}
		}
	}
}

// chiSquare is Pearson's statistic for counts against expected counts.
func chiSquare(counts, expected []float64) float64 {
	chi := 0.0
	for i := range counts {
		chi += (counts[i] - expected[i]) * (counts[i] - expected[i]) / expected[i]
	}
	return chi
}

// TestPlacementUniformQuadrants places many treasures and checks each
// quadrant of the square gets its share (χ², 3 degrees of freedom,
// p ≈ 0.001).
func TestPlacementUniformQuadrants(t *testing.T) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.05)}, Resolution: 10, Count: 2000, MinSpacing: 1, Seed: 99}
	ts, err := Place(spec)
	if err != nil {
		t.Fatal(err)
	}
	q := make([]float64, 4)
	for _, tr := range ts {
		i := 0
		if tr.Point.Lat > dam.Lat {
			i++
		}
		if tr.Point.Lng > dam.Lng {
			i += 2
		}
		q[i]++
	}
	exp := float64(len(ts)) / 4
	if chi := chiSquare(q, []float64{exp, exp, exp, exp}); chi > 16.3 {
		t.Errorf("quadrant counts %v are not uniform (χ² = %.1f)", q, chi)
	}
}

// TestPlacementUniformBands splits the area into 10 bands of latitude and
// compares the treasures in each with its share of the area's cells (χ², 9
// degrees of freedom, p ≈ 0.001), with spacing on.
func TestPlacementUniformBands(t *testing.T) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.05)}, Resolution: 11, Count: 3000, MinSpacing: 2, Seed: 7}
	ts, err := Place(spec)
	if err != nil {
		t.Fatal(err)
	}
	cells, _ := PolygonCells(spec.Area, spec.Resolution)
	band := func(p Point) int { return min(9, max(0, int((p.Lat-(dam.Lat-0.05))/0.01))) }
	counts, expected := make([]float64, 10), make([]float64, 10)
	for _, c := range cells {
		ctr, _ := CellCenter(c)
		expected[band(ctr)] += float64(len(ts)) / float64(len(cells))
	}
	for _, tr := range ts {
		counts[band(tr.Point)]++
	}
	if chi := chiSquare(counts, expected); chi > 27.9 {
		t.Errorf("band counts %v, expected %v (χ² = %.1f)", counts, expected, chi)
	}
}

func TestPlacementErrors(t *testing.T) {
	area := Polygon{Outer: square(dam, 0.005)}
	cases := []struct {
		name  string
		spec  PlacementSpec
		want  error
		msg   string
		place bool // found by Place, not by Validate
	}{
		{"too few cells", PlacementSpec{Area: area, Resolution: 9, Count: 500}, ErrAreaTooSmall, "500 treasures asked, the area has 10 cells at resolution 9", true},
		{"too sparse", PlacementSpec{Area: area, Resolution: 10, Count: 30, MinSpacing: 6}, ErrAreaTooSmall, "30 treasures asked, only 3 fit 6 cells apart (of 61 cells)", true},
		{"no treasures", PlacementSpec{Area: area, Resolution: 10, Count: 0}, ErrInvalidPlacement, "count 0 is outside 1..1000000", false},
		{"too many", PlacementSpec{Area: area, Resolution: 10, Count: MaxPlacement + 1}, ErrInvalidPlacement, "count 1000001", false},
		{"negative spacing", PlacementSpec{Area: area, Resolution: 10, Count: 1, MinSpacing: -1}, ErrInvalidPlacement, "spacing -1 is outside 0..100", false},
		{"huge spacing", PlacementSpec{Area: area, Resolution: 10, Count: 1, MinSpacing: MaxSpacing + 1}, ErrInvalidPlacement, "spacing 101", false},
		{"bad resolution", PlacementSpec{Area: area, Resolution: 17, Count: 1}, ErrInvalidResolution, "17 is outside", false},
		{"no area", PlacementSpec{Resolution: 10, Count: 1}, ErrEmptyPolygon, "area: outer ring: empty polygon", false},
		{"crossed area", PlacementSpec{Area: Polygon{Outer: ring(0, 0, 1, 1, 0, 1, 1, 0)}, Resolution: 10, Count: 1}, ErrSelfIntersecting, "area: outer ring", false},
		{"area too fine", PlacementSpec{Area: Polygon{Outer: square(dam, 0.3)}, Resolution: 14, Count: 1}, ErrAreaTooLarge, "resolution 14", true},
	}
	for _, tc := range cases {
		checkErr(t, tc.name, errOf(Place(tc.spec)), tc.want, tc.msg)
		if err := tc.spec.Validate(); tc.place && err != nil {
			t.Errorf("%s: Validate: %v", tc.name, err)
		} else if !tc.place {
			checkErr(t, tc.name+" (Validate)", err, tc.want, tc.msg)
		}
	}
}
