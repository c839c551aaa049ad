package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/uber/h3-go/v4"
)

// Polygon is an area: an outer ring and optional holes. Rings need not
// repeat their first vertex at the end.
type Polygon struct {
	Outer []Point   `json:"outer"`
	Holes [][]Point `json:"holes,omitempty"`
}

// MaxVertices bounds the vertices of a polygon, holes included; validation
// is quadratic in them.
const MaxVertices = 2048

// Validate reports whether p is a usable area: every ring has at least three
// distinct valid vertices, encloses a non-zero area, does not cross itself
// and has no edge spanning 180° of longitude or more.
func (p Polygon) Validate() error {
	n := len(p.Outer)
	for _, h := range p.Holes {
		n += len(h)
	}
	if n > MaxVertices {
		return fmt.Errorf("%w: %d vertices, at most %d", ErrTooManyVertices, n, MaxVertices)
	}
	if err := validateRing(p.Outer); err != nil {
		return fmt.Errorf("outer ring: %w", err)
	}
	for i, h := range p.Holes {
		if err := validateRing(h); err != nil {
			return fmt.Errorf("hole %d: %w", i, err)
		}
	}
	return nil
}

// openRing drops a closing vertex equal to the first.
func openRing(r []Point) []Point {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		return r[:len(r)-1]
	}
	return r
}

func validateRing(r []Point) error {
	r = openRing(r)
	if len(r) < 3 {
		return fmt.Errorf("%w: %d vertices, need at least 3", ErrEmptyPolygon, len(r))
	}
	for i, v := range r {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("vertex %d: %w", i, err)
		}
		if next := r[(i+1)%len(r)]; math.Abs(next.Lng-v.Lng) >= 180 {
			return fmt.Errorf("%w: edge %d spans 180° of longitude or more", ErrInvalidPoint, i)
		}
	}
	for i := range r {
		for j := i + 1; j < len(r); j++ {
			if adjacent(i, j, len(r)) {
				continue
			}
			if segmentsIntersect(r[i], r[(i+1)%len(r)], r[j], r[(j+1)%len(r)]) {
				return fmt.Errorf("%w: edge %d crosses edge %d", ErrSelfIntersecting, i, j)
			}
		}
	}
	if math.Abs(shoelace(r)) < 1e-14 {
		return fmt.Errorf("%w: the ring encloses no area", ErrEmptyPolygon)
	}
	return nil
}

func adjacent(i, j, n int) bool { return j == i+1 || (i == 0 && j == n-1) }

// shoelace is twice the signed planar area of r in square degrees.
func shoelace(r []Point) float64 {
	var a float64
	for i, p := range r {
		q := r[(i+1)%len(r)]
		a += p.Lng*q.Lat - q.Lng*p.Lat
	}
	return a
}

// orient is the sign of the turn a→b→c: >0 left, <0 right, 0 collinear.
func orient(a, b, c Point) float64 {
	return (b.Lng-a.Lng)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lng-a.Lng)
}

func onSegment(a, b, p Point) bool {
	return min(a.Lng, b.Lng) <= p.Lng && p.Lng <= max(a.Lng, b.Lng) &&
		min(a.Lat, b.Lat) <= p.Lat && p.Lat <= max(a.Lat, b.Lat)
}

// segmentsIntersect reports whether segments ab and cd share a point.
func segmentsIntersect(a, b, c, d Point) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if (o1 > 0) != (o2 > 0) && (o3 > 0) != (o4 > 0) && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

func loop(r []Point) h3.GeoLoop {
	r = openRing(r)
	out := make(h3.GeoLoop, len(r))
	for i, p := range r {
		out[i] = h3.LatLng{Lat: p.Lat, Lng: p.Lng}
	}
	return out
}

// PolygonCells returns the cells at resolution res whose centres lie inside
// p, sorted ascending (a deterministic order for placement).
func PolygonCells(p Polygon, res int) ([]Cell, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkResolution(res); err != nil {
		return nil, err
	}
	gp := h3.GeoPolygon{GeoLoop: loop(p.Outer)}
	for _, h := range p.Holes {
		gp.Holes = append(gp.Holes, loop(h))
	}
	cells, err := h3.PolygonToCells(gp, res)
	if err != nil {
		return nil, fmt.Errorf("cannot fill polygon at resolution %d: %w", res, err)
	}
	out := make([]Cell, len(cells))
	for i, c := range cells {
		out[i] = Cell(c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
