package protocol

import "testing"

// Benchmarks of the hot messages. Run with
// go test -run=^$ -bench=. -benchmem ./protocol/
// and read allocs/op: it must be 0 for every one of these.

func BenchmarkAppendPosition(b *testing.B) {
	buf := make([]byte, 0, 64)
	m := Position{Seq: 1, Lat: 523730796, Lng: 48924534, Accuracy: 45, Time: 1795000000123456}
	b.ReportAllocs()
	b.SetBytes(PositionSize)
	for i := 0; b.Loop(); i++ {
		m.Seq = uint32(i)
		buf = AppendPosition(buf[:0], &m)
	}
}

func BenchmarkDecodePosition(b *testing.B) {
	frame := AppendPosition(nil, &Position{Seq: 1, Lat: 523730796, Lng: 48924534, Time: 1})
	var m Position
	b.ReportAllocs()
	b.SetBytes(PositionSize)
	for b.Loop() {
		_, body, _, err := Split(frame)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func cellEntries(n int) []CellEntry {
	e := make([]CellEntry, n)
	for i := range e {
		e[i] = CellEntry{Op: OpMoved, Player: uint32(i), Lat: 523730796 + int32(i), Lng: 48924534 - int32(i), Stamp: uint32(i)}
	}
	return e
}

func BenchmarkEncodeCellUpdate64(b *testing.B) {
	entries := cellEntries(64)
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		var start int
		buf, start = BeginCellUpdate(buf[:0], 0x8928308280fffff, 1, 0)
		for i := range entries {
			buf = AppendCellEntry(buf, &entries[i])
		}
		buf = EndCellUpdate(buf, start)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeCellUpdate64(b *testing.B) {
	frame := AppendCellUpdate(nil, &CellUpdate{Cell: 0x8928308280fffff, Entries: cellEntries(64)})
	var m CellUpdate
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		_, body, _, _ := Split(frame)
		if err := m.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPingPong(b *testing.B) {
	buf := make([]byte, 0, 64)
	var p Ping
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = AppendPing(buf[:0], &Ping{Time: uint64(i)})
		_, body, _, _ := Split(buf)
		if err := p.Decode(body); err != nil {
			b.Fatal(err)
		}
		buf = AppendPong(buf[:0], &Pong{Echo: p.Time, Time: p.Time + 1})
	}
}

// BenchmarkSplitFrame walks a 1,200-byte datagram of 48 POSITIONs.
func BenchmarkSplitFrame(b *testing.B) {
	var frame []byte
	for i := range 48 {
		frame = AppendPosition(frame, &Position{Seq: uint32(i)})
	}
	var m Position
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		for f := frame; len(f) > 0; {
			_, body, rest, err := Split(f)
			if err != nil {
				b.Fatal(err)
			}
			_ = m.Decode(body)
			f = rest
		}
	}
}
