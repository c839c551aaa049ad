package geo

import (
	"math"

	"github.com/uber/h3-go/v4"
)

// Index finds the treasure nearest to a point. Treasures, keyed by a uint32
// id, are bucketed by their cell at a coarse resolution; Nearest searches
// rings of cells outwards from the query's cell and stops as soon as no
// farther ring can hold a closer treasure.
//
// Create one with NewIndex. Like a map, an Index may be read concurrently
// (Nearest, Hint, Len) but Add and Remove need exclusive access.
type Index struct {
	res   int
	reach [maxRings + 1]float64 // see ringBound; squared chords
	cells map[Cell][]entry
	where map[uint32]Cell
}

type entry struct {
	id uint32
	v  vec3 // p on the unit sphere, for cheap comparisons
	p  Point
}

// DefaultIndexResolution buckets treasures in cells of ~1.4 km edge: a
// city-sized hunt has a few hundred buckets.
const DefaultIndexResolution = 7

// maxRings bounds the ring search; beyond it Nearest scans every bucket.
const maxRings = 48

// NewIndex returns an empty index bucketing at resolution res.
func NewIndex(res int) (*Index, error) {
	if err := checkResolution(res); err != nil {
		return nil, err
	}
	edge, err := h3.HexagonEdgeLengthAvgM(res)
	if err != nil {
		return nil, err
	}
	ix := &Index{res: res, cells: map[Cell][]entry{}, where: map[uint32]Cell{}}
	for k := range ix.reach {
		ix.reach[k] = chordSquared(ringBound(k, edge))
	}
	return ix, nil
}

// ringBound is a lower bound, in metres, on the distance from any point of
// a cell to any point of a cell k+1 or more grid steps away, for cells of
// average edge length edge: 0.9·(k − 0.75)·edge, and 0 for k = 0.
//
// Why it holds. (1) Measured: over points around all 12 pentagons (where
// H3 cells are smallest) and across the globe, at every resolution, the
// nearest point of a cell exactly k+1 steps away is at least
// (k − 0.45)·edge away for k = 1 and at least (k − 0.35)·edge for k ≥ 2
// (TestRingBound re-checks it); 0.9·(k − 0.75) leaves a margin of 20% or
// more. (2) Farther rings are farther still: the great-circle arc from p to
// a point q in a cell m > k+1 steps away passes from cell to cell through
// shared edges or vertices; cells sharing a vertex are neighbours in H3 (3
// cells meet at each vertex), so the grid distance from p's cell changes by
// at most 1 per crossing and the arc meets a cell exactly k+1 steps away
// before reaching q. Beyond half the Earth's circumference the bound says
// nothing and is set to 0 (never stop early).
func ringBound(k int, edge float64) float64 {
	b := max(0, 0.9*(float64(k)-0.75)*edge)
	if b >= math.Pi*EarthRadius {
		return 0
	}
	return b
}

// Len is the number of treasures in the index.
func (ix *Index) Len() int { return len(ix.where) }

// Add indexes treasure id at p, replacing an earlier position of id. An
// invalid p is an error wrapping ErrInvalidPoint and leaves ix unchanged.
func (ix *Index) Add(id uint32, p Point) error {
	c, err := CellOf(p, ix.res)
	if err != nil {
		return err
	}
	ix.Remove(id)
	ix.cells[c] = append(ix.cells[c], entry{id: id, v: unitVec(p), p: p})
	ix.where[id] = c
	return nil
}

// Remove drops treasure id (a claimed treasure) and reports whether it was
// there.
func (ix *Index) Remove(id uint32) bool {
	c, ok := ix.where[id]
	if !ok {
		return false
	}
	b := ix.cells[c]
	for i := range b {
		if b[i].id == id {
			b[i] = b[len(b)-1]
			b = b[:len(b)-1]
			break
		}
	}
	if len(b) == 0 {
		delete(ix.cells, c)
	} else {
		ix.cells[c] = b
	}
	delete(ix.where, id)
	return true
}

// Nearest returns the treasure nearest to p and its great-circle distance
// in metres, the one with the lowest id among equally near ones: exactly
// what a scan of every treasure with Distance returns. ok is false if the
// index is empty or p is invalid. It does not allocate.
func (ix *Index) Nearest(p Point) (id uint32, dist float64, ok bool) {
	e := ix.nearest(p)
	if e == nil {
		return 0, 0, false
	}
	return e.id, Distance(p, e.p), true
}

// Hint returns the band of the distance from p to the nearest treasure and
// the initial bearing towards it, in degrees clockwise from north in
// [0, 360). ok is false if the index is empty or p is invalid.
func (ix *Index) Hint(p Point) (band Band, bearing float64, ok bool) {
	e := ix.nearest(p)
	if e == nil {
		return BandUnknown, 0, false
	}
	return BandOf(Distance(p, e.p)), Bearing(p, e.p), true
}

// nearest searches ring k = 0, 1, 2, … around p's cell. After ring k every
// unseen treasure is in a cell k+1 or more steps away, so at least
// ringBound(k) metres from p: once the best treasure found is strictly
// closer than that, no unseen one can equal or beat it.
func (ix *Index) nearest(p Point) *entry {
	if len(ix.where) == 0 {
		return nil
	}
	origin, err := CellOf(p, ix.res)
	if err != nil {
		return nil
	}
	best := candidate{p: p, q: unitVec(p), chord: math.Inf(1)}
	var buf [6 * maxRings]Cell // on the stack: gridRingInto is noescape
	seen := 0
	for k := 0; k <= maxRings; k++ {
		ring := buf[:ringSize(k)]
		if gridRingInto(origin, k, ring) != nil {
			break
		}
		for _, c := range ring {
			b := ix.cells[c] // c is 0 in a slot left empty by a pentagon: no bucket
			seen += len(b)
			for i := range b {
				best.offer(&b[i])
			}
		}
		if seen == len(ix.where) || best.chord < ix.reach[k] {
			return best.e
		}
	}
	return ix.scanAll(&best)
}

// scanAll offers every treasure: the fallback beyond maxRings.
func (ix *Index) scanAll(best *candidate) *entry {
	for _, b := range ix.cells {
		for i := range b {
			best.offer(&b[i])
		}
	}
	return best.e
}
