package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// A datagram that overtakes the HELLO on the stream is dropped, not fatal.
func TestEarlyDatagramIsDropped(t *testing.T) {
	r := newRig(t)
	id := r.c.Open(r.owner, 0)
	lat, lng := dam.E7()
	if err := r.c.DeliverUnordered(id, protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: lat, Lng: lng})); err != nil {
		t.Fatal(err)
	}
	if r.net.closed[id] != 0 || r.c.Snapshot().Drops[DropBeforeHello] != 1 {
		t.Fatalf("early datagram: closed %v, dropped %d", r.net.closed[id], r.c.Snapshot().Drops[DropBeforeHello])
	}
}

// TestHysteresis: jitter just across a cell border does not move a player
// between cells; walking clearly out of the cell does.
func TestHysteresis(t *testing.T) {
	r := newRig(t, func(c *Config) { c.PositionRate, c.PositionBurst = 1e6, 1e6 })
	home, _ := geo.CellOf(dam, 9)
	centre, _ := geo.CellCenter(home)
	edge, _ := geo.EdgeLength(9)
	// Walk east from the centre until the point is in the next cell.
	across := centre
	for c := home; c == home; c, _ = geo.CellOf(across, 9) {
		across.Lng += 0.00001
	}
	if d := geo.Distance(centre, across); d > edge {
		t.Fatalf("border %v m from the centre, edge %v m: geometry assumption broken", d, edge)
	}
	watcher, walker := r.join(1), r.join(2)
	r.move(watcher, centre)
	r.move(walker, centre)
	r.c.Tick()
	r.pull(watcher)
	for i := range 6 { // jitter back and forth over the border (slowly enough to be plausible)
		r.now = r.now.Add(5 * time.Second)
		p := centre
		if i%2 == 0 {
			p = across
		}
		r.move(walker, p)
		r.c.Tick()
		if e := updates(r.pull(watcher))[2]; e.Op != protocol.OpMoved {
			t.Fatalf("jitter step %d: op %d, want moved (no cell change)", i, e.Op)
		}
	}
	r.now = r.now.Add(30 * time.Second)
	far := centre
	far.Lng += 4 * (across.Lng - centre.Lng) // well out of the cell
	r.move(walker, far)
	r.c.Tick()
	// The watcher learns the walker left home: a "left" entry, or a snapshot
	// of home without it (SPEC.md: a snapshot is the complete set).
	changed := false
	for _, m := range r.pull(watcher) {
		cu, ok := m.(*protocol.CellUpdate)
		if !ok {
			continue
		}
		e, has := updates([]protocol.Message{cu})[2]
		changed = changed || (has && e.Op != protocol.OpMoved) ||
			(cu.Cell == protocol.Cell(home) && cu.Flags&protocol.FlagSnapshot != 0 && !has)
	}
	if !changed {
		t.Fatal("walking clearly out of the cell did not move the player")
	}
}

// A player's position budget outlives a connection that a newer one
// replaced: reconnecting buys no more positions.
func TestRateLimitIsPerPlayer(t *testing.T) {
	r := newRig(t) // burst 10, 5/s
	a := r.join(7)
	for range 8 {
		r.move(a, dam)
	}
	b := r.join(7) // replaces a, which is closing but not yet Closed
	for range 8 {
		r.move(b, dam)
	}
	if got := r.c.Snapshot().Drops[DropRateLimited]; got != 6 {
		t.Fatalf("16 positions from one player's two sessions: %d rate-limited, want 6", got)
	}
	r.c.Closed(a)
	r.c.Closed(b)
	if n := len(r.c.buckets); n != 0 {
		t.Errorf("%d buckets left after the player's sessions closed", n)
	}
}

// TestUnknownTypesAreSkippedByLength (SPEC.md §5): messages of unknown type
// — a future client type and an extension type, with bodies that would
// parse as other messages — between valid ones are skipped by their length;
// the valid ones are processed and the session stays open.
func TestUnknownTypesAreSkippedByLength(t *testing.T) {
	r := newRig(t)
	id := r.join(1)
	lat, lng := dam.E7()
	unknown := func(typ byte, body []byte) []byte {
		return append([]byte{typ, byte(len(body)), byte(len(body) >> 8)}, body...)
	}
	// The first unknown body is itself a whole PING: were it not skipped by
	// its length, a third PONG (echo 99) would come back.
	frame := protocol.AppendPing(nil, &protocol.Ping{Time: 1})
	frame = append(frame, unknown(0x3a, protocol.AppendPing(nil, &protocol.Ping{Time: 99}))...)
	frame = protocol.AppendPosition(frame, &protocol.Position{Seq: 1, Lat: lat, Lng: lng})
	frame = append(frame, unknown(0x9c, make([]byte, 300))...)
	frame = append(frame, unknown(0x3b, nil)...)
	frame = protocol.AppendPing(frame, &protocol.Ping{Time: 2})
	if err := r.c.Deliver(id, frame); err != nil {
		t.Fatalf("a frame with unknown types: %v", err)
	}
	var echoes []uint64
	for _, m := range r.pull(id) {
		switch m := m.(type) {
		case *protocol.Pong:
			echoes = append(echoes, m.Echo)
		case *protocol.ErrorMessage:
			t.Errorf("ERROR %v for unknown types", m.Code)
		}
	}
	if len(echoes) != 2 || echoes[0] != 1 || echoes[1] != 2 {
		t.Errorf("PONGs %v, want [1 2]", echoes)
	}
	if s := r.c.tab.get(id); s == nil || !s.placed || s.lat != lat || s.state != stateActive {
		t.Error("the POSITION after an unknown type was not processed")
	}
	st := r.c.Snapshot()
	if _, closed := r.net.closed[id]; closed || st.MessagesIn[0x3a] != 1 || st.MessagesIn[0x9c] != 1 || st.MessagesIn[0x3b] != 1 {
		t.Errorf("closed %v; unknown types counted %d %d %d", closed, st.MessagesIn[0x3a], st.MessagesIn[0x9c], st.MessagesIn[0x3b])
	}
	roundTrip := protocol.AppendPing(nil, &protocol.Ping{Time: 3})
	if err := r.c.Deliver(id, roundTrip); err != nil || len(r.pull(id)) != 1 {
		t.Errorf("the session stopped answering: %v", err)
	}
}
