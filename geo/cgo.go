package geo

// Direct calls into the H3 C library that h3-go compiles and links. h3-go's
// wrappers pass pointers to Go values to C, which makes them escape (a heap
// allocation per call), and allocate their results. The edge looks up a
// cell for every POSITION and a grid disk for every cell change, so these
// wrappers pass values, return structs, or write into caller-owned memory
// under #cgo noescape: no allocation.
//
// This file is the package's only use of cgo and unsafe. The H3 functions
// are declared here by hand, with the same ABI as h3api.h (H3Index is
// uint64_t, H3Error is uint32_t, LatLng is two doubles, a CellBoundary holds
// at most 10 vertices).

/*
#cgo noescape vx_grid_disk
#cgo nocallback vx_grid_disk
#cgo noescape vx_grid_ring
#cgo nocallback vx_grid_ring

#include <stdint.h>

typedef struct { double lat; double lng; } vx_latlng;
typedef struct { uint64_t cell; uint32_t err; } vx_cell_result;
typedef struct { vx_latlng ll; uint32_t err; } vx_latlng_result;
typedef struct { int num; vx_latlng verts[10]; } vx_boundary;
typedef struct { vx_boundary b; uint32_t err; } vx_boundary_result;

// Defined by h3-go's bundled H3 library, linked into every binary that
// imports it.
extern uint32_t latLngToCell(const vx_latlng *g, int res, uint64_t *out);
extern uint32_t cellToLatLng(uint64_t cell, vx_latlng *out);
extern uint32_t cellToBoundary(uint64_t cell, vx_boundary *out);
extern uint32_t gridDisk(uint64_t origin, int k, uint64_t *out);
extern uint32_t gridRing(uint64_t origin, int k, uint64_t *out);

static vx_cell_result vx_latlng_to_cell(double lat_rad, double lng_rad, int res) {
	vx_latlng g = { lat_rad, lng_rad };
	vx_cell_result r = { 0, 0 };
	r.err = latLngToCell(&g, res, &r.cell);
	return r;
}

static vx_latlng_result vx_cell_to_latlng(uint64_t cell) {
	vx_latlng_result r = { { 0, 0 }, 0 };
	r.err = cellToLatLng(cell, &r.ll);
	return r;
}

static vx_boundary_result vx_cell_to_boundary(uint64_t cell) {
	vx_boundary_result r;
	r.b.num = 0;
	r.err = cellToBoundary(cell, &r.b);
	return r;
}

// out must hold 3k(k+1)+1 zeroed cells.
static uint32_t vx_grid_disk(uint64_t origin, int k, uint64_t *out) {
	return gridDisk(origin, k, out);
}

// out must hold max(6k, 1) zeroed cells.
static uint32_t vx_grid_ring(uint64_t origin, int k, uint64_t *out) {
	return gridRing(origin, k, out);
}
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	_ "github.com/uber/h3-go/v4" // links the H3 C library the functions above live in
)

// radsToDegs converts H3's radians exactly as h3-go does, so that centres
// and boundaries are bit-for-bit those of h3-go (placement depends on them).
const radsToDegs = 180.0 / math.Pi

// latLngToCell is h3's latLngToCell on degrees, without allocating.
func latLngToCell(lat, lng float64, res int) (Cell, error) {
	r := C.vx_latlng_to_cell(C.double(lat*math.Pi/180), C.double(lng*math.Pi/180), C.int(res))
	if r.err != 0 {
		return 0, fmt.Errorf("%w: H3 error %d", ErrInvalidPoint, uint32(r.err))
	}
	return Cell(r.cell), nil
}

func pointFromC(ll C.vx_latlng) Point {
	return Point{Lat: radsToDegs * float64(ll.lat), Lng: radsToDegs * float64(ll.lng)}
}

// cellToLatLng is h3's cellToLatLng in degrees, without allocating.
func cellToLatLng(c Cell) (Point, error) {
	r := C.vx_cell_to_latlng(C.uint64_t(c))
	if r.err != 0 {
		return Point{}, fmt.Errorf("%w: %s (H3 error %d)", ErrInvalidCell, c, uint32(r.err))
	}
	return pointFromC(r.ll), nil
}

// boundary is a cell's outline: at most 10 vertices (a pentagon or a
// hexagon, plus distortion vertices where it crosses an icosahedron edge).
type boundary struct {
	n int
	v [10]Point
}

func (b *boundary) points() []Point { return b.v[:b.n] }

// cellToBoundary is h3's cellToBoundary in degrees, without allocating.
func cellToBoundary(c Cell) (boundary, error) {
	r := C.vx_cell_to_boundary(C.uint64_t(c))
	if r.err != 0 {
		return boundary{}, fmt.Errorf("%w: %s (H3 error %d)", ErrInvalidCell, c, uint32(r.err))
	}
	b := boundary{n: min(int(r.b.num), len(r.b.verts))}
	for i := range b.n {
		b.v[i] = pointFromC(r.b.verts[i])
	}
	return b, nil
}

// gridDiskInto writes the disk of radius k around c into out, which must
// hold diskSize(k) cells; slots H3 leaves empty (around pentagons) are 0.
func gridDiskInto(c Cell, k int, out []Cell) error {
	clear(out)
	if err := C.vx_grid_disk(C.uint64_t(c), C.int(k), (*C.uint64_t)(unsafe.Pointer(&out[0]))); err != 0 {
		return fmt.Errorf("cannot compute the grid disk of radius %d around %s: H3 error %d", k, c, uint32(err))
	}
	return nil
}

// gridRingInto writes the ring at distance k around c into out, which must
// hold ringSize(k) cells; slots H3 leaves empty (around pentagons) are 0.
// out may live on the caller's stack (noescape).
func gridRingInto(c Cell, k int, out []Cell) error {
	clear(out)
	if err := C.vx_grid_ring(C.uint64_t(c), C.int(k), (*C.uint64_t)(unsafe.Pointer(&out[0]))); err != 0 {
		return fmt.Errorf("cannot compute the grid ring at distance %d around %s: H3 error %d", k, c, uint32(err))
	}
	return nil
}

// diskSize is the number of cells in a grid disk of radius k.
func diskSize(k int) int { return 3*k*(k+1) + 1 }

// ringSize is the number of cells in a grid ring at distance k.
func ringSize(k int) int { return max(6*k, 1) }
