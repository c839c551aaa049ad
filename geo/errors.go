package geo

import "errors"

// Sentinels that every input error wraps; callers branch with errors.Is.
var (
	ErrInvalidPoint      = errors.New("invalid point")
	ErrInvalidResolution = errors.New("invalid H3 resolution")
	ErrInvalidCell       = errors.New("invalid H3 cell")
	ErrEmptyPolygon      = errors.New("empty polygon")
	ErrSelfIntersecting  = errors.New("self-intersecting polygon")
	ErrTooManyVertices   = errors.New("polygon has too many vertices")
	ErrAreaTooSmall      = errors.New("area cannot hold the treasures")
	ErrInvalidPlacement  = errors.New("invalid placement")
)
