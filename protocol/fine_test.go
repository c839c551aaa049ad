package protocol

import (
	"math"
	"testing"
)

// A FINE_CELL built entry by entry carries each position within half a
// FineUnit, whichever side of the base it lies, and clamps what lies
// beyond 8 bits.
func TestFineCellPositions(t *testing.T) {
	const lat0, lng0 = 523730796, -48924534
	pts := [][2]int32{{0, 0}, {19, -19}, {20, -20}, {21, -21}, {-60, 60}, {1234, -987}, {5080, -5080}}
	b, start := BeginFineCell(nil, 0x8c1969c9b3905ff, 1, FlagSnapshot, lat0, lng0)
	for i, p := range pts {
		b = AppendFineEntry(b, start, uint32(i+1), lat0+p[0], lng0+p[1])
	}
	b = AppendFineEntry(b, start, 99, lat0+5101, math.MinInt32) // beyond ±127 units: clamped
	b = EndFineCell(b, start, 4242, 0)
	if n := FineEntries(b, start); n != len(pts)+1 {
		t.Fatalf("FineEntries = %d, want %d", n, len(pts)+1)
	}
	_, body, rest, err := Split(b)
	if err != nil || len(rest) != 0 {
		t.Fatal(err)
	}
	var m FineCell
	if err := m.Decode(body); err != nil {
		t.Fatal(err)
	}
	if m.Stamp != 4242 || m.Origin != 0 || m.Lat != lat0 || m.Lng != lng0 {
		t.Fatalf("header: %+v", m)
	}
	for i, p := range pts {
		lat, lng := m.At(i)
		if d := lat - (lat0 + p[0]); d < -FineUnit/2 || d > FineUnit/2 {
			t.Errorf("entry %d: lat off by %d E7 units", i, d)
		}
		if d := lng - (lng0 + p[1]); d < -FineUnit/2 || d > FineUnit/2 {
			t.Errorf("entry %d: lng off by %d E7 units", i, d)
		}
	}
	if e := m.Entries[len(pts)]; e.DLat != math.MaxInt8 || e.DLng != math.MinInt8 {
		t.Errorf("out of range entry = %+v, want clamped", e)
	}
}

// A client that knows CELL_UPDATE reads a FINE_CELL as a refined snapshot.
func TestFineCellAsCellUpdate(t *testing.T) {
	m := FineCell{Cell: 7, Tick: 3, Flags: FlagContinued, Lat: 100, Lng: -100, Stamp: 9, Origin: 4,
		Entries: []FineEntry{{Player: 5, DLat: 2, DLng: -3}}}
	var cu CellUpdate
	m.AsCellUpdate(&cu)
	want := CellEntry{Op: OpEntered, Player: 5, Lat: 180, Lng: -220}
	if cu.Cell != 7 || cu.Tick != 3 || cu.Flags != FlagContinued|FlagRefined || cu.Origin != 4 || len(cu.Entries) != 1 || cu.Entries[0] != want {
		t.Fatalf("AsCellUpdate = %+v", cu)
	}
}

// A datagram's worth of entries, with the origin, fits one datagram.
func TestFineCellDatagramFit(t *testing.T) {
	b, start := BeginFineCell(nil, 1, 1, 0, 0, 0)
	for i := range MaxDatagramFineEntries {
		b = AppendFineEntry(b, start, uint32(i), 0, 0)
	}
	if b = EndFineCell(b, start, 0, 1<<31); len(b) > MaxDatagram {
		t.Fatalf("%d entries encode to %d bytes, over a datagram's %d", MaxDatagramFineEntries, len(b), MaxDatagram)
	}
	if len(b)+FineEntrySize <= MaxDatagram {
		t.Fatalf("MaxDatagramFineEntries = %d leaves room for another", MaxDatagramFineEntries)
	}
}
