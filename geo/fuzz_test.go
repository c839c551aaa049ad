package geo

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

func FuzzCellOf(f *testing.F) {
	f.Add(52.37, 4.89, 9)
	f.Add(math.NaN(), 0.0, 9)
	f.Add(90.0, 180.0, 15)
	f.Add(-91.0, 0.0, 0)
	f.Fuzz(func(t *testing.T, lat, lng float64, res int) {
		c, err := CellOf(Point{Lat: lat, Lng: lng}, res)
		valid := !math.IsNaN(lat) && !math.IsNaN(lng) && math.Abs(lat) <= 90 && math.Abs(lng) <= 180 && res >= 0 && res <= 15
		if valid != (err == nil) {
			t.Fatalf("CellOf(%v, %v, %d) = %v, %v", lat, lng, res, c, err)
		}
		if err == nil && (!c.IsValid() || c.Resolution() != res) {
			t.Fatalf("invalid cell %s", c)
		}
		if err != nil && !errors.Is(err, ErrInvalidPoint) && !errors.Is(err, ErrInvalidResolution) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// FuzzPolygon builds a polygon from pairs of int16 (hundredths of a degree
// around Amsterdam) and checks validation and filling never panic and fail
// only with the package's errors.
func FuzzPolygon(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 10, 0, 0, 0, 10, 0})
	f.Add([]byte{0, 0, 0, 0, 10, 0, 10, 0, 0, 0, 10, 0, 10, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Polygon
		for ; len(b) >= 4 && len(p.Outer) < 64; b = b[4:] {
			dlat, dlng := int16(binary.LittleEndian.Uint16(b)), int16(binary.LittleEndian.Uint16(b[2:]))
			p.Outer = append(p.Outer, Point{Lat: 52 + float64(dlat)/3000, Lng: 4.9 + float64(dlng)/3000})
		}
		err := p.Validate()
		if err != nil {
			if !errors.Is(err, ErrEmptyPolygon) && !errors.Is(err, ErrSelfIntersecting) && !errors.Is(err, ErrInvalidPoint) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if _, err := PolygonCells(p, 7); err != nil {
			t.Fatalf("valid polygon does not fill: %v", err)
		}
	})
}
