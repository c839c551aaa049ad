package geo

import (
	"fmt"
	"math"
)

// Polygon is an area: an outer ring and optional holes, each a list of
// vertices in either orientation. A ring need not repeat its first vertex
// at the end; repeated consecutive vertices are ignored.
//
// Edges are straight lines in latitude/longitude, as H3 treats them when it
// fills a polygon. A ring may not cross the antimeridian (no edge may span
// 180° of longitude or more) and so cannot enclose a pole.
type Polygon struct {
	Outer []Point   `json:"outer"`
	Holes [][]Point `json:"holes,omitempty"`
}

// MaxVertices bounds the vertices of a polygon, holes included: validation
// compares every pair of edges, so its cost is quadratic in them (about 2
// million segment tests, a few milliseconds, at the maximum).
const MaxVertices = 2048

// Validate reports whether p is a usable area: at most MaxVertices
// vertices; every ring has at least three distinct valid vertices, encloses
// a non-zero area and crosses or touches neither itself nor another ring;
// every hole lies inside the outer ring and outside the other holes.
func (p Polygon) Validate() error {
	_, err := p.rings()
	return err
}

// rings validates p and returns its rings, outer first, without repeated
// vertices.
func (p Polygon) rings() ([][]Point, error) {
	n := len(p.Outer)
	for _, h := range p.Holes {
		n += len(h)
	}
	if n > MaxVertices {
		return nil, fmt.Errorf("%w: %d vertices, at most %d", ErrTooManyVertices, n, MaxVertices)
	}
	rings := make([][]Point, 0, 1+len(p.Holes))
	for i, raw := range append([][]Point{p.Outer}, p.Holes...) {
		r, err := validRing(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ringName(i), err)
		}
		rings = append(rings, r)
	}
	if err := checkCrossings(rings); err != nil {
		return nil, err
	}
	return rings, checkHoles(rings)
}

// ringName names ring i of rings(): the outer ring, then the holes.
func ringName(i int) string {
	if i == 0 {
		return "outer ring"
	}
	return fmt.Sprintf("hole %d", i-1)
}

// validRing checks one ring on its own and returns it without repeated
// vertices. Edge indices in errors count edges of that reduced ring.
func validRing(raw []Point) ([]Point, error) {
	for i, v := range raw {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("vertex %d: %w", i, err)
		}
	}
	r := dedupRing(raw)
	if len(r) < 3 {
		return nil, fmt.Errorf("%w: %d distinct vertices, need at least 3", ErrEmptyPolygon, len(r))
	}
	for i, v := range r {
		if next := r[(i+1)%len(r)]; math.Abs(next.Lng-v.Lng) >= 180 {
			return nil, fmt.Errorf("%w: edge %d, from longitude %v to %v, spans 180° or more (rings may not cross the antimeridian)",
				ErrInvalidPoint, i, v.Lng, next.Lng)
		}
	}
	if collinear(r) {
		return nil, fmt.Errorf("%w: all %d vertices lie on one line", ErrEmptyPolygon, len(r))
	}
	if err := checkSelfCrossing(r); err != nil {
		return nil, err
	}
	if a := math.Abs(shoelace(r)) / 2; a < minRingArea {
		return nil, fmt.Errorf("%w: the ring encloses %.3g square degrees", ErrEmptyPolygon, a)
	}
	return r, nil
}

// minRingArea is the smallest area a ring may enclose, in square degrees
// (under a square centimetre: only rounding noise is rejected).
const minRingArea = 5e-15

// dedupRing returns r without vertices equal to their predecessor,
// including a closing vertex equal to the first.
func dedupRing(r []Point) []Point {
	out := make([]Point, 0, len(r))
	for _, v := range r {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	for len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	return out
}

// collinear reports whether every vertex of r lies on the line through the
// first two (which are distinct).
func collinear(r []Point) bool {
	for _, v := range r[2:] {
		if orient(r[0], r[1], v) != 0 {
			return false
		}
	}
	return true
}

// shoelace is twice the signed planar area of r in square degrees.
func shoelace(r []Point) float64 {
	var a float64
	for i, p := range r {
		q := r[(i+1)%len(r)]
		a += p.Lng*q.Lat - q.Lng*p.Lat
	}
	return a
}

// edge returns edge i of ring r: from vertex i to the next, wrapping.
func edge(r []Point, i int) (Point, Point) { return r[i], r[(i+1)%len(r)] }
