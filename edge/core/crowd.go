package core

import (
	"slices"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Crowd mode (SPEC.md §2.2 CELL_SUMMARY). A cell with more than
// CrowdPlayers players is crowded: its cost per tick stops growing with the
// crowd. Instead of every change, each tick it encodes, once each:
//
//   - for the watchers standing in it (grid distance 0): a CELL_UPDATE of
//     at most CrowdEntries players — new positions first (up to half), the
//     rest taken in turn from the cell's player list (the longest unsent
//     first) — plus the tick's "left" entries;
//   - for the watchers in the ring around it, every RingEvery ticks: the
//     same from a cursor of their own, so the ring costs a fraction;
//   - every SummaryEvery ticks, and for new watchers: a CELL_SUMMARY
//     (count, centroid, counts in the child cells one resolution finer).
//
// So every player of a crowded cell is listed to the watchers in the cell
// at least every ⌈players/(CrowdEntries/2)⌉ ticks, and to the ring at least
// every RingEvery times that (a player who leaves moves
// the list, which can delay one player by one more turn). A cell stops
// being crowded below three quarters of CrowdPlayers; it then sends its
// watchers a snapshot.

// crowdCursor is a crowded cell's rotation over its player list for one
// level (its own watchers, or the ring's).
type crowdCursor struct{ at int }

// childSum accumulates a summary's child cell.
type childSum struct {
	cell     geo.Cell
	n        int64
	lat, lng int64
}

// crowdStateLocked puts cell k into or out of crowd mode by the players
// of its interest area (what a watcher standing in it would be sent every
// position of), with hysteresis. It runs at the tick, before the cell's
// fan-out.
func (c *Core) crowdStateLocked(k cellKey, cs *cellState) {
	n := c.areaPlayersLocked(k, cs)
	switch {
	case !cs.crowded && n > c.cfg.CrowdPlayers:
		cs.crowded, cs.newCrowd = true, true
		c.crowds = append(c.crowds, k)
		c.crowdChangedLocked(k, cs)
	case cs.crowded && n < c.cfg.CrowdPlayers*3/4:
		cs.crowded = false
		c.uncrowdLocked(k)
		c.crowdChangedLocked(k, cs)
		if len(cs.players) > 0 {
			cs.snapshot = true // the watchers get the full set back
		}
	}
}

// areaPlayersLocked counts this edge's players in cell k's interest area.
func (c *Core) areaPlayersLocked(k cellKey, cs *cellState) int {
	n := 0
	for _, d := range cs.disk {
		if x := c.cells[cellKey{k.hunt, d}]; x != nil {
			n += len(x.players)
		}
	}
	return n
}

// denseLocked reports whether a cell of k's interest area is crowded.
func (c *Core) denseLocked(k cellKey, cs *cellState) bool {
	for _, d := range cs.disk {
		if x := c.cells[cellKey{k.hunt, d}]; x != nil && x.crowded {
			return true
		}
	}
	return false
}

// crowdChangedLocked follows cell k into or out of crowd mode: the cells
// around it judge again whether they are dense, and their players take or
// leave their kids (refine.go).
func (c *Core) crowdChangedLocked(k cellKey, cs *cellState) {
	if !c.refines() {
		return
	}
	for _, d := range cs.disk {
		xk := cellKey{k.hunt, d}
		x := c.cells[xk]
		if x == nil {
			continue
		}
		x.dense = c.denseLocked(xk, x)
		for _, idx := range x.players {
			c.kidLocked(idx, &c.tab.slots[idx], x)
		}
	}
}

// uncrowdLocked takes k off the list of crowded cells.
func (c *Core) uncrowdLocked(k cellKey) {
	if i := slices.Index(c.crowds, k); i >= 0 {
		c.crowds[i] = c.crowds[len(c.crowds)-1]
		c.crowds = c.crowds[:len(c.crowds)-1]
	}
}

// markCrowdsLocked makes every crowded cell part of this tick: it samples
// each tick whether or not its players moved.
func (c *Core) markCrowdsLocked() {
	for _, k := range c.crowds {
		c.markDirtyLocked(k, c.cells[k])
	}
}

// phase staggers a crowded cell's ring samples and summaries over the
// ticks, so that the cells of one crowd do not all send them at once.
func (k cellKey) phase() uint32 {
	x := uint64(k.cell) >> 18 * 0x9E3779B97F4A7C15
	return uint32(x >> 40)
}

// crowdFanOutLocked is fanOutLocked for a crowded cell.
func (c *Core) crowdFanOutLocked(a *arena, k cellKey, cs *cellState) {
	if c.publishesLocked(cs) { // the other edges get every change, not samples
		c.encodeLocked(a, k, cs, cs.snapshot, toNone, true)
	}
	if len(cs.watchers) == 0 {
		cs.newCrowd = false
		return
	}
	phase := c.tick + k.phase()
	// Refined watchers have their kids every second, and hear the crowd's
	// samples only on its summary ticks.
	c.sparse = phase%uint32(c.cfg.SummaryEvery) != 0
	if !c.refines() || phase%uint32(c.cfg.RingEvery) == 0 {
		c.sampleLocked(a, k, cs, &cs.near, toNear, 0)
	}
	if phase%uint32(c.cfg.RingEvery) == 0 {
		c.sampleLocked(a, k, cs, &cs.ring, toRing, 1)
	}
	c.sparse = false
	switch {
	case cs.newCrowd || phase%uint32(c.cfg.SummaryEvery) == 0:
		c.summaryLocked(a, k, cs, toAll)
	case cs.joiners > 0:
		c.summaryLocked(a, k, cs, toFresh)
	}
	if cs.joiners > 0 && len(cs.remote) > 0 { // newcomers: the other edges' players in full
		c.remoteSnapshotLocked(a, k, cs, toFresh)
	}
	cs.newCrowd = false
	c.settleLocked(cs)
}

// sampleLocked encodes one CELL_UPDATE of the cell for the watchers to
// selects: the tick's "left" entries (at most CrowdEntries/4), then up to
// CrowdEntries players — first, up to half of them, players whose position
// is newer than what this level last listed of them (found from cursor cur
// on), then the rest from cur in turn (the longest unsent first). So a
// moderate crowd's new positions go out at once, and every player is
// listed within ⌈players/(CrowdEntries/2)⌉ samples whatever moves. An
// entry that repeats the position last listed at this level carries stamp
// 0 (SPEC.md: it measures no delivery).
func (c *Core) sampleLocked(a *arena, k cellKey, cs *cellState, cur *crowdCursor, to uint8, level int) {
	start := len(a.buf)
	a.buf, _ = protocol.BeginCellUpdate(a.buf, protocol.Cell(k.cell), c.tick, 0)
	left := 0
	for i := range cs.changes {
		if ch := &cs.changes[i]; ch.op == opLeft && left < c.cfg.CrowdEntries/4 {
			e := protocol.CellEntry{Op: ch.op, Player: ch.player, Lat: ch.lat, Lng: ch.lng, Stamp: ch.stamp}
			a.buf = protocol.AppendCellEntry(a.buf, &e)
			left++
		}
	}
	n, want := len(cs.players), min(len(cs.players), c.cfg.CrowdEntries)
	if cur.at >= n {
		cur.at = 0
	}
	listed := 0
	for i := 0; i < n && listed < want/2; i++ {
		if s := &c.tab.slots[cs.players[(cur.at+i)%n]]; s.shown[level] != s.stamp {
			c.listLocked(a, s, level)
			listed++
		}
	}
	for i := 0; i < n && listed < want; i++ {
		s := &c.tab.slots[cs.players[cur.at]]
		if cur.at++; cur.at >= n {
			cur.at = 0
		}
		if s.listed[level] != c.tick {
			c.listLocked(a, s, level)
			listed++
		}
	}
	a.buf = protocol.EndCellUpdateOrigin(a.buf, start, c.cfg.Origin)
	c.stats.CrowdFrames++
	c.queueFrameLocked(cs, frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start)}, to)
}

