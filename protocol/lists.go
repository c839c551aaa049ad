package protocol

import "slices"

// Edge → client messages that carry lists (SPEC.md §2.2). Decoders reuse the
// capacity of the caller's slice, so a long-lived struct decodes without
// allocating once it has grown to the largest list it has seen.

// CellEntry is one player's change in a CELL_UPDATE.
type CellEntry struct {
	Op     uint8  `json:"op"`
	Player uint32 `json:"player"`
	Lat    int32  `json:"lat"`
	Lng    int32  `json:"lng"`
	Stamp  uint32 `json:"stamp"` // low 32 bits of the POSITION time
}

// CellUpdate is what changed in one H3 cell during one tick.
type CellUpdate struct {
	Cell    Cell        `json:"cell"`
	Tick    uint32      `json:"tick"`
	Flags   uint8       `json:"flags"`
	Entries []CellEntry `json:"entries"` // at most MaxCellEntries are encoded
	// Origin is the edge whose players the entries are (SPEC.md §2.5),
	// appended after the entries; 0: none carried (a v1 sender).
	Origin uint32 `json:"origin,omitempty"`
}

// BeginCellUpdate appends the fixed part of a CELL_UPDATE with no entries and
// returns where the message starts. Append entries with AppendCellEntry, then
// seal the message with EndCellUpdate. This is how the edge encodes a cell once
// per tick without building a CellUpdate first.
func BeginCellUpdate(dst []byte, cell Cell, tick uint32, flags uint8) ([]byte, int) {
	start := len(dst)
	dst = appendHeader(dst, TypeCellUpdate, 0)
	dst = appendU64(dst, uint64(cell))
	dst = appendU32(dst, tick)
	dst = append(dst, flags, 0, 0)
	return dst, start
}

// AppendCellEntry appends one entry to the CELL_UPDATE being built.
func AppendCellEntry(dst []byte, e *CellEntry) []byte {
	dst = append(dst, e.Op)
	dst = appendU32(dst, e.Player)
	dst = appendI32(dst, e.Lat)
	dst = appendI32(dst, e.Lng)
	return appendU32(dst, e.Stamp)
}

// CellEntries returns how many entries the CELL_UPDATE started at start holds.
func CellEntries(dst []byte, start int) int {
	return (len(dst) - start - HeaderSize - cellUpdateFixed) / CellEntrySize
}

// EndCellUpdate writes the length and entry count of the CELL_UPDATE started at
// start. The caller keeps it to MaxCellEntries entries (MaxDatagramCellEntries
// for a datagram).
func EndCellUpdate(dst []byte, start int) []byte {
	patchLength(dst, start)
	le.PutUint16(dst[start+HeaderSize+13:], uint16(CellEntries(dst, start)))
	return dst
}

// EndCellUpdateOrigin is EndCellUpdate for a CELL_UPDATE that carries its
// origin (SPEC.md §2.5): it appends origin after the entries. An origin of
// 0 is not carried.
func EndCellUpdateOrigin(dst []byte, start int, origin uint32) []byte {
	return endWithOrigin(dst, start, start+HeaderSize+13, CellEntries(dst, start), origin)
}

// endWithOrigin seals a list message that may carry its origin (SPEC.md
// §2.5: CELL_UPDATE, FINE_CELL) started at start: it writes the entry
// count n at countAt, appends origin (0: not carried) and patches the
// length.
func endWithOrigin(dst []byte, start, countAt, n int, origin uint32) []byte {
	le.PutUint16(dst[countAt:], uint16(n))
	if origin != 0 {
		dst = appendU32(dst, origin)
	}
	patchLength(dst, start)
	return dst
}

// readOrigin is the origin appended at body[off:], 0 if none is.
func readOrigin(body []byte, off int) uint32 {
	if len(body)-off >= cellUpdateOrigin {
		return le.Uint32(body[off:])
	}
	return 0
}

// AppendCellUpdate appends m to dst, with at most MaxCellEntries entries.
func AppendCellUpdate(dst []byte, m *CellUpdate) []byte {
	dst, start := BeginCellUpdate(dst, m.Cell, m.Tick, m.Flags)
	for i := range min(len(m.Entries), MaxCellEntries) {
		dst = AppendCellEntry(dst, &m.Entries[i])
	}
	return EndCellUpdateOrigin(dst, start, m.Origin)
}

// AsOriginSnapshot rewrites, in place, the flags of a series of
// CELL_UPDATEs (whole messages back to back, as the edge encodes a snapshot)
// from a snapshot of the whole cell (SNAPSHOT, then CONTINUED) into a
// snapshot of their origin's players (ORIGIN_SNAPSHOT on each, SPEC.md
// §2.5). It stops at the first message that is not a CELL_UPDATE.
func AsOriginSnapshot(frames []byte) {
	for len(frames) >= HeaderSize+cellUpdateFixed && Type(frames[0]) == TypeCellUpdate {
		n := HeaderSize + int(le.Uint16(frames[1:]))
		if n > len(frames) || n < HeaderSize+cellUpdateFixed {
			return
		}
		f := &frames[HeaderSize+12]
		*f = *f&^FlagSnapshot | FlagOriginSnapshot
		frames = frames[n:]
	}
}

