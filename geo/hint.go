package geo

import (
	"fmt"
	"math"

	"github.com/uber/h3-go/v4"
)

// Band is a hot/cold distance band. The numbers are carried on the wire
// (protocol HINT) and never change.
type Band uint8

// Distance bands.
const (
	BandUnknown  Band = 0 // no treasure to point at
	BandBurning  Band = 1 // < 25 m
	BandHot      Band = 2 // < 100 m
	BandWarm     Band = 3 // < 300 m
	BandCool     Band = 4 // < 1 km
	BandCold     Band = 5 // < 3 km
	BandFreezing Band = 6 // farther
)

var bandLimits = [...]float64{25, 100, 300, 1000, 3000}

// BandOf returns the band of a distance in metres.
func BandOf(metres float64) Band {
	for i, lim := range bandLimits {
		if metres < lim {
			return Band(i + 1)
		}
	}
	return BandFreezing
}

func (b Band) String() string {
	names := [...]string{"unknown", "burning", "hot", "warm", "cool", "cold", "freezing"}
	if int(b) < len(names) {
		return names[b]
	}
	return fmt.Sprintf("band(%d)", uint8(b))
}

// Index finds the treasure nearest to a point, among treasures bucketed by
// their cell at a coarse resolution. It is not safe for concurrent use.
type Index struct {
	res   int
	gap   float64 // lower bound on the distance across one ring of cells, metres
	cells map[Cell][]entry
	where map[uint32]Cell
}

type entry struct {
	id uint32
	p  Point
}

// DefaultIndexResolution buckets treasures in cells of ~1.2 km edge.
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
	// Two cells k rings apart are separated by at least k-1 cells, each at
	// least √3·edge across; halving the average edge covers H3's distortion.
	return &Index{res: res, gap: math.Sqrt(3) * edge / 2, cells: map[Cell][]entry{}, where: map[uint32]Cell{}}, nil
}

// Len is the number of treasures in the index.
func (ix *Index) Len() int { return len(ix.where) }

// Add indexes treasure id at p, replacing an earlier position of id.
func (ix *Index) Add(id uint32, p Point) error {
	c, err := CellOf(p, ix.res)
	if err != nil {
		return err
	}
	ix.Remove(id)
	ix.cells[c] = append(ix.cells[c], entry{id, p})
	ix.where[id] = c
	return nil
}

// Remove drops treasure id and reports whether it was there.
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

// Nearest returns the treasure nearest to p and its distance in metres.
//
// It scans rings of cells outwards from p's cell. After ring k, any treasure
// not yet seen lies k+1 or more rings out, hence at least k·gap away; once
// the best found is closer than that, no farther ring can beat it.
func (ix *Index) Nearest(p Point) (id uint32, dist float64, ok bool) {
	if len(ix.where) == 0 {
		return 0, 0, false
	}
	origin, err := CellOf(p, ix.res)
	if err != nil {
		return 0, 0, false
	}
	best, seen := math.Inf(1), 0
	for k := 0; k <= maxRings; k++ {
		ring, err := h3.GridRing(h3.Cell(origin), k)
		if err != nil {
			break
		}
		for _, c := range ring {
			for _, e := range ix.cells[Cell(c)] {
				seen++
				if d := Distance(p, e.p); d < best || (d == best && e.id < id) {
					best, id = d, e.id
				}
			}
		}
		if seen == len(ix.where) || best < float64(k)*ix.gap {
			return id, best, true
		}
	}
	return ix.scanAll(p)
}

// scanAll is the exhaustive fallback for treasures beyond maxRings.
func (ix *Index) scanAll(p Point) (id uint32, dist float64, ok bool) {
	best := math.Inf(1)
	for _, b := range ix.cells {
		for _, e := range b {
			if d := Distance(p, e.p); d < best || (d == best && e.id < id) {
				best, id = d, e.id
			}
		}
	}
	return id, best, true
}

// Hint returns the band of the distance to the nearest treasure and the
// initial bearing towards it, in degrees from north.
func (ix *Index) Hint(p Point) (band Band, bearing float64, ok bool) {
	id, d, ok := ix.Nearest(p)
	if !ok {
		return BandUnknown, 0, false
	}
	c := ix.where[id]
	for _, e := range ix.cells[c] {
		if e.id == id {
			return BandOf(d), Bearing(p, e.p), true
		}
	}
	return BandUnknown, 0, false
}
