package geo

// A direct call into the H3 C library that h3-go compiles and links. h3-go's
// LatLngToCell passes Go pointers to C, which makes its arguments escape: two
// heap allocations per call. The edge looks up a cell for every POSITION, so
// this wrapper passes only values and returns a struct: no allocation.

/*
#include <stdint.h>

typedef struct { double lat; double lng; } vx_latlng;
typedef struct { uint64_t cell; uint32_t err; } vx_cell_result;

// Defined by h3-go's bundled H3 library (h3api.h), linked into every binary
// that imports it.
extern uint32_t latLngToCell(const vx_latlng *g, int res, uint64_t *out);

static vx_cell_result vx_latlng_to_cell(double lat_rad, double lng_rad, int res) {
	vx_latlng g = { lat_rad, lng_rad };
	vx_cell_result r = { 0, 0 };
	r.err = latLngToCell(&g, res, &r.cell);
	return r;
}
*/
import "C"

import (
	"fmt"
	"math"

	_ "github.com/uber/h3-go/v4" // links the H3 C library latLngToCell lives in
)

// latLngToCell is h3's latLngToCell on degrees, without allocating.
func latLngToCell(lat, lng float64, res int) (Cell, error) {
	r := C.vx_latlng_to_cell(C.double(lat*math.Pi/180), C.double(lng*math.Pi/180), C.int(res))
	if r.err != 0 {
		return 0, fmt.Errorf("%w: H3 error %d", ErrInvalidPoint, uint32(r.err))
	}
	return Cell(r.cell), nil
}
