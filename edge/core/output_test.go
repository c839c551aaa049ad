package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// TestFullQueueDropsFarthestFirst: a session that stops pulling while
// cells at grid distance 0, 1 and 2 from it change every tick keeps every
// frame of its own cell and of the distance-1 cells; only distance-2
// frames — the oldest of them — are dropped, and no control message is.
func TestFullQueueDropsFarthestFirst(t *testing.T) {
	const ticks = arenaRing // every frame still resolvable when the slow session pulls
	r := newRig(t, func(c *Config) {
		c.Radius, c.SnapshotEvery = 2, 1<<30
		c.PositionRate, c.PositionBurst = 1e6, 1e6
	})
	home, _ := geo.CellOf(dam, 9)
	// Movers: one in the slow player's cell, two at distance 1, three at 2:
	// six frames a tick, 48 in all for a queue of queueLen (32). Even full,
	// the queue holds at most 8+16 frames of distance < 2, so every drop
	// can take a distance-2 frame.
	perDist := []int{1, 2, 3}
	disk, err := geo.GridDisk(home, 2)
	if err != nil {
		t.Fatal(err)
	}
	type mover struct {
		id SessionID
		at geo.Point
	}
	var movers []mover
	dist := map[protocol.Cell]int{}
	for _, c := range disk {
		d, _ := geo.GridDistance(home, c)
		dist[protocol.Cell(c)] = d
		if perDist[d] == 0 {
			continue
		}
		perDist[d]--
		at, _ := geo.CellCenter(c)
		movers = append(movers, mover{r.join(uint32(100 + len(movers))), at})
	}
	if len(movers) != 6 {
		t.Fatalf("found %d mover cells, want 6", len(movers))
	}
	slow := r.join(1)
	if err := r.move(slow, dam); err != nil {
		t.Fatal(err)
	}
	for _, m := range movers {
		if err := r.move(m.id, m.at); err != nil {
			t.Fatal(err)
		}
	}
	r.c.Tick()
	r.pull(slow) // from here on the slow session does not pull
	for tick := 1; tick <= ticks; tick++ {
		r.now = r.now.Add(100 * time.Millisecond)
		for _, m := range movers {
			p := m.at
			p.Lat += float64(tick%2) * 1e-6 // ~0.1 m of jitter: same cell, a change every tick
			if err := r.move(m.id, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.c.Deliver(slow, protocol.AppendPing(nil, &protocol.Ping{Time: uint64(tick)})); err != nil {
			t.Fatal(err)
		}
		r.c.Tick()
		for _, m := range movers { // the movers keep up
			r.pull(m.id)
		}
	}
	kept := make([]int, 3)
	oldestFar := ^uint32(0)
	var pongs []uint64
	for _, m := range r.pull(slow) {
		switch m := m.(type) {
		case *protocol.CellUpdate:
			kept[dist[m.Cell]]++
			if dist[m.Cell] == 2 {
				oldestFar = min(oldestFar, m.Tick)
			}
		case *protocol.Pong:
			pongs = append(pongs, m.Echo)
		}
	}
	st := r.c.Snapshot()
	if want := []int{ticks, 2 * ticks, queueLen - 3*ticks}; kept[0] != want[0] || kept[1] != want[1] || kept[2] != want[2] {
		t.Errorf("frames kept by distance %v, want %v (only the farthest dropped)", kept, want)
	}
	if last := r.c.tick; oldestFar < last-2 { // 8 of 3 a tick: the last three ticks'
		t.Errorf("a distance-2 frame of tick %d survived newer ones (last tick %d): the oldest go first", oldestFar, last)
	}
	if st.DroppedQueue != 6*ticks-queueLen || st.DroppedStale != 0 {
		t.Errorf("dropped %d from the queue (want %d), %d stale", st.DroppedQueue, 6*ticks-queueLen, st.DroppedStale)
	}
	if len(pongs) != ticks || pongs[0] != 1 || pongs[ticks-1] != ticks {
		t.Errorf("PONGs %v: control messages must never be dropped", pongs)
	}
}
