package protocol

import "slices"

// FINE_CELL (SPEC.md §2.2): the compact snapshot of a crowd's fine cell.
// A refined player hears every player of its refined interest area once a
// second; at 17 bytes a CELL_UPDATE entry the 50 m circle of a dense
// stadium does not fit a phone's budget, so the fine cell lists each player
// in 6 bytes: its id and its offset from a base point in the header.

// FineEntry is one player of a FINE_CELL: its offset from the message's
// base point, in units of FineUnit (4 × 10⁻⁶°, 0.44 m of latitude).
type FineEntry struct {
	Player uint32 `json:"player"`
	DLat   int8   `json:"dlat"`
	DLng   int8   `json:"dlng"`
}

// FineCell is the compact snapshot of one fine cell of a crowd.
type FineCell struct {
	Cell  Cell   `json:"cell"`
	Tick  uint32 `json:"tick"`
	Flags uint8  `json:"flags"` // FlagSnapshot, FlagContinued
	Lat   int32  `json:"lat"`   // the base point the entries are offsets from
	Lng   int32  `json:"lng"`
	// Stamp is the low 32 bits of the POSITION time of the newest position
	// the message lists for the first time, 0 if it lists none: one
	// delivery-latency sample per message.
	Stamp   uint32      `json:"stamp"`
	Entries []FineEntry `json:"entries"` // at most MaxCellEntries are encoded
	Origin  uint32      `json:"origin,omitempty"`
}

const (
	fineCellFixed = 27 // cell, tick, flags, lat, lng, stamp, count
	// FineEntrySize is the size of one FINE_CELL entry.
	FineEntrySize = 6 // player u32, dlat i8, dlng i8
	// FineUnit is the E7 units (10⁻⁷°) of one FINE_CELL offset unit.
	FineUnit = 40
	// FineCellOverhead is a FINE_CELL's size beyond its entries, with its
	// header and origin.
	FineCellOverhead = HeaderSize + fineCellFixed + cellUpdateOrigin
	// MaxDatagramFineEntries is how many FINE_CELL entries fit in one datagram.
	MaxDatagramFineEntries = (MaxDatagram - FineCellOverhead) / FineEntrySize
)

// BeginFineCell appends the fixed part of a FINE_CELL with base point
// (lat, lng) and no entries, and returns where it starts. Append entries
// with AppendFineEntry, then seal it with EndFineCell.
func BeginFineCell(dst []byte, cell Cell, tick uint32, flags uint8, lat, lng int32) ([]byte, int) {
	start := len(dst)
	dst = appendHeader(dst, TypeFineCell, 0)
	dst = appendU64(dst, uint64(cell))
	dst = append(appendU32(dst, tick), flags)
	dst = appendI32(appendI32(dst, lat), lng)
	return append(dst, 0, 0, 0, 0, 0, 0), start // stamp and count, set by EndFineCell
}

// AppendFineEntry appends player at (lat, lng) to the FINE_CELL started at
// start, as its offset from the base point, rounded to FineUnit and
// clamped to what 8 bits carry (±127 units: ±56 m of latitude, ±34 m of
// longitude at 52°; a fine cell's players stand within 12 m of its centre).
func AppendFineEntry(dst []byte, start int, player uint32, lat, lng int32) []byte {
	base := dst[start+HeaderSize+13:]
	dst = appendU32(dst, player)
	return append(dst, uint8(fineOffset(lat, int32(le.Uint32(base)))), uint8(fineOffset(lng, int32(le.Uint32(base[4:])))))
}

// fineOffset is v − base in FineUnits, rounded to the nearest and clamped
// to int8.
func fineOffset(v, base int32) int8 {
	d := int64(v) - int64(base)
	q, r := d/FineUnit, d%FineUnit
	switch {
	case r >= FineUnit/2:
		q++
	case r < -FineUnit/2:
		q--
	}
	return int8(max(-1<<7, min(1<<7-1, q)))
}

// FineEntries returns how many entries the FINE_CELL started at start holds.
func FineEntries(dst []byte, start int) int {
	return (len(dst) - start - HeaderSize - fineCellFixed) / FineEntrySize
}

// EndFineCell writes the stamp and entry count of the FINE_CELL started at
// start, appends origin (0: not carried) and seals its length. The caller
// keeps it to MaxCellEntries entries (MaxDatagramFineEntries for a datagram).
func EndFineCell(dst []byte, start int, stamp, origin uint32) []byte {
	le.PutUint32(dst[start+HeaderSize+21:], stamp)
	return endWithOrigin(dst, start, start+HeaderSize+25, FineEntries(dst, start), origin)
}

// AppendFineCell appends m to dst, with at most MaxCellEntries entries.
func AppendFineCell(dst []byte, m *FineCell) []byte {
	dst, start := BeginFineCell(dst, m.Cell, m.Tick, m.Flags, m.Lat, m.Lng)
	for i := range min(len(m.Entries), MaxCellEntries) {
		e := &m.Entries[i]
		dst = append(appendU32(dst, e.Player), uint8(e.DLat), uint8(e.DLng))
	}
	return EndFineCell(dst, start, m.Stamp, m.Origin)
}

// Decode fills m from body, reusing m.Entries.
func (m *FineCell) Decode(body []byte) error {
	if len(body) < fineCellFixed {
		return ErrTruncated
	}
	n, off, err := readCount(body, fineCellFixed-2, 2, FineEntrySize, MaxCellEntries)
	if err != nil {
		return err
	}
	m.Cell, m.Tick, m.Flags = Cell(le.Uint64(body)), le.Uint32(body[8:]), body[12]
	m.Lat, m.Lng, m.Stamp = int32(le.Uint32(body[13:])), int32(le.Uint32(body[17:])), le.Uint32(body[21:])
	m.Entries = slices.Grow(m.Entries[:0], n)[:n]
	for i := range m.Entries {
		e := body[off : off+FineEntrySize]
		m.Entries[i] = FineEntry{Player: le.Uint32(e), DLat: int8(e[4]), DLng: int8(e[5])}
		off += FineEntrySize
	}
	m.Origin = readOrigin(body, off)
	return nil
}

// At is entry i's position, in E7 units.
func (m *FineCell) At(i int) (lat, lng int32) {
	e := &m.Entries[i]
	return m.Lat + int32(e.DLat)*FineUnit, m.Lng + int32(e.DLng)*FineUnit
}

// AsCellUpdate fills cu with what m says in CELL_UPDATE terms, reusing
// cu.Entries: the same cell, tick and origin, flags plus FlagRefined, and
// each player "entered" at its position with stamp 0. A client that handles
// CELL_UPDATEs handles a FINE_CELL this way.
func (m *FineCell) AsCellUpdate(cu *CellUpdate) {
	cu.Cell, cu.Tick, cu.Flags, cu.Origin = m.Cell, m.Tick, m.Flags|FlagRefined, m.Origin
	cu.Entries = slices.Grow(cu.Entries[:0], len(m.Entries))[:len(m.Entries)]
	for i := range m.Entries {
		lat, lng := m.At(i)
		cu.Entries[i] = CellEntry{Op: OpEntered, Player: m.Entries[i].Player, Lat: lat, Lng: lng}
	}
}

func (*FineCell) Type() Type                   { return TypeFineCell }
func (m *FineCell) AppendTo(dst []byte) []byte { return AppendFineCell(dst, m) }
