package geo

import "math"

// Distances inside the index are compared as squared chords between unit
// vectors (a few multiplications) rather than haversines (trigonometry).
// Both grow with the angle between the points, so they order treasures
// alike — except within rounding error, where candidate falls back to the
// haversine and the id, so that Nearest matches a scan with Distance.

type vec3 struct{ x, y, z float64 }

// unitVec is p on the unit sphere.
func unitVec(p Point) vec3 {
	φ, λ := radians(p.Lat), radians(p.Lng)
	return vec3{math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)}
}

// chord2 is the squared straight-line distance between a and b.
func (a vec3) chord2(b vec3) float64 {
	dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
	return dx*dx + dy*dy + dz*dz
}

// chordSquared is the squared chord of a great-circle distance in metres.
func chordSquared(metres float64) float64 {
	c := 2 * math.Sin(min(metres/(2*EarthRadius), math.Pi/2))
	return c * c
}

// Squared chords closer than tieRel·s + tieAbs may be misordered by
// rounding (the error of s is about 1e-15·√s); such pairs are compared
// exactly. tieAbs is the squared chord of about 6 µm.
const (
	tieRel = 1e-7
	tieAbs = 1e-22
)

// candidate is the best treasure offered so far for query point p.
type candidate struct {
	p     Point
	q     vec3    // p on the unit sphere
	e     *entry  // nil until a treasure is offered
	chord float64 // squared chord from q to e.v (+Inf before)
	dist  float64 // haversine metres from p to e.p; < 0 until needed
}

// offer keeps e if it is nearer than the best so far, or equally near with
// a lower id.
func (c *candidate) offer(e *entry) {
	s := c.q.chord2(e.v)
	band := tieRel*max(s, c.chord) + tieAbs
	switch {
	case c.e == nil || s < c.chord-band:
		*c = candidate{p: c.p, q: c.q, e: e, chord: s, dist: -1}
	case s <= c.chord+band:
		if c.dist < 0 {
			c.dist = Distance(c.p, c.e.p)
		}
		if d := Distance(c.p, e.p); d < c.dist || (d == c.dist && e.id < c.e.id) {
			*c = candidate{p: c.p, q: c.q, e: e, chord: s, dist: d}
		}
	}
}
