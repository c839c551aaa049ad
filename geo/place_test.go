package geo

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/placement_golden.json")

type goldenTreasure struct {
	Cell string `json:"cell"`
	Lat  int32  `json:"lat"`
	Lng  int32  `json:"lng"`
}

var goldenSpec = PlacementSpec{Area: Polygon{Outer: square(dam, 0.02)}, Resolution: 10, Count: 25, MinSpacing: 3, Seed: 20261128}

func TestPlacementGolden(t *testing.T) {
	ts, err := Place(goldenSpec)
	if err != nil {
		t.Fatal(err)
	}
	var got []goldenTreasure
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
		t.Fatalf("placement differs from the golden file:\n got %v\nwant %v", got, want)
	}
}

func TestPlacementProperties(t *testing.T) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.03)}, Resolution: 10, Count: 120, MinSpacing: 2, Seed: 1}
	a, err := Place(spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Place(spec)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with one seed differ")
	}
	spec.Seed = 2
	if c, _ := Place(spec); reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same placement")
	}
	if len(a) != 120 {
		t.Fatalf("%d treasures", len(a))
	}
	for i := range a {
		if got, _ := CellOf(a[i].Point, 10); got != a[i].Cell {
			t.Errorf("treasure %d at %v lies outside its cell %s", i, a[i].Point, a[i].Cell)
		}
		for j := i + 1; j < len(a); j++ {
			if d, err := GridDistance(a[i].Cell, a[j].Cell); err != nil || d < 2 {
				t.Fatalf("treasures %d and %d are %d cells apart (%v)", i, j, d, err)
			}
		}
	}
}

// TestPlacementUniform places many treasures and checks each quadrant of the
// square gets its share (χ² with 3 degrees of freedom, p ≈ 0.001).
func TestPlacementUniform(t *testing.T) {
	spec := PlacementSpec{Area: Polygon{Outer: square(dam, 0.05)}, Resolution: 10, Count: 2000, MinSpacing: 1, Seed: 99}
	ts, err := Place(spec)
	if err != nil {
		t.Fatal(err)
	}
	var q [4]float64
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
	exp, chi := float64(len(ts))/4, 0.0
	for _, n := range q {
		chi += (n - exp) * (n - exp) / exp
	}
	if chi > 16.3 {
		t.Errorf("quadrant counts %v are not uniform (χ² = %.1f)", q, chi)
	}
}

func TestPlacementErrors(t *testing.T) {
	area := Polygon{Outer: square(dam, 0.005)}
	cases := []struct {
		spec PlacementSpec
		want error
	}{
		{PlacementSpec{Area: area, Resolution: 9, Count: 500}, ErrAreaTooSmall},
		{PlacementSpec{Area: area, Resolution: 10, Count: 30, MinSpacing: 6}, ErrAreaTooSmall},
		{PlacementSpec{Area: area, Resolution: 10, Count: 0}, ErrInvalidPlacement},
		{PlacementSpec{Area: area, Resolution: 10, Count: 1, MinSpacing: -1}, ErrInvalidPlacement},
		{PlacementSpec{Area: area, Resolution: 17, Count: 1}, ErrInvalidResolution},
		{PlacementSpec{Resolution: 10, Count: 1}, ErrEmptyPolygon},
	}
	for i, c := range cases {
		if _, err := Place(c.spec); !errors.Is(err, c.want) {
			t.Errorf("case %d: err = %v, want %v", i, err, c.want)
		}
	}
}