// Decode fills m from body, reusing m.Entries.
func (m *CellUpdate) Decode(body []byte) error {
	if len(body) < cellUpdateFixed {
		return ErrTruncated
	}
	n, off, err := readCount(body, 13, 2, CellEntrySize, MaxCellEntries)
	if err != nil {
		return err
	}
	m.Cell, m.Tick, m.Flags = Cell(le.Uint64(body)), le.Uint32(body[8:]), body[12]
	m.Entries = slices.Grow(m.Entries[:0], n)[:n]
	for i := range m.Entries {
		e := body[off : off+CellEntrySize]
		m.Entries[i] = CellEntry{
			Op: e[0], Player: le.Uint32(e[1:]),
			Lat: int32(le.Uint32(e[5:])), Lng: int32(le.Uint32(e[9:])),
			Stamp: le.Uint32(e[13:]),
		}
		off += CellEntrySize
	}
	m.Origin = readOrigin(body, off)
	return nil
}

// TreasureEntry is one treasure in a TREASURES message.
type TreasureEntry struct {
	Treasure uint32 `json:"treasure"`
	Lat      int32  `json:"lat"`
	Lng      int32  `json:"lng"`
	Points   uint16 `json:"points"`
	State    uint8  `json:"state"`
}

// Treasures lists the treasures visible in the interest area.
type Treasures struct {
	Flags     uint8           `json:"flags"`
	Treasures []TreasureEntry `json:"treasures"` // at most MaxTreasures are encoded
}

// AppendTreasures appends m to dst, with at most MaxTreasures entries.
func AppendTreasures(dst []byte, m *Treasures) []byte {
	n := min(len(m.Treasures), MaxTreasures)
	dst = appendHeader(dst, TypeTreasures, 3+n*TreasureEntrySize)
	dst = appendU16(append(dst, m.Flags), uint16(n))
	for _, t := range m.Treasures[:n] {
		dst = appendU32(dst, t.Treasure)
		dst = appendI32(dst, t.Lat)
		dst = appendI32(dst, t.Lng)
		dst = append(appendU16(dst, t.Points), t.State)
	}
	return dst
}

// Decode fills m from body, reusing m.Treasures.
func (m *Treasures) Decode(body []byte) error {
	if len(body) < 3 {
		return ErrTruncated
	}
	n, off, err := readCount(body, 1, 2, TreasureEntrySize, MaxTreasures)
	if err != nil {
		return err
	}
	m.Flags = body[0]
	m.Treasures = m.Treasures[:0]
	for range n {
		e := body[off : off+TreasureEntrySize]
		m.Treasures = append(m.Treasures, TreasureEntry{
			Treasure: le.Uint32(e), Lat: int32(le.Uint32(e[4:])), Lng: int32(le.Uint32(e[8:])),
			Points: le.Uint16(e[12:]), State: e[14],
		})
		off += TreasureEntrySize
	}
	return nil
}

// Leader is one leaderboard row.
type Leader struct {
	Player uint32 `json:"player"`
	Score  uint32 `json:"score"`
}

// HuntStatus summarises a hunt.
type HuntStatus struct {
	Hunt      uint32   `json:"hunt"`
	State     uint8    `json:"state"`
	Total     uint32   `json:"total"`
	Remaining uint32   `json:"remaining"`
	Players   uint32   `json:"players"`
	Starts    uint64   `json:"starts"`
	Ends      uint64   `json:"ends"`
	Leaders   []Leader `json:"leaders"` // at most MaxLeaders are encoded
}

const huntStatusFixed = 34 // hunt, state, total, remaining, players, starts, ends, count

// AppendHuntStatus appends m to dst, with at most MaxLeaders leaderboard rows.
func AppendHuntStatus(dst []byte, m *HuntStatus) []byte {
	n := min(len(m.Leaders), MaxLeaders)
	dst = appendHeader(dst, TypeHuntStatus, huntStatusFixed+n*LeaderEntrySize)
	dst = append(appendU32(dst, m.Hunt), m.State)
	dst = appendU32(dst, m.Total)
	dst = appendU32(dst, m.Remaining)
	dst = appendU32(dst, m.Players)
	dst = appendU64(dst, m.Starts)
	dst = append(appendU64(dst, m.Ends), uint8(n))
	for _, l := range m.Leaders[:n] {
		dst = appendU32(appendU32(dst, l.Player), l.Score)
	}
	return dst
}

// Decode fills m from body, reusing m.Leaders.
func (m *HuntStatus) Decode(body []byte) error {
	if len(body) < huntStatusFixed {
		return ErrTruncated
	}
	n, off, err := readCount(body, huntStatusFixed-1, 1, LeaderEntrySize, MaxLeaders)
	if err != nil {
		return err
	}
	m.Hunt, m.State = le.Uint32(body), body[4]
	m.Total, m.Remaining, m.Players = le.Uint32(body[5:]), le.Uint32(body[9:]), le.Uint32(body[13:])
	m.Starts, m.Ends = le.Uint64(body[17:]), le.Uint64(body[25:])
	m.Leaders = m.Leaders[:0]
	for range n {
		m.Leaders = append(m.Leaders, Leader{Player: le.Uint32(body[off:]), Score: le.Uint32(body[off+4:])})
		off += LeaderEntrySize
	}
	return nil
}
