package core

import (
	"testing"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// TestIdleRefreshesLeaveTogether (issue 16): 2,000 idle players, about 30
// to a cell, ticks 100 ms apart. Over one refresh round (and the lazyWait
// ticks its last lazy frames may wait), pulling only the sessions the core
// readied (as a transport does), every player gets a snapshot of every
// occupied cell of its interest area — the 10 s rule still holds — in at
// most two sends on average: an unchanged cell's refresh waits for the
// others of the session's interest area (rounds.go) instead of costing a
// send of its own. Before, 6.0 sends per session for 6.6 frames.
func TestIdleRefreshesLeaveTogether(t *testing.T) {
	const n = 2000
	r, ids := idleCity(t, n)
	r.net.track = true
	got := make(map[SessionID]map[protocol.Cell]bool, n)
	sends, frames := 0, r.c.Snapshot().FramesQueued
	for range DefaultSnapshotEvery + lazyWait { // the round's last lazy frames wait lazyWait ticks
		r.tick()
		due := r.net.due
		r.net.due = nil
		for _, id := range due {
			snaps, _ := snapshots(r.pull(id))
			if got[id] == nil {
				got[id] = map[protocol.Cell]bool{}
			}
			for cell := range snaps {
				got[id][cell] = true
			}
		}
		sends += len(due)
	}
	frames = r.c.Snapshot().FramesQueued - frames
	missing := 0
	for _, id := range ids {
		for _, cell := range r.occupiedAround(id) {
			if !got[id][protocol.Cell(cell)] {
				missing++
			}
		}
	}
	t.Logf("one round: %d sends and %d frames for %d sessions; drops %v", sends, frames, n, r.c.Snapshot().Drops)
	if missing > 0 {
		t.Errorf("%d (session, occupied cell of its interest area) pairs got no snapshot in the round", missing)
	}
	if perSession := float64(sends) / n; perSession > 2 {
		t.Errorf("%.2f sends per session in a round of refreshes (%.2f frames), want at most 2", perSession, float64(frames)/n)
	}
}

// occupiedAround is the occupied cells of session id's interest area.
func (r *rig) occupiedAround(id SessionID) []geo.Cell {
	s := r.c.tab.get(id)
	disk, err := geo.GridDisk(s.cell, r.c.cfg.Radius)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []geo.Cell
	for _, d := range disk {
		if cs := r.c.cells[cellKey{s.hunt, d}]; cs != nil && len(cs.players) > 0 {
			out = append(out, d)
		}
	}
	return out
}
