package geo

import "fmt"

// Planar geometry on (longitude, latitude) for polygon validation. Rings
// are small next to the Earth and never cross the antimeridian, and H3
// itself treats polygon edges as straight lines in latitude/longitude, so
// this is the geometry the fill will see.

// orient is the sign of the turn a→b→c: > 0 left, < 0 right, 0 collinear.
func orient(a, b, c Point) float64 {
	return (b.Lng-a.Lng)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lng-a.Lng)
}

// onSegment reports whether p, known to be collinear with a and b, lies
// between them (ends included).
func onSegment(a, b, p Point) bool {
	return min(a.Lng, b.Lng) <= p.Lng && p.Lng <= max(a.Lng, b.Lng) &&
		min(a.Lat, b.Lat) <= p.Lat && p.Lat <= max(a.Lat, b.Lat)
}

// segmentsIntersect reports whether segments ab and cd share a point:
// they cross, or an end of one touches the other.
func segmentsIntersect(a, b, c, d Point) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return (o1 > 0) != (o2 > 0) && (o3 > 0) != (o4 > 0)
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// foldsBack reports whether consecutive edges u→v and v→w overlap: they
// are collinear and the second runs back along the first (or past u).
func foldsBack(u, v, w Point) bool {
	return orient(u, v, w) == 0 && (onSegment(u, v, w) || onSegment(v, w, u))
}

// checkSelfCrossing compares every pair of edges of ring r (distinct
// consecutive vertices, at least 3): edges that share a vertex may only
// meet there; others may not meet at all. O(n²).
func checkSelfCrossing(r []Point) error {
	n := len(r)
	for i := range n {
		a, b := edge(r, i)
		for j := i + 1; j < n; j++ {
			c, d := edge(r, j)
			var meet bool
			switch {
			case j == i+1: // b == c
				meet = foldsBack(a, b, d)
			case i == 0 && j == n-1: // d == a
				meet = foldsBack(c, a, b)
			default:
				meet = segmentsIntersect(a, b, c, d)
			}
			if meet {
				return fmt.Errorf("%w: edge %d (from %v) meets edge %d (from %v) away from a shared vertex",
					ErrSelfIntersecting, i, a, j, c)
			}
		}
	}
	return nil
}

// checkCrossings reports the first pair of edges of two different rings
// that cross or touch. O(n²) in the vertices of all rings.
func checkCrossings(rings [][]Point) error {
	for ri := range rings {
		for rj := ri + 1; rj < len(rings); rj++ {
			if i, j, ok := ringsMeet(rings[ri], rings[rj]); ok {
				return fmt.Errorf("%w: %s edge %d meets %s edge %d", ErrSelfIntersecting, ringName(ri), i, ringName(rj), j)
			}
		}
	}
	return nil
}

func ringsMeet(r, s []Point) (i, j int, ok bool) {
	for i := range r {
		a, b := edge(r, i)
		for j := range s {
			c, d := edge(s, j)
			if segmentsIntersect(a, b, c, d) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// checkHoles reports a hole outside the outer ring or inside another hole.
// Rings do not meet (checkCrossings), so one vertex of a hole decides.
func checkHoles(rings [][]Point) error {
	for i := 1; i < len(rings); i++ {
		v := rings[i][0]
		if !pointInRing(v, rings[0]) {
			return fmt.Errorf("%w: %s lies outside the outer ring", ErrMisplacedHole, ringName(i))
		}
		for j := 1; j < len(rings); j++ {
			if j != i && pointInRing(v, rings[j]) {
				return fmt.Errorf("%w: %s lies inside %s", ErrMisplacedHole, ringName(i), ringName(j))
			}
		}
	}
	return nil
}

// pointInRing reports whether p lies inside ring r, by counting the edges a
// ray from p towards increasing longitude crosses (p not on an edge).
func pointInRing(p Point, r []Point) bool {
	in := false
	for i := range r {
		a, b := edge(r, i)
		if (a.Lat > p.Lat) == (b.Lat > p.Lat) {
			continue
		}
		x := a.Lng + (p.Lat-a.Lat)/(b.Lat-a.Lat)*(b.Lng-a.Lng)
		if p.Lng < x {
			in = !in
		}
	}
	return in
}
