// Package geo is Veltrix's geography: H3 cells (a thin, validating wrapper
// over uber/h3-go), polygons, great-circle distances and bearings,
// deterministic treasure placement, and the nearest-treasure index behind
// hot/cold hints.
//
// Data flows three ways (README.md draws them):
//
//   - point → cell → disk: CellOf buckets a player's position, AppendGridDisk
//     gives the cells of its interest area. Both run per message on the edge
//     and do not allocate.
//   - area → cells → placement: Polygon.Validate checks an operator's area,
//     PolygonCells fills it, Place picks the treasures' cells and positions,
//     the same on every coordinator replica.
//   - treasures → index → hint: an Index buckets the unclaimed treasures;
//     Nearest and Hint answer a player without scanning them all.
//
// Cells are plain integers (Cell is a uint64) so that the edge can keep them
// in pointer-free state; Point, Treasure and Band are pointer-free too.
// Invalid input — NaN or out-of-range coordinates, a bad resolution or
// cell, an empty, self-intersecting or oversized polygon, an impossible
// placement — returns an error that wraps one of the Err sentinels (for
// errors.Is) and says in words what is wrong and where; never a panic.
//
// Distances are great-circle distances on a sphere of the mean Earth radius
// (EarthRadius). Wire positions are int32 degrees × 1e7 (PointE7, E7).
package geo
