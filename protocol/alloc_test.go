package protocol

import "testing"

// The hot messages — POSITION in, CELL_UPDATE, FINE_CELL and CELL_SUMMARY out, PING/PONG — must neither
// encode nor decode with a heap allocation (DESIGN.md: zero allocations on the
// hot path). Buffers are caller-owned and reused, as the edge does.

func TestHotPathAllocations(t *testing.T) {
	buf := make([]byte, 0, 4096)
	pos := Position{Seq: 1, Lat: 523730796, Lng: 48924534, Accuracy: 45, Time: 1795000000123456}
	entries := make([]CellEntry, 64)
	var cu CellUpdate
	cu.Entries = make([]CellEntry, 0, 64)
	var posOut Position
	var ping Ping
	sum := CellSummary{Cell: 0x8928308280fffff, Count: 9, Children: make([]SummaryChild, 7)}
	sumOut := CellSummary{Children: make([]SummaryChild, 0, 7)}
	fineOut := FineCell{Entries: make([]FineEntry, 0, 64)}
	cases := map[string]func(){
		"AppendPosition+Split+Decode": func() {
			b := AppendPosition(buf[:0], &pos)
			_, body, _, _ := Split(b)
			_ = posOut.Decode(body)
		},
		"CellUpdate build+Decode": func() {
			b, start := BeginCellUpdate(buf[:0], 0x8928308280fffff, 9, 0)
			for i := range entries {
				b = AppendCellEntry(b, &entries[i])
			}
			b = EndCellUpdate(b, start)
			_, body, _, _ := Split(b)
			_ = cu.Decode(body)
		},
		"Ping+Pong": func() {
			b := AppendPing(buf[:0], &Ping{Time: 5})
			_, body, _, _ := Split(b)
			_ = ping.Decode(body)
			_ = AppendPong(b[:0], &Pong{Echo: ping.Time, Time: 6})
		},
		"CellSummary encode+Decode": func() {
			b := AppendCellSummary(buf[:0], &sum)
			_, body, _, _ := Split(b)
			_ = sumOut.Decode(body)
		},
		"FineCell build+Decode": func() {
			b, start := BeginFineCell(buf[:0], 0x8c1969c9b3905ff, 9, FlagSnapshot, 523730796, 48924534)
			for i := range entries {
				b = AppendFineEntry(b, start, uint32(i), 523730796+int32(i), 48924534-int32(i))
			}
			b = EndFineCell(b, start, 7, 3)
			_, body, _, _ := Split(b)
			_ = fineOut.Decode(body)
		},
		"decode errors": func() {
			_, _, _, _ = Split(buf[:1])
			_ = posOut.Decode(buf[:0])
		},
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
	if len(cu.Entries) != len(entries) {
		t.Fatalf("cell update decoded %d entries, want %d", len(cu.Entries), len(entries))
	}
}
