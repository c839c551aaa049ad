package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// A player on an io_uring ring costs no allocation per message: its due
// POSITION (walk, encode) and a CELL_UPDATE it does not sample (counted
// from the header). Outside the measured phase it sends nothing.
func TestPlayerHotPathAllocs(t *testing.T) {
	w := testWorker(scenario.Defaults("steady"))
	here := geo.Point{Lat: 52.37, Lng: 4.90}
	p := &player{w: w, id: 1, walk: newWalker(rand.New(rand.NewPCG(1, 1)), [2]float64{here.Lat, here.Lng}, 10, nil, 0)}
	w.players = []*player{p}
	rc := &ringConn{}
	b := make([]byte, 0, 64)
	if b = rc.due(p, 1, b[:0]); len(b) != 0 || w.c.positions.Load() != 0 {
		t.Fatalf("sent %d bytes before the measured phase", len(b))
	}
	w.playing.Store(true)
	if a := testing.AllocsPerRun(1000, func() { b = rc.due(p, 1, b[:0]) }); a != 0 {
		t.Errorf("a position allocates %.1f times", a)
	}
	var pos protocol.Position
	if ty, body, _, err := protocol.Split(b); err != nil || ty != protocol.TypePosition || pos.Decode(body) != nil || pos.Seq != 1001 {
		t.Fatalf("due gave %v %+v (%v), want POSITION 1001", ty, pos, err)
	}
	if n := w.c.positions.Load(); n != 1001 {
		t.Fatalf("%d positions counted, want 1001", n)
	}
	cell, err := geo.CellOf(here, 9)
	if err != nil {
		t.Fatal(err)
	}
	m := protocol.CellUpdate{Cell: protocol.Cell(cell), Tick: 2, Entries: []protocol.CellEntry{entryAt(2, here, 1), entryAt(3, here, 1)}}
	frame := m.AppendTo(nil)
	w.measuring.Store(true)
	if a := testing.AllocsPerRun(1000, func() { p.onFrame(frame) }); a != 0 {
		t.Errorf("a CELL_UPDATE allocates %.1f times", a)
	}
	if got := p.entries.Load(); got != 2*1001 {
		t.Fatalf("counted %d entries, want %d", got, 2*1001)
	}
}
