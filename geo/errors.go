package geo

import "errors"

// Sentinels that every input error wraps; callers branch with errors.Is.
// The wrapping error says in words what is wrong and where (the value, the
// vertex or edge index).
var (
	ErrInvalidPoint      = errors.New("invalid point")                  // NaN or infinite, |lat| > 90, |lng| > 180
	ErrInvalidResolution = errors.New("invalid H3 resolution")          // outside 0..15, or mismatched
	ErrInvalidCell       = errors.New("invalid H3 cell")                // not an H3 cell index
	ErrInvalidRadius     = errors.New("invalid grid disk radius")       // outside 0..MaxDiskRadius
	ErrEmptyPolygon      = errors.New("empty polygon")                  // fewer than 3 distinct vertices, or no area
	ErrSelfIntersecting  = errors.New("self-intersecting polygon")      // two edges cross or touch
	ErrMisplacedHole     = errors.New("polygon hole outside the area")  // a hole not inside the outer ring, or inside another hole
	ErrTooManyVertices   = errors.New("polygon has too many vertices")  // more than MaxVertices
	ErrAreaTooLarge      = errors.New("area has too many cells")        // more than MaxPolygonCells at the resolution
	ErrAreaTooSmall      = errors.New("area cannot hold the treasures") // fewer cells, or fewer spaced cells, than Count
	ErrInvalidPlacement  = errors.New("invalid placement")              // Count or MinSpacing out of range
)
