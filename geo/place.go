package geo

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// PlacementSpec says where and how many treasures to place.
type PlacementSpec struct {
	Area       Polygon
	Resolution int    // H3 resolution of the treasures' cells
	Count      int    // how many treasures
	MinSpacing int    // minimum grid distance between two treasures; 0 or 1 = distinct cells
	Seed       uint64 // same spec, same seed → same treasures, on every machine
}

// MaxPlacement bounds Count.
const MaxPlacement = 1_000_000

// MaxSpacing bounds MinSpacing.
const MaxSpacing = 100

// Validate says what is wrong with s, in words.
func (s PlacementSpec) Validate() error {
	if err := s.Area.Validate(); err != nil {
		return fmt.Errorf("area: %w", err)
	}
	if err := checkResolution(s.Resolution); err != nil {
		return err
	}
	if s.Count < 1 || s.Count > MaxPlacement {
		return fmt.Errorf("%w: count %d is outside 1..%d", ErrInvalidPlacement, s.Count, MaxPlacement)
	}
	if s.MinSpacing < 0 || s.MinSpacing > MaxSpacing {
		return fmt.Errorf("%w: spacing %d is outside 0..%d", ErrInvalidPlacement, s.MinSpacing, MaxSpacing)
	}
	return nil
}

// Treasure is a placed treasure: its cell and a position inside it.
type Treasure struct {
	Cell  Cell
	Point Point
}

// Place places s.Count treasures in s.Area, deterministically: the same
// spec gives the same treasures, in the same order, on every machine and Go
// release (the coordinator's replicas each place a hunt's treasures
// themselves). The algorithm is fixed; the golden test pins it:
//
//  1. The candidates are the area's cells at s.Resolution (PolygonCells),
//     sorted ascending.
//  2. A Fisher–Yates pass (i from the last index down to 1, j drawn from
//     [0, i]) shuffles them, driven by math/rand/v2's PCG seeded with
//     (s.Seed, placementStream) through uniform, our own bounded draw.
//  3. Cells are taken in shuffled order, each kept unless a kept one lies
//     within MinSpacing-1 grid steps of it (random sequential adsorption:
//     uniform over the area, spaced), until Count are kept.
//  4. Each treasure's position is drawn by pointIn from the same PCG, in
//     the order the cells were kept.
//
// If the area has fewer than Count cells, or the greedy pass keeps fewer
// than Count, the error wraps ErrAreaTooSmall and says how many fit. A
// tighter packing might fit a few more: RSA fills about half to two thirds
// of the densest packing.
func Place(s PlacementSpec) ([]Treasure, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cells, err := PolygonCells(s.Area, s.Resolution)
	if err != nil {
		return nil, err
	}
	if len(cells) < s.Count {
		return nil, fmt.Errorf("%w: %d treasures asked, the area has %d cells at resolution %d", ErrAreaTooSmall, s.Count, len(cells), s.Resolution)
	}
	rng := rand.NewPCG(s.Seed, placementStream)
	for i := len(cells) - 1; i > 0; i-- {
		j := uniform(rng, uint64(i+1))
		cells[i], cells[j] = cells[j], cells[i]
	}
	chosen, err := spaced(cells, s.Count, s.MinSpacing)
	if err != nil {
		return nil, err
	}
	out := make([]Treasure, len(chosen))
	for i, c := range chosen {
		p, err := pointIn(c, rng)
		if err != nil {
			return nil, err
		}
		out[i] = Treasure{Cell: c, Point: p}
	}
	return out, nil
}

// placementStream is the PCG stream of placement, fixed forever.
const placementStream = 0x76656c7472697821

// uniform draws uniformly from [0, n) with Lemire's multiply-and-reject
// method on PCG's 64-bit output; written out so that it never changes with
// the Go release.
func uniform(r *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// unit draws a float64 in [0, 1) from the top 53 bits.
func unit(r *rand.PCG) float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// spaced takes cells in order, keeping each that is at least spacing grid
// steps from every kept one, until it has count.
func spaced(cells []Cell, count, spacing int) ([]Cell, error) {
	out := make([]Cell, 0, count)
	blocked := make(map[Cell]struct{}, min(count*(3*spacing*spacing+1), len(cells)))
	var disk []Cell
	for _, c := range cells {
		if _, ok := blocked[c]; ok {
			continue
		}
		out = append(out, c)
		if len(out) == count {
			return out, nil
		}
		var err error
		if disk, err = AppendGridDisk(disk[:0], c, max(spacing-1, 0)); err != nil {
			return nil, err
		}
		for _, d := range disk {
			blocked[d] = struct{}{}
		}
	}
	return nil, fmt.Errorf("%w: %d treasures asked, only %d fit %d cells apart (of %d cells)", ErrAreaTooSmall, count, len(out), spacing, len(cells))
}

// pointIn draws a point inside c: a random point of a random triangle
// (centre, vertex i, vertex i+1) of the cell, pulled 10% towards the centre
// so that it stays strictly inside, then rounded to the wire's E7 grid. If
// rounding or a distorted cell (one crossing an icosahedron edge) would put
// it outside c, the point is c's centre.
func pointIn(c Cell, r *rand.PCG) (Point, error) {
	ctr, err := cellToLatLng(c)
	if err != nil {
		return Point{}, err
	}
	bnd, err := cellToBoundary(c)
	if err != nil {
		return Point{}, err
	}
	b := bnd.points()
	i := uniform(r, uint64(len(b)))
	v1, v2 := b[i], b[(int(i)+1)%len(b)]
	u, v := unit(r), unit(r)
	if u+v > 1 {
		u, v = 1-u, 1-v
	}
	u, v = u*0.9, v*0.9
	// The float64 conversions round each product, so no platform may fuse
	// them into multiply-adds: placement must give the same bits everywhere.
	p := Point{
		Lat: ctr.Lat + float64(u*(v1.Lat-ctr.Lat)) + float64(v*(v2.Lat-ctr.Lat)),
		Lng: ctr.Lng + float64(u*(v1.Lng-ctr.Lng)) + float64(v*(v2.Lng-ctr.Lng)),
	}
	if math.Abs(p.Lng) >= 214 {
		return ctr, nil // a cell straddling the antimeridian: E7 would overflow
	}
	p = PointE7(p.E7()) // exactly what the wire carries
	if got, err := CellOf(p, c.Resolution()); err != nil || got != c {
		return ctr, nil
	}
	return p, nil
}
