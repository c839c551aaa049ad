package core

import (
	"slices"

	"github.com/veltrix/veltrix/geo"
)

// change is one player's entry in a cell's CELL_UPDATE for the current tick.
// It carries the data so that a player who left (and whose slot may be
// reused) is still reported.
type change struct {
	op       uint8
	player   uint32
	lat, lng int32
	stamp    uint32
}

// cellState is one H3 cell of one hunt on this edge.
type cellState struct {
	players  []uint32      // slot indexes of the players in the cell
	watchers []watcher     // sessions whose interest area holds the cell
	changes  []change      // this tick's entries
	remote   []remoteEntry // other edges' players in the cell (remote.go)
	dirty    bool          // listed in Core.dirty
	snapshot bool          // send the full set this tick
	joiners  int           // watchers marked fresh: they get a snapshot of their own (join.go)
	turn     int           // its turn in the refresh round (rounds.go)
	round    int           // its index among the cells of that turn
	refresh  bool          // snapshot is the round's refresh (rounds.go)
	listedAt uint32        // tick it was listed in the rounds at
	off      uint8         // its turn's offset from its group's base
	crowded  bool          // in crowd mode (crowd.go)
	newCrowd bool          // became crowded this tick
	near     crowdCursor   // crowd mode: the next player to list to the watchers in the cell
	ring     crowdCursor   // … and to the ring's
	disk     []geo.Cell    // its interest area (grid disk Radius), itself included
	dense    bool          // a cell of its interest area is crowded: its players are bucketed by kid (refine.go)
}

// watcher is a session watching a cell, and how far the cell is from the
// session's own (fixed until the session changes cell), packed in 4 bytes
// (an interest area of k=1 costs a session 28 B): slot index (24 bits,
// maxSessions), distance (7 bits, capped at maxDist) and fresh (joined
// since the cell's last fan-out: waits for its snapshot).
type watcher uint32

const (
	maxDist   = 127 // distances beyond are recorded as maxDist (farthest)
	freshBit  = 1 << 31
	distShift = 24
	idxMask   = 1<<distShift - 1
	distMask  = maxDist << distShift
)

func newWatcher(idx uint32, dist uint8) watcher {
	return watcher(idx&idxMask | uint32(min(dist, maxDist))<<distShift | freshBit)
}

func (w watcher) idx() uint32     { return uint32(w) & idxMask }
func (w watcher) dist() uint8     { return uint8(uint32(w) & distMask >> distShift) }
func (w watcher) fresh() bool     { return w&freshBit != 0 }
func (w watcher) settle() watcher { return w &^ freshBit }

// cellKey distinguishes the same H3 cell in different hunts.
type cellKey struct {
	hunt uint32
	cell geo.Cell
}

func (c *Core) cellLocked(k cellKey) *cellState {
	cs := c.cells[k]
	if cs == nil {
		cs = &cellState{}
		cs.disk, _ = geo.AppendGridDisk(nil, k.cell, c.cfg.Radius)
		c.cells[k] = cs
		c.listRoundLocked(k, cs)
		cs.dense = c.denseLocked(k, cs)
	}
	return cs
}

func (c *Core) markDirtyLocked(k cellKey, cs *cellState) {
	if !cs.dirty {
		cs.dirty = true
		c.dirty = append(c.dirty, k)
	}
}

// recordLocked adds session s's entry with op to cell k for the tick being
// gathered, or updates the entry it already has there: a later position
// overwrites an earlier one, and "entered" or "left" win over "moved". A
// "left" is final (changeTick reset): what the session records next, in
// its new cell, is a new entry.
func (c *Core) recordLocked(k cellKey, s *slot, op uint8) {
	cs := c.cellLocked(k)
	if s.changeTick == c.tick+1 && int(s.changeIdx) < len(cs.changes) {
		e := &cs.changes[s.changeIdx]
		e.lat, e.lng, e.stamp = s.lat, s.lng, s.stamp
		if op != opMoved {
			e.op = op
		}
	} else {
		s.changeTick, s.changeIdx = c.tick+1, uint32(len(cs.changes))
		cs.changes = append(cs.changes, change{op: op, player: s.player, lat: s.lat, lng: s.lng, stamp: s.stamp})
	}
	if op == opLeft {
		s.changeTick = 0
	}
	c.markDirtyLocked(k, cs)
}

// watchLocked adds (add=true) or removes slot idx as a watcher of the cells
// within radius of cell. A new watcher is fresh: it alone gets a snapshot of
// the cell at the next tick (join.go), the others keep their deltas.
func (c *Core) watchLocked(hunt uint32, cell geo.Cell, idx uint32, add bool) {
	var err error
	c.disk, err = geo.AppendGridDisk(c.disk[:0], cell, c.cfg.Radius)
	if err != nil {
		return
	}
	for _, d := range c.disk {
		k := cellKey{hunt, d}
		if add {
			cs := c.cellLocked(k)
			if len(cs.watchers) == 0 && c.cfg.Peers != nil {
				c.cfg.Peers.Watch(hunt, uint64(d), true)
			}
			cs.watchers = append(cs.watchers, newWatcher(idx, distance(cell, d)))
			cs.joiners++
			if len(cs.players) > 0 || len(cs.remote) > 0 {
				c.markDirtyLocked(k, cs)
			}
			continue
		}
		if cs := c.cells[k]; cs != nil {
			if i := slices.IndexFunc(cs.watchers, func(w watcher) bool { return w.idx() == idx }); i >= 0 {
				if cs.watchers[i].fresh() {
					cs.joiners--
				}
				cs.watchers[i] = cs.watchers[len(cs.watchers)-1]
				cs.watchers = cs.watchers[:len(cs.watchers)-1]
				if len(cs.watchers) == 0 && c.cfg.Peers != nil {
					c.cfg.Peers.Watch(hunt, uint64(d), false)
					cs.remote = cs.remote[:0]
				}
			}
			c.dropIfEmptyLocked(k, cs)
		}
	}
}

func removeIdx(s []uint32, idx uint32) []uint32 {
	if i := slices.Index(s, idx); i >= 0 {
		s[i] = s[len(s)-1]
		return s[:len(s)-1]
	}
	return s
}

// dropIfEmptyLocked forgets a cell nobody is in, watches or waits on.
func (c *Core) dropIfEmptyLocked(k cellKey, cs *cellState) {
	if len(cs.players) == 0 && len(cs.watchers) == 0 && !cs.dirty {
		delete(c.cells, k)
		c.unlistRoundLocked(k, cs)
		if cs.crowded {
			cs.crowded = false
			c.uncrowdLocked(k)
			c.crowdChangedLocked(k, cs)
		}
	}
}

// distance is the grid distance between two cells, capped for frameRef.
func distance(a, b geo.Cell) uint8 {
	d, err := geo.GridDistance(a, b)
	if err != nil || d > 255 {
		return 255
	}
	return uint8(d)
}
