package geo

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/uber/h3-go/v4"
)

// Cell is an H3 cell index. It is a plain integer so that the edge can keep
// cells in pointer-free state.
type Cell uint64

// MaxResolution is the finest H3 resolution.
const MaxResolution = 15

// MaxDiskRadius bounds the radius of a grid disk (a disk of radius k holds
// 3k(k+1)+1 cells: about 3 million at the maximum).
const MaxDiskRadius = 1000

// String returns the canonical H3 form of c: lower-case hexadecimal.
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
		return fmt.Errorf("%w: %s is not an H3 cell index", ErrInvalidCell, c)
	}
	return nil
}

func checkRadius(k int) error {
	if k < 0 || k > MaxDiskRadius {
		return fmt.Errorf("%w: %d is outside 0..%d", ErrInvalidRadius, k, MaxDiskRadius)
	}
	return nil
}

// CellOf returns the cell containing p at resolution res. It does not
// allocate.
func CellOf(p Point, res int) (Cell, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if err := checkResolution(res); err != nil {
		return 0, err
	}
	return latLngToCell(p.Lat, p.Lng, res)
}

// GridDisk returns the cells within grid distance k of c, c included, in
// H3's order (deterministic, otherwise unspecified).
func GridDisk(c Cell, k int) ([]Cell, error) { return AppendGridDisk(nil, c, k) }

// AppendGridDisk appends the cells within grid distance k of c to dst, in
// the order of GridDisk, and returns the extended slice. H3 writes straight
// into dst's spare capacity, so a caller that reuses dst (dst[:0]) with room
// for 3k(k+1)+1 more cells does not allocate. On error dst is returned
// unchanged.
func AppendGridDisk(dst []Cell, c Cell, k int) ([]Cell, error) {
	if err := checkCell(c); err != nil {
		return dst, err
	}
	if err := checkRadius(k); err != nil {
		return dst, err
	}
	n := len(dst)
	out := slices.Grow(dst, diskSize(k))[:n+diskSize(k)]
	if err := gridDiskInto(c, k, out[n:]); err != nil {
		return dst, err
	}
	return append(out[:n], compactCells(out[n:])...), nil
}

// compactCells drops the empty (0) slots H3 leaves around pentagons,
// keeping the order, in place.
func compactCells(cells []Cell) []Cell {
	return slices.DeleteFunc(cells, func(x Cell) bool { return x == 0 })
}

// GridDistance is the number of grid steps between a and b, which must have
// the same resolution. H3 cannot measure very distant cells (or some across
// a pentagon) and then returns an error.
func GridDistance(a, b Cell) (int, error) {
	if err := checkCell(a); err != nil {
		return 0, err
	}
	if err := checkCell(b); err != nil {
		return 0, err
	}
	if a.Resolution() != b.Resolution() {
		return 0, fmt.Errorf("%w: cannot measure from %s (resolution %d) to %s (resolution %d)",
			ErrInvalidResolution, a, a.Resolution(), b, b.Resolution())
	}
	d, err := h3.GridDistance(h3.Cell(a), h3.Cell(b))
	if err != nil {
		return 0, fmt.Errorf("cannot measure the grid distance from %s to %s: %w", a, b, err)
	}
	return d, nil
}

// CellCenter returns the centre of c. It does not allocate.
func CellCenter(c Cell) (Point, error) {
	if err := checkCell(c); err != nil {
		return Point{}, err
	}
	return cellToLatLng(c)
}

// CellBoundary returns the vertices of c, counter-clockwise.
func CellBoundary(c Cell) ([]Point, error) {
	if err := checkCell(c); err != nil {
		return nil, err
	}
	b, err := cellToBoundary(c)
	if err != nil {
		return nil, err
	}
	return slices.Clone(b.points()), nil
}

// Parent returns the ancestor of c at the resolution res, which must not be
// finer than c's.
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
		return 0, fmt.Errorf("cannot find the parent of %s at resolution %d: %w", c, res, err)
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
