package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// regionCrowd puts n players of edge a on one spot (one cell) and one
// watcher of edge b beside them, and runs a tick on both so that b's
// player has a's in view.
func regionCrowd(t *testing.T, n int, tweak func(*Config)) (a, b *rig, ids []SessionID, pb SessionID, rg *ring) {
	t.Helper()
	rigs, rg := newRegion(t, 2, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst, c.MaxSpeed = 1e6, 1e6, 1e6, 1e6, 1e6
		c.Refine = -1 // the crowded cell's samples and what it publishes (kids are local: refine_test.go)
	}, tweak)
	a, b = rigs[0], rigs[1]
	for i := range n {
		id := a.join(uint32(1000 + i))
		if err := a.move(id, eastOf(dam, float64(i%10))); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	pb = b.join(2)
	if err := b.move(pb, near); err != nil {
		t.Fatal(err)
	}
	if a.c.tab.get(ids[0]).cell != b.c.tab.get(pb).cell {
		t.Fatal("the crowd and the watcher are in different cells")
	}
	a.c.Tick()
	b.c.Tick()
	b.pull(pb)
	return a, b, ids, pb, rg
}

// step moves every player of the crowd (to offset m metres east of its
// start), advances both clocks by a tick and runs a tick on a, then b.
func stepRegion(t *testing.T, a, b *rig, ids []SessionID, m float64) {
	t.Helper()
	for i, id := range ids {
		if err := a.move(id, eastOf(dam, float64(i%10)+m)); err != nil {
			t.Fatal(err)
		}
	}
	a.now = a.now.Add(100 * time.Millisecond)
	b.now = b.now.Add(100 * time.Millisecond)
	a.c.Tick()
	b.c.Tick()
}

// TestCrowdedCellPublishesEveryChange: a cell crowded on edge A sends A's
// own watchers samples, but publishes every change of its players to the
// region, and its full set as ORIGIN_SNAPSHOT once a refresh round
// (SPEC.md §2.5): edge B's watcher sees every one of A's players move each
// tick, and hears A's whole crowd in one ORIGIN_SNAPSHOT series.
func TestCrowdedCellPublishesEveryChange(t *testing.T) {
	const n = 60
	a, b, ids, pb, rg := regionCrowd(t, n, func(c *Config) {
		c.CrowdPlayers = crowdAt
		c.PositionBudget = 1 << 20 // the publication's bound, not the budget's
	})
	for tick := 1; tick <= 3; tick++ {
		stepRegion(t, a, b, ids, float64(tick))
		if a.c.Snapshot().CrowdedCells != 1 {
			t.Fatalf("edge A has %d crowded cells, want 1", a.c.Snapshot().CrowdedCells)
		}
		got := updates(b.pull(pb))
		for i := range n {
			lat, lng := eastOf(dam, float64(i%10)+float64(tick)).E7()
			if e, ok := got[uint32(1000+i)]; !ok || e.Lat != lat || e.Lng != lng {
				t.Fatalf("tick %d: edge B's watcher did not hear player %d move (%+v)", tick, 1000+i, e)
			}
		}
		for _, m := range cellUpdates(a.pull(ids[0])) { // A's own watchers: samples
			if len(m.Entries) > DefaultCrowdEntries+DefaultCrowdEntries/4 {
				t.Fatalf("tick %d: edge A's own watcher got %d entries of its crowded cell, want a sample", tick, len(m.Entries))
			}
		}
	}
	// Within a refresh round, A publishes its crowd in full.
	cell := protocol.Cell(a.c.tab.get(ids[0]).cell)
	rg.sent = rg.sent[:0]
	for tick := range DefaultSnapshotEvery {
		stepRegion(t, a, b, ids, float64(tick%2))
		for _, id := range ids {
			a.pull(id)
		}
		b.pull(pb)
	}
	full := 0
	for _, p := range rg.sent {
		for len(p) > 0 {
			typ, body, rest, err := protocol.Split(p)
			if err != nil {
				t.Fatal(err)
			}
			var cu protocol.CellUpdate
			if typ == protocol.TypeCellUpdate && cu.Decode(body) == nil && cu.Cell == cell && cu.Origin == 100 && cu.Flags&protocol.FlagOriginSnapshot != 0 {
				full += len(cu.Entries)
			}
			p = rest
		}
	}
	if full != n {
		t.Errorf("edge A published %d players of its crowded cell as ORIGIN_SNAPSHOT in a round, want all %d", full, n)
	}
}