// listLocked appends player s's entry to the sample being encoded at level.
func (c *Core) listLocked(a *arena, s *slot, level int) {
	e := protocol.CellEntry{Op: opMoved, Player: s.player, Lat: s.lat, Lng: s.lng, Stamp: s.stamp}
	if s.shown[level] == s.stamp {
		e.Stamp = 0
	}
	s.shown[level], s.listed[level] = s.stamp, c.tick
	a.buf = protocol.AppendCellEntry(a.buf, &e)
}

// summaryLocked encodes the cell's CELL_SUMMARY for the watchers to selects.
func (c *Core) summaryLocked(a *arena, k cellKey, cs *cellState, to uint8) {
	res := k.cell.Resolution() + 1
	c.sums = c.sums[:0]
	var lat, lng int64
	for _, idx := range cs.players {
		s := &c.tab.slots[idx]
		lat, lng = lat+int64(s.lat), lng+int64(s.lng)
		child, err := geo.CellOf(geo.PointE7(s.lat, s.lng), res)
		if err != nil {
			continue
		}
		i := slices.IndexFunc(c.sums, func(x childSum) bool { return x.cell == child })
		if i < 0 {
			if len(c.sums) == protocol.MaxSummaryChildren {
				continue
			}
			i = len(c.sums)
			c.sums = append(c.sums, childSum{cell: child})
		}
		x := &c.sums[i]
		x.n, x.lat, x.lng = x.n+1, x.lat+int64(s.lat), x.lng+int64(s.lng)
	}
	m := protocol.CellSummary{Cell: protocol.Cell(k.cell), Tick: c.tick, Count: uint32(len(cs.players)), Children: c.children[:0]}
	if n := int64(len(cs.players)); n > 0 {
		m.Lat, m.Lng = int32(lat/n), int32(lng/n)
	}
	for _, x := range c.sums {
		m.Children = append(m.Children, protocol.SummaryChild{Cell: protocol.Cell(x.cell), Count: uint16(min(x.n, 65535)),
			Lat: int32(x.lat / x.n), Lng: int32(x.lng / x.n)})
	}
	c.children = m.Children
	start := len(a.buf)
	a.buf = protocol.AppendCellSummary(a.buf, &m)
	c.stats.SummaryFrames++
	c.queueFrameLocked(cs, frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start)}, to)
}
