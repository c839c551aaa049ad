package geo

import (
	"fmt"
	"math"
)

// Point is a position in degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// E7 is the scale of the wire format's int32 coordinates (degrees × 1e7).
const E7 = 1e7

// PointE7 converts wire coordinates to a Point.
func PointE7(lat, lng int32) Point { return Point{Lat: float64(lat) / E7, Lng: float64(lng) / E7} }

// E7 converts p to wire coordinates, rounding to the nearest unit (halves
// away from zero). p must be valid (see Validate): 180° is 1.8e9, within
// int32.
func (p Point) E7() (lat, lng int32) {
	return int32(math.Round(p.Lat * E7)), int32(math.Round(p.Lng * E7))
}

// Validate reports whether p is a real position: finite, |lat| ≤ 90 and
// |lng| ≤ 180.
func (p Point) Validate() error {
	switch {
	case math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || math.IsInf(p.Lat, 0) || math.IsInf(p.Lng, 0):
		return fmt.Errorf("%w: (%v, %v) is not finite", ErrInvalidPoint, p.Lat, p.Lng)
	case p.Lat < -90 || p.Lat > 90:
		return fmt.Errorf("%w: latitude %v is outside [-90, 90]", ErrInvalidPoint, p.Lat)
	case p.Lng < -180 || p.Lng > 180:
		return fmt.Errorf("%w: longitude %v is outside [-180, 180]", ErrInvalidPoint, p.Lng)
	}
	return nil
}

// EarthRadius is the mean Earth radius in metres (IUGG).
const EarthRadius = 6371008.8

func radians(d float64) float64 { return d * math.Pi / 180 }

// Distance is the great-circle (haversine) distance from a to b in metres.
func Distance(a, b Point) float64 {
	φ1, φ2 := radians(a.Lat), radians(b.Lat)
	dφ, dλ := φ2-φ1, radians(b.Lng-a.Lng)
	s := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * EarthRadius * math.Asin(math.Sqrt(min(1, s)))
}

// Bearing is the initial great-circle bearing from a to b in degrees, in
// [0, 360), clockwise from north.
func Bearing(a, b Point) float64 {
	φ1, φ2 := radians(a.Lat), radians(b.Lat)
	dλ := radians(b.Lng - a.Lng)
	y := math.Sin(dλ) * math.Cos(φ2)
	x := math.Cos(φ1)*math.Sin(φ2) - math.Sin(φ1)*math.Cos(φ2)*math.Cos(dλ)
	deg := math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
	if deg >= 360 { // -0 and rounding
		deg = 0
	}
	return deg
}