// TestBudgetCutsForwardedFrames: the position budget bounds what an edge
// forwards from the region's other edges like its own frames. Edge B's
// watcher of a busy cell held by edge A is offered about 3.6 KB/s of A's
// frames over 2 s on a 1 KiB/s budget: some are forwarded, the rest cut,
// and it is sent at most its bucket (half a second of budget) plus the
// refill (15/16 of the budget a second).
func TestBudgetCutsForwardedFrames(t *testing.T) {
	a, b, ids, pb, _ := regionCrowd(t, 20, func(c *Config) {
		c.CrowdPlayers = 1 << 20 // no crowd mode
		c.PositionBudget = MinPositionBudget
	})
	const ticks = 20 // 2 s
	got, forwarded := 0, 0
	for tick := range ticks {
		stepRegion(t, a, b, ids, float64(tick%2))
		_, frames, lease := b.c.Pull(pb, nil)
		for _, f := range frames {
			got += len(f)
			var cu protocol.CellUpdate
			if _, body, _, err := protocol.Split(f); err == nil && cu.Decode(body) == nil && cu.Origin == 100 {
				forwarded++
			}
		}
		b.c.Release(lease)
	}
	if forwarded == 0 {
		t.Fatal("edge B forwarded nothing of edge A's players")
	}
	if most := MinPositionBudget/2 + ticks*MinPositionBudget*15/16/10; got > most {
		t.Errorf("edge B's watcher was sent %d position bytes in 2 s, over its bucket and refill (%d)", got, most)
	}
	if b.c.Snapshot().Drops[DropBudget] == 0 {
		t.Error("no forwarded frame was cut by the budget (drops_total budget)")
	}
}

// TestNewcomerSnapshotWithRemotePlayers: a player who joins a shared cell
// gets the cell's SNAPSHOT, then the other edge's players as ORIGIN_SNAPSHOT;
// the cell's settled watcher gets neither (it keeps its deltas), and no
// snapshot is published for the newcomer's sake.
func TestNewcomerSnapshotWithRemotePlayers(t *testing.T) {
	a, b, pa, _, rg := pair(t)
	for range 2 {
		a.c.Tick()
		b.c.Tick()
	}
	a.pull(pa)
	rg.sent = rg.sent[:0]
	pc := a.join(3)
	a.move(pc, near)
	a.c.Tick()
	var flags []uint8
	fromB := false
	for _, cu := range cellUpdates(a.pull(pc)) {
		flags = append(flags, cu.Flags)
		fromB = fromB || cu.Origin == 101 && cu.Flags&protocol.FlagOriginSnapshot != 0 && len(cu.Entries) == 1 && cu.Entries[0].Player == 2
	}
	if len(flags) < 2 || flags[0]&protocol.FlagSnapshot == 0 || !fromB {
		t.Fatalf("the newcomer got CELL_UPDATEs with flags %v, want SNAPSHOT then edge B's ORIGIN_SNAPSHOT", flags)
	}
	for _, cu := range cellUpdates(a.pull(pa)) {
		if cu.Flags&(protocol.FlagSnapshot|protocol.FlagOriginSnapshot) != 0 {
			t.Errorf("the settled watcher got a snapshot (flags %b, origin %d) when a newcomer joined", cu.Flags, cu.Origin)
		}
	}
	for _, p := range rg.sent {
		if _, body, _, err := protocol.Split(p); err == nil && body[12]&(protocol.FlagSnapshot|protocol.FlagOriginSnapshot) != 0 {
			t.Errorf("edge A published a snapshot (flags %b) for its newcomer", body[12])
		}
	}
}

// TestCrowdPublishPathDoesNotAllocate: with peers, a crowded cell's tick —
// its changes encoded for the peers only and published, its samples and
// summaries for its own watchers — the other edge's forwarding and the
// pulls allocate nothing.
func TestCrowdPublishPathDoesNotAllocate(t *testing.T) {
	rigs, rg := newRegion(t, 2, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst = 1e9, 1e9, 1e9, 1e9
		c.CrowdPlayers, c.CrowdEntries, c.PositionBudget = 8, 4, 1<<30
	})
	rg.keepAll = false
	a, b := rigs[0], rigs[1]
	cr := newCrowd(a, 24, 30)
	for i, id := range cr.ids {
		a.move(id, cr.at[i])
	}
	pb := b.join(2)
	b.move(pb, dam)
	frame := make([]byte, 0, 64)
	var out [][]byte
	seq := seqs[cr.ids[0]]
	lat, lng := dam.E7()
	step := func() {
		seq++
		frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: seq, Lat: lat + int32(seq%7), Lng: lng, Time: uint64(seq)})
		if err := a.c.Deliver(cr.ids[0], frame); err != nil {
			t.Fatal(err)
		}
		a.c.Tick()
		b.c.Tick()
		for _, id := range cr.ids {
			var l Lease
			_, out, l = a.c.Pull(id, out[:0])
			a.c.Release(l)
		}
		var l Lease
		_, out, l = b.c.Pull(pb, out[:0])
		b.c.Release(l)
	}
	for range 100 { // warm up: grow slices and arenas once
		step()
	}
	st := a.c.Snapshot()
	if st.CrowdedCells == 0 || st.SummaryFrames == 0 {
		t.Fatalf("no crowd: %d crowded cells, %d summaries", st.CrowdedCells, st.SummaryFrames)
	}
	if n := testing.AllocsPerRun(500, step); n != 0 {
		t.Errorf("position → crowded tick → publish → forward → pull allocates %v times", n)
	}
	if got := a.c.Snapshot().FramesPublished - st.FramesPublished; got < 500 {
		t.Errorf("%d publications in 501 ticks with a moving player", got)
	}
	if b.c.Snapshot().FramesQueued == 0 {
		t.Error("edge B queued nothing of edge A's crowded cell")
	}
}
