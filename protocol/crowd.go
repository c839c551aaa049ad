package protocol

import "slices"

// Crowd mode messages (SPEC.md §2.2): CELL_SUMMARY, what a crowded cell
// holds when its players are sampled, and TICK_RATE, the edge's fan-out
// rate when it changes.

// SummaryChild is one finer cell of a CELL_SUMMARY: how many of the cell's
// players stand in it, and their centroid.
type SummaryChild struct {
	Cell  Cell   `json:"cell"`
	Count uint16 `json:"count"`
	Lat   int32  `json:"lat"`
	Lng   int32  `json:"lng"`
}

// CellSummary is a crowded cell at one tick: how many players it holds,
// their centroid, and their counts in its finer child cells.
type CellSummary struct {
	Cell     Cell           `json:"cell"`
	Tick     uint32         `json:"tick"`
	Count    uint32         `json:"count"`
	Lat      int32          `json:"lat"`
	Lng      int32          `json:"lng"`
	Children []SummaryChild `json:"children"` // at most MaxSummaryChildren are encoded
}

const (
	cellSummaryFixed   = 25 // cell, tick, count, lat, lng, count of children
	SummaryChildSize   = 18 // cell, count, lat, lng
	MaxSummaryChildren = 49 // two resolutions finer
)

// AppendCellSummary appends m to dst, with at most MaxSummaryChildren
// children. It allocates nothing when dst has room.
func AppendCellSummary(dst []byte, m *CellSummary) []byte {
	n := min(len(m.Children), MaxSummaryChildren)
	dst = appendHeader(dst, TypeCellSummary, cellSummaryFixed+n*SummaryChildSize)
	dst = appendU64(dst, uint64(m.Cell))
	dst = appendU32(dst, m.Tick)
	dst = appendU32(dst, m.Count)
	dst = appendI32(dst, m.Lat)
	dst = append(appendI32(dst, m.Lng), uint8(n))
	for i := range n {
		c := &m.Children[i]
		dst = appendU16(appendU64(dst, uint64(c.Cell)), c.Count)
		dst = appendI32(appendI32(dst, c.Lat), c.Lng)
	}
	return dst
}

// Decode fills m from body, reusing m.Children.
func (m *CellSummary) Decode(body []byte) error {
	if len(body) < cellSummaryFixed {
		return ErrTruncated
	}
	n, off, err := readCount(body, cellSummaryFixed-1, 1, SummaryChildSize, MaxSummaryChildren)
	if err != nil {
		return err
	}
	m.Cell, m.Tick, m.Count = Cell(le.Uint64(body)), le.Uint32(body[8:]), le.Uint32(body[12:])
	m.Lat, m.Lng = int32(le.Uint32(body[16:])), int32(le.Uint32(body[20:]))
	m.Children = slices.Grow(m.Children[:0], n)[:n]
	for i := range m.Children {
		c := body[off : off+SummaryChildSize]
		m.Children[i] = SummaryChild{Cell: Cell(le.Uint64(c)), Count: le.Uint16(c[8:]),
			Lat: int32(le.Uint32(c[10:])), Lng: int32(le.Uint32(c[14:]))}
		off += SummaryChildSize
	}
	return nil
}

// TickRate tells the client the edge's fan-out rate changed: it runs
// TickHz ticks a second from now on (WELCOME gave the first).
type TickRate struct {
	TickHz uint8 `json:"tickHz"`
	Reason uint8 `json:"reason"` // TickRateNormal or TickRateOverload
}

// TICK_RATE reasons.
const (
	TickRateNormal   uint8 = 0 // back at the configured rate
	TickRateOverload uint8 = 1 // slowed: the edge is overloaded
)

// AppendTickRate appends m to dst.
func AppendTickRate(dst []byte, m *TickRate) []byte {
	return append(appendHeader(dst, TypeTickRate, 2), m.TickHz, m.Reason)
}

// Decode fills m from body.
func (m *TickRate) Decode(body []byte) error {
	if len(body) < 2 {
		return ErrTruncated
	}
	m.TickHz, m.Reason = body[0], body[1]
	return nil
}

func (*CellSummary) Type() Type                   { return TypeCellSummary }
func (*TickRate) Type() Type                      { return TypeTickRate }
func (m *CellSummary) AppendTo(dst []byte) []byte { return AppendCellSummary(dst, m) }
func (m *TickRate) AppendTo(dst []byte) []byte    { return AppendTickRate(dst, m) }
