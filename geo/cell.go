package geo

import (
	"fmt"
	"strconv"

	"github.com/uber/h3-go/v4"
)

// Cell is an H3 cell index.
type Cell uint64

// MaxResolution is the finest H3 resolution.
const MaxResolution = 15

// String returns the canonical hexadecimal form of c.
func (c Cell) String() string { return strconv.FormatUint(uint64(c), 16) }

// IsValid reports whether c is a valid H3 cell.
func (c Cell) IsValid() bool { return h3.Cell(c).IsValid() }

// Resolution returns c's resolution (meaningful only when c is valid).
func (c Cell) Resolution() int { return h3.Cell(c).Resolution() }

func checkResolution(res int) error {
	if res < 0 || res > MaxResolution {
		return fmt.Errorf("%w: %d is outside 0..%d", ErrInvalidResolution, res, MaxResolution)
	}
	return nil
}

func checkCell(c Cell) error {
	if !c.IsValid() {
		return fmt.Errorf("%w: %s", ErrInvalidCell, c)
	}
	return nil
}

// CellOf returns the cell containing p at resolution res.
func CellOf(p Point, res int) (Cell, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if err := checkResolution(res); err != nil {
		return 0, err
	}
	return latLngToCell(p.Lat, p.Lng, res)
}

// GridDisk returns the cells within grid distance k of c, c included, in no
// particular order.
func GridDisk(c Cell, k int) ([]Cell, error) { return AppendGridDisk(nil, c, k) }

// AppendGridDisk appends the cells within grid distance k of c to dst. h3-go
// allocates its result; this copies it so callers can reuse dst.
func AppendGridDisk(dst []Cell, c Cell, k int) ([]Cell, error) {
	if err := checkCell(c); err != nil {
		return dst, err
	}
	if k < 0 {
		return dst, fmt.Errorf("grid disk radius %d is negative", k)
	}
	cells, err := h3.GridDisk(h3.Cell(c), k)
	if err != nil {
		return dst, fmt.Errorf("grid disk of %s: %w", c, err)
	}
	for _, x := range cells {
		dst = append(dst, Cell(x))
	}
	return dst, nil
}

// GridDistance is the number of grid steps between a and b (same resolution).
func GridDistance(a, b Cell) (int, error) {
	if err := checkCell(a); err != nil {
		return 0, err
	}
	if err := checkCell(b); err != nil {
		return 0, err
	}
	d, err := h3.GridDistance(h3.Cell(a), h3.Cell(b))
	if err != nil {
		return 0, fmt.Errorf("grid distance %s–%s: %w", a, b, err)
	}
	return d, nil
}

// CellCenter returns the centre of c.
func CellCenter(c Cell) (Point, error) {
	if err := checkCell(c); err != nil {
		return Point{}, err
	}
	ll, err := h3.CellToLatLng(h3.Cell(c))
	if err != nil {
		return Point{}, fmt.Errorf("%w: %v", ErrInvalidCell, err)
	}
	return Point{Lat: ll.Lat, Lng: ll.Lng}, nil
}

// CellBoundary returns the vertices of c, counter-clockwise.
func CellBoundary(c Cell) ([]Point, error) {
	if err := checkCell(c); err != nil {
		return nil, err
	}
	b, err := h3.CellToBoundary(h3.Cell(c))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCell, err)
	}
	out := make([]Point, len(b))
	for i, ll := range b {
		out[i] = Point{Lat: ll.Lat, Lng: ll.Lng}
	}
	return out, nil
}

// Parent returns the ancestor of c at the coarser resolution res.
func Parent(c Cell, res int) (Cell, error) {
	if err := checkCell(c); err != nil {
		return 0, err
	}
	if err := checkResolution(res); err != nil {
		return 0, err
	}
	if res > c.Resolution() {
		return 0, fmt.Errorf("%w: parent resolution %d is finer than the cell's %d", ErrInvalidResolution, res, c.Resolution())
	}
	p, err := h3.Cell(c).Parent(res)
	if err != nil {
		return 0, fmt.Errorf("parent of %s: %w", c, err)
	}
	return Cell(p), nil
}

// EdgeLength is the average edge length of a hexagon at res, in metres
// (about the distance from a cell's centre to its vertices).
func EdgeLength(res int) (float64, error) {
	if err := checkResolution(res); err != nil {
		return 0, err
	}
	return h3.HexagonEdgeLengthAvgM(res)
}
