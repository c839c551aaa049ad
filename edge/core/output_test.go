package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// ringRig is a rig with one slow session at dam (it stops pulling after the
// first tick) and movers in the cells around it, perDist[d] of them at grid
// distance d, each alone in its cell.
type ringRig struct {
	*rig
	slow   SessionID
	movers [][]ringMover // by distance
	dist   map[protocol.Cell]int
	steps  int
}

type ringMover struct {
	id SessionID
	at geo.Point
}

func newRingRig(t *testing.T, perDist ...int) *ringRig {
	t.Helper()
	r := &ringRig{rig: newRig(t, func(c *Config) {
		c.Radius, c.SnapshotEvery = len(perDist)-1, 1<<30
		c.PositionRate, c.PositionBurst = 1e6, 1e6
	}), movers: make([][]ringMover, len(perDist)), dist: map[protocol.Cell]int{}}
	home, _ := geo.CellOf(dam, 9)
	disk, err := geo.GridDisk(home, len(perDist)-1)
	if err != nil {
		t.Fatal(err)
	}
	player := uint32(100)
	for _, c := range disk {
		d, _ := geo.GridDistance(home, c)
		r.dist[protocol.Cell(c)] = d
		if len(r.movers[d]) == perDist[d] {
			continue
		}
		at, _ := geo.CellCenter(c)
		r.movers[d] = append(r.movers[d], ringMover{r.join(player), at})
		player++
	}
	for d, ms := range r.movers {
		if len(ms) != perDist[d] {
			t.Fatalf("found %d mover cells at distance %d, want %d", len(ms), d, perDist[d])
		}
	}
	r.slow = r.join(1)
	if err := r.move(r.slow, dam); err != nil {
		t.Fatal(err)
	}
	for _, ms := range r.movers {
		for _, m := range ms {
			if err := r.move(m.id, m.at); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.c.Tick()
	r.pull(r.slow) // from here on the slow session does not pull
	return r
}

// step moves the movers at distances [from, to) by ~0.1 m (same cell, a
// change), sends a PING from the slow session and runs a tick; the movers
// keep up.
func (r *ringRig) step(from, to int) {
	r.t.Helper()
	r.now = r.now.Add(100 * time.Millisecond)
	r.steps++
	for _, ms := range r.movers[from:to] {
		for _, m := range ms {
			p := m.at
			p.Lat += float64(r.steps%2) * 1e-6
			if err := r.move(m.id, p); err != nil {
				r.t.Fatal(err)
			}
		}
	}
	if err := r.c.Deliver(r.slow, protocol.AppendPing(nil, &protocol.Ping{Time: uint64(r.steps)})); err != nil {
		r.t.Fatal(err)
	}
	r.c.Tick()
	for _, ms := range r.movers {
		for _, m := range ms {
			r.pull(m.id)
		}
	}
}

// pullSlow counts the frames the slow session kept by distance, and
// returns the oldest tick of a distance-d frame and the PONGs' echoes.
func (r *ringRig) pullSlow(d int) (kept []int, oldest uint32, pongs []uint64) {
	kept, oldest = make([]int, len(r.movers)), ^uint32(0)
	for _, m := range r.pull(r.slow) {
		switch m := m.(type) {
		case *protocol.CellUpdate:
			kept[r.dist[m.Cell]]++
			if r.dist[m.Cell] == d {
				oldest = min(oldest, m.Tick)
			}
		case *protocol.Pong:
			pongs = append(pongs, m.Echo)
		}
	}
	return kept, oldest, pongs
}

// TestFullQueueDropsFarthestFirst: a session that stops pulling while
// cells at grid distance 0, 1 and 2 from it change every tick keeps every
// frame of its own cell and of the distance-1 cells; only distance-2
// frames — the oldest of them — are dropped, and no control message is.
func TestFullQueueDropsFarthestFirst(t *testing.T) {
	const ticks = arenaRing // every frame still resolvable when the slow session pulls
	// Six frames a tick, 48 in all for a queue of queueLen (32). Even full,
	// the queue holds at most 8+16 frames of distance < 2, so every drop
	// can take a distance-2 frame.
	r := newRingRig(t, 1, 2, 3)
	for range ticks {
		r.step(0, 3)
	}
	kept, oldestFar, pongs := r.pullSlow(2)
	st := r.c.Snapshot()
	if want := []int{ticks, 2 * ticks, queueLen - 3*ticks}; kept[0] != want[0] || kept[1] != want[1] || kept[2] != want[2] {
		t.Errorf("frames kept by distance %v, want %v (only the farthest dropped)", kept, want)
	}
	if last := r.c.tick; oldestFar < last-2 { // 8 of 3 a tick: the last three ticks'
		t.Errorf("a distance-2 frame of tick %d survived newer ones (last tick %d): the oldest go first", oldestFar, last)
	}
	if st.Drops[DropQueueFull] != 6*ticks-queueLen || st.Drops[DropStale] != 0 {
		t.Errorf("dropped %d from the queue (want %d), %d stale", st.Drops[DropQueueFull], 6*ticks-queueLen, st.Drops[DropStale])
	}
	if len(pongs) != ticks || pongs[0] != 1 || pongs[ticks-1] != ticks {
		t.Errorf("PONGs %v: control messages must never be dropped", pongs)
	}
}

// TestFullQueueDropsIncomingFarthest: when the queue is full of near frames
// and a farther one arrives, the incoming frame is the one dropped, not a
// queued nearer one.
func TestFullQueueDropsIncomingFarthest(t *testing.T) {
	// Seven near frames a tick: five ticks fill the queue (35 for 32).
	r := newRingRig(t, 1, 6, 1)
	const near = 5
	for range near {
		r.step(0, 2)
	}
	r.step(2, 3) // only the distance-2 cell changes
	kept, _, _ := r.pullSlow(2)
	st := r.c.Snapshot()
	if want := []int{near, queueLen - near, 0}; kept[0] != want[0] || kept[1] != want[1] || kept[2] != want[2] {
		t.Errorf("frames kept by distance %v, want %v (the incoming farthest frame dropped)", kept, want)
	}
	if want := uint64(7*near - queueLen + 1); st.Drops[DropQueueFull] != want || st.Drops[DropStale] != 0 {
		t.Errorf("dropped %d from the queue (want %d), %d stale", st.Drops[DropQueueFull], want, st.Drops[DropStale])
	}
}
