package geo

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/uber/h3-go/v4"
)

// MaxPolygonCells bounds the fill of a polygon, as H3 estimates it before
// filling: H3 allocates that many cells up front (8 bytes each), from the
// polygon's bounding box and its smallest cells, so the estimate is a few
// times the real count. A 20 × 20 km city fits up to resolution 11
// (about 150,000 real cells), not at 12.
const MaxPolygonCells = 8_000_000

// PolygonCells returns the cells at resolution res whose centres lie inside
// p, sorted ascending (a deterministic order for placement).
func PolygonCells(p Polygon, res int) ([]Cell, error) {
	rings, err := p.rings()
	if err != nil {
		return nil, err
	}
	if err := checkResolution(res); err != nil {
		return nil, err
	}
	if n := fillEstimate(rings, res); n > MaxPolygonCells {
		return nil, fmt.Errorf("%w: filling the polygon at resolution %d needs room for about %.0f cells, at most %d (use a coarser resolution or a smaller area)",
			ErrAreaTooLarge, res, n, MaxPolygonCells)
	}
	gp := h3.GeoPolygon{GeoLoop: geoLoop(rings[0])}
	for _, h := range rings[1:] {
		gp.Holes = append(gp.Holes, geoLoop(h))
	}
	cells, err := h3.PolygonToCells(gp, res)
	if errors.Is(err, h3.ErrFailed) || errors.Is(err, h3.ErrMemoryBounds) {
		// H3 ran out of the room it estimated: a very large or distorted area.
		return nil, fmt.Errorf("%w: H3 cannot fill the polygon at resolution %d (%v): split the area or use a coarser resolution",
			ErrAreaTooLarge, res, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot fill the polygon at resolution %d: %w", res, err)
	}
	out := make([]Cell, len(cells))
	for i, c := range cells {
		out[i] = Cell(c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func geoLoop(r []Point) h3.GeoLoop {
	out := make(h3.GeoLoop, len(r))
	for i, p := range r {
		out[i] = h3.LatLng{Lat: p.Lat, Lng: p.Lng}
	}
	return out
}

// fillEstimate follows H3's maxPolygonToCellsSize (bboxHexEstimate): the
// square of the bounding box's diagonal, divided by its aspect ratio
// (clamped to 3), over 80% of the area of the resolution's smallest
// (pentagon-sized) hexagon; at least the number of vertices.
func fillEstimate(rings [][]Point, res int) float64 {
	outer := rings[0]
	south, north, west, east := outer[0].Lat, outer[0].Lat, outer[0].Lng, outer[0].Lng
	for _, v := range outer[1:] {
		south, north = min(south, v.Lat), max(north, v.Lat)
		west, east = min(west, v.Lng), max(east, v.Lng)
	}
	d := Distance(Point{Lat: north, Lng: east}, Point{Lat: south, Lng: west}) / 1000
	dLat, dLng := north-south, east-west
	ratio := max(dLat, dLng) / min(dLat, dLng)
	r := pentagonRadiusKm()[res]
	est := math.Ceil(d * d / min(3, ratio) / (0.8 * 2.59807621135 * r * r))
	vertices := 0
	for _, ring := range rings {
		vertices += len(ring)
	}
	return max(est, float64(vertices))
}

// pentagonRadiusKm is, per resolution, the distance from the centre of the
// first pentagon to its first vertex: H3's measure of its smallest cells.
var pentagonRadiusKm = sync.OnceValue(func() (r [MaxResolution + 1]float64) {
	for res := range r {
		ps, err := h3.Pentagons(res)
		if err != nil || len(ps) == 0 {
			panic(fmt.Sprintf("geo: H3 has no pentagons at resolution %d: %v", res, err))
		}
		ctr, err1 := cellToLatLng(Cell(ps[0]))
		b, err2 := cellToBoundary(Cell(ps[0]))
		if err1 != nil || err2 != nil || b.n == 0 {
			panic(fmt.Sprintf("geo: cannot measure H3 pentagon %s: %v %v", Cell(ps[0]), err1, err2))
		}
		r[res] = Distance(ctr, b.v[0]) / 1000
	}
	return r
})
