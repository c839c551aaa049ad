// Package geo holds Veltrix's geography: H3 cells (a thin, validating
// wrapper over uber/h3-go), polygons, great-circle distances and bearings,
// deterministic treasure placement and the hot/cold hint index.
//
// Cells are plain integers (Cell is a uint64) so that the edge can keep them
// in pointer-free connection state. Invalid input — NaN or out-of-range
// coordinates, a bad resolution, an empty or self-intersecting polygon —
// returns an error that wraps one of the sentinels below, never a panic.
package geo
