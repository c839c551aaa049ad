package sim

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// An observer's oldest neighbour: left players go, players unheard for
// 10 s are forgotten, and "near" counts only those within 50 m.
func TestCrowdWatchOldest(t *testing.T) {
	cw := newCrowdWatch(time.Now())
	t0 := time.Unix(1795000000, 0)
	const lat, lng = 52.3730796, 4.8924534
	here := protocol.CellEntry{Op: protocol.OpMoved, Lat: 523730796, Lng: 48924534}
	far := protocol.CellEntry{Op: protocol.OpMoved, Lat: 523740796, Lng: 48924534} // ~110 m north
	at := func(p uint32, e protocol.CellEntry) protocol.CellEntry { e.Player = p; return e }
	cw.heard(&protocol.CellUpdate{Entries: []protocol.CellEntry{at(1, far), at(2, here), at(9, here)}}, 9, t0)
	cw.heard(&protocol.CellUpdate{Entries: []protocol.CellEntry{at(3, here)}}, 9, t0.Add(3*time.Second))
	all, near, any, anyNear := cw.oldest(t0.Add(4*time.Second), lat, lng)
	if !any || !anyNear || all != 4*time.Second || near != 4*time.Second || len(cw.held) != 3 {
		t.Fatalf("oldest %v (near %v), held %v", all, near, cw.held)
	}
	cw.heard(&protocol.CellUpdate{Entries: []protocol.CellEntry{{Op: protocol.OpLeft, Player: 2}}}, 9, t0.Add(5*time.Second))
	all, near, _, _ = cw.oldest(t0.Add(6*time.Second), lat, lng)
	if all != 6*time.Second || near != 3*time.Second {
		t.Fatalf("after 2 left: oldest %v (want 6s: player 1, far), near %v (want 3s: player 3)", all, near)
	}
	all, _, _, _ = cw.oldest(t0.Add(11*time.Second), lat, lng)
	if _, ok := cw.held[1]; ok || all != 8*time.Second {
		t.Fatalf("after 11 s: oldest %v, held %v; player 1 should be forgotten", all, cw.held)
	}
}

// REFINED snapshots replace their fine cell's players (a sample keeps the
// fine cell that listed a player); the nearest measure takes the
// nearestK neighbours held nearest, within 50 m.
func TestCrowdWatchRefinedAndNearest(t *testing.T) {
	cw := newCrowdWatch(time.Now())
	t0 := time.Unix(1795000000, 0)
	const kid = protocol.Cell(0x8c1969c9b3905ff)
	const lat, lng = 52.3730796, 4.8924534
	e := func(p uint32, dLat int32) protocol.CellEntry {
		return protocol.CellEntry{Op: protocol.OpEntered, Player: p, Lat: 523730796 + dLat, Lng: 48924534}
	}
	snap := protocol.FlagSnapshot | protocol.FlagRefined
	cw.heard(&protocol.CellUpdate{Entries: []protocol.CellEntry{e(1, 9000)}}, 9, t0) // ~100 m north, a sample
	cw.heard(&protocol.CellUpdate{Cell: kid, Flags: snap, Entries: []protocol.CellEntry{e(2, 10), e(3, 20)}}, 9, t0.Add(time.Second))
	cw.heard(&protocol.CellUpdate{Entries: []protocol.CellEntry{e(3, 20)}}, 9, t0.Add(2*time.Second)) // sampled too
	cw.heard(&protocol.CellUpdate{Cell: kid, Flags: snap, Entries: []protocol.CellEntry{e(3, 20)}}, 9, t0.Add(3*time.Second))
	if _, ok := cw.held[2]; ok || cw.held[3].kid != kid || cw.held[1].kid != 0 {
		t.Fatalf("after the fine cell's next snapshot: %v", cw.held)
	}
	for i := range uint32(nearestK) { // 100 players nearer than player 1, heard now
		cw.heard(&protocol.CellUpdate{Entries: []protocol.CellEntry{e(100+i, 5)}}, 9, t0.Add(4*time.Second))
	}
	if age, ok := cw.oldestNearest(t0.Add(4*time.Second), lat, lng); !ok || age != 0 {
		t.Fatalf("oldest of the %d nearest %v %v, want 0 (player 1, 4 s old, is farther)", nearestK, age, ok)
	}
	delete(cw.held, 100) // now players 3 (1 s old, 2 m) and 1 (4 s old, ~100 m) are among the 100 nearest
	if age, _ := cw.oldestNearest(t0.Add(4*time.Second), lat, lng); age != time.Second {
		t.Fatalf("oldest of the nearest within 50 m %v, want 1s (player 3; player 1 is beyond 50 m)", age)
	}
}
