package geo

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// Run one: go test ./geo/ -run=^$ -fuzz=FuzzCellOf -fuzztime=30s

func FuzzCellOf(f *testing.F) {
	f.Add(52.37, 4.89, 9)
	f.Add(math.NaN(), 0.0, 9)
	f.Add(math.Inf(-1), 0.0, 9)
	f.Add(90.0, 180.0, 15)
	f.Add(-90.0, -180.0, 0)
	f.Add(-91.0, 0.0, 0)
	f.Add(0.0, 180.0000001, 5)
	f.Add(10.0, 10.0, 16)
	f.Add(10.0, 10.0, -1)
	f.Fuzz(func(t *testing.T, lat, lng float64, res int) {
		c, err := CellOf(Point{Lat: lat, Lng: lng}, res)
		valid := !math.IsNaN(lat) && !math.IsNaN(lng) && math.Abs(lat) <= 90 && math.Abs(lng) <= 180 && res >= 0 && res <= 15
		if valid != (err == nil) {
			t.Fatalf("CellOf(%v, %v, %d) = %v, %v", lat, lng, res, c, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPoint) && !errors.Is(err, ErrInvalidResolution) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !c.IsValid() || c.Resolution() != res {
			t.Fatalf("CellOf(%v, %v, %d) = invalid cell %s", lat, lng, res, c)
		}
		if _, err := CellCenter(c); err != nil {
			t.Fatalf("centre of %s: %v", c, err)
		}
		if disk, err := GridDisk(c, 1); err != nil || len(disk) < 6 {
			t.Fatalf("disk of %s: %d cells, %v", c, len(disk), err)
		}
	})
}

// polygonFromBytes reads rings of int16 (lat, lng) pairs, in steps of
// 1/3000 degree around Amsterdam; a 0xffff word starts the next ring (a
// hole). Large values reach far enough to make edges and vertices invalid.
func polygonFromBytes(b []byte) Polygon {
	var p Polygon
	cur := &p.Outer
	for ; len(b) >= 2; b = b[2:] {
		w := binary.LittleEndian.Uint16(b)
		if w == 0xffff && len(p.Holes) < 4 {
			p.Holes = append(p.Holes, nil)
			cur = &p.Holes[len(p.Holes)-1]
			continue
		}
		if len(b) < 4 {
			break
		}
		dlat, dlng := int16(w), int16(binary.LittleEndian.Uint16(b[2:]))
		b = b[2:]
		*cur = append(*cur, Point{Lat: 52 + float64(dlat)/300, Lng: 4.9 + float64(dlng)/150})
	}
	return p
}

// FuzzPolygonValidate checks that validation and filling never panic, fail
// only with the package's sentinels, and that a valid polygon fills.
func FuzzPolygonValidate(f *testing.F) {
	le := func(v ...int16) []byte {
		b := make([]byte, 0, 2*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, uint16(x))
		}
		return b
	}
	f.Add(le(0, 0, 10, 0, 10, 10, 0, 10))                                  // square
	f.Add(le(0, 0, 10, 10, 0, 10, 10, 0))                                  // bow tie
	f.Add(le(0, 0, 0, 0, 10, 0, 10, 10, 0, 10, 0, 0))                      // repeats
	f.Add(le(0, 0, 100, 0, 100, 100, 0, 100, -1, 40, 40, 60, 40, 60, 60))  // with a hole
	f.Add(le(0, 0, 100, 0, 100, 100, 0, 100, -1, 40, 40, 160, 40, 60, 60)) // hole crossing
	f.Add(le(0, 0, 30000, 0, 30000, 30000))                                // vertices out of range
	f.Add(le(0, 0, 1, 1, 2, 2))                                            // collinear
	f.Fuzz(func(t *testing.T, b []byte) {
		p := polygonFromBytes(b)
		err := p.Validate()
		if err != nil {
			for _, s := range []error{ErrEmptyPolygon, ErrSelfIntersecting, ErrInvalidPoint, ErrMisplacedHole, ErrTooManyVertices} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		cells, err := PolygonCells(p, 5)
		if err != nil && !errors.Is(err, ErrAreaTooLarge) {
			t.Fatalf("valid polygon does not fill: %v", err)
		}
		for _, c := range cells {
			if !c.IsValid() || c.Resolution() != 5 {
				t.Fatalf("fill returned %s", c)
			}
		}
	})
}
