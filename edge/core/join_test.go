package core

import (
	"testing"

	"github.com/veltrix/veltrix/geo"

	"github.com/veltrix/veltrix/protocol"
)

// snapshots splits msgs' CELL_UPDATEs: the cells sent as snapshots, and
// the entries of the others by player.
func snapshots(msgs []protocol.Message) (snaps map[protocol.Cell]int, deltas map[uint32]protocol.CellEntry) {
	snaps, deltas = map[protocol.Cell]int{}, map[uint32]protocol.CellEntry{}
	for _, m := range msgs {
		cu, ok := m.(*protocol.CellUpdate)
		if !ok {
			continue
		}
		if cu.Flags&protocol.FlagSnapshot != 0 {
			snaps[cu.Cell] += len(cu.Entries)
			continue
		}
		for _, e := range cu.Entries {
			deltas[e.Player] = e
		}
	}
	return snaps, deltas
}

// TestNewcomerSnapshotOnlyToNewcomer: a player joining a cell gets the
// cell's snapshot; the players already watching it get the newcomer's
// "entered" and no snapshot.
func TestNewcomerSnapshotOnlyToNewcomer(t *testing.T) {
	r := newRig(t, func(c *Config) { c.SnapshotEvery = 1 << 30 })
	a, b := r.neighbours()
	n := r.join(3)
	r.move(n, near)
	r.c.Tick()
	for _, old := range []SessionID{a, b} {
		snaps, deltas := snapshots(r.pull(old))
		if len(snaps) != 0 || deltas[3].Op != protocol.OpEntered || len(deltas) != 1 {
			t.Errorf("a settled watcher got snapshots %v and deltas %v, want only the newcomer's entered", snaps, deltas)
		}
	}
	snaps, _ := snapshots(r.pull(n))
	if cell, _ := geo.CellOf(near, 9); len(snaps) != 1 || snaps[protocol.Cell(cell)] != 3 {
		t.Errorf("the newcomer got snapshots %v, want its cell's three players", snaps)
	}
	if st := r.c.Snapshot(); st.JoinFrames != 2 || st.LastTickCells != 1 || st.LastTickFrames != 1 {
		t.Errorf("%d newcomer snapshots in all, %d changed cells and %d frames last tick; want 2 (one per tick), 1, 1",
			st.JoinFrames, st.LastTickCells, st.LastTickFrames)
	}
}

// TestRefreshesSpreadOverTheRound: with many occupied cells, each tick
// carries at most twice the even share, 2·⌈cells/SnapshotEvery⌉, of the
// periodic snapshots (turns are balanced over all the cells listed,
// watched but empty ones included: rounds.go), and every cell gets one
// exactly every SnapshotEvery ticks.
func TestRefreshesSpreadOverTheRound(t *testing.T) {
	const cells, every = 120, 10
	r := newRig(t, func(c *Config) { c.SnapshotEvery = every; c.IdleTimeout = 1 << 40 })
	ids := make([]SessionID, cells)
	for i := range ids {
		ids[i] = r.join(uint32(100 + i))
		if err := r.move(ids[i], eastOf(dam, float64(2000*i))); err != nil {
			t.Fatal(err)
		}
	}
	r.c.Tick()
	last := map[SessionID]int{}
	for _, id := range ids {
		r.pull(id)
	}
	for tick := 1; tick <= 4*every; tick++ {
		r.c.Tick()
		sent := 0
		for _, id := range ids {
			if snaps, _ := snapshots(r.pull(id)); len(snaps) > 0 {
				sent++
				if prev, ok := last[id]; ok && tick-prev != every {
					t.Errorf("cell refreshed at ticks %d and %d, want every %d", prev, tick, every)
				}
				last[id] = tick
			}
		}
		if bound := 2 * (cells + every - 1) / every; sent > bound {
			t.Errorf("tick %d carried %d refreshes, want at most %d", tick, sent, bound)
		}
	}
	if len(last) != cells {
		t.Errorf("%d of %d cells refreshed", len(last), cells)
	}
}
