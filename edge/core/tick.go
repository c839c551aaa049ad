package core

import "github.com/veltrix/veltrix/protocol"

// Tick runs one fan-out round: every cell that changed since the last tick
// is encoded once — split into CELL_UPDATEs of at most
// protocol.MaxDatagramCellEntries entries so each fits a datagram — and the
// same bytes are queued for every session watching the cell. The transport
// calls it TickHz times a second: the rate Core.TickHz says, which drops
// under overload (dilate.go).
func (c *Core) Tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.cfg.Now()
	defer func() { c.tickDoneLocked(c.cfg.Now().Sub(start)) }()
	c.tick++
	c.tickAt = start.UnixMicro()
	a := c.arenaLocked(c.tick)
	now := c.tickAt
	c.drainRemoteLocked(a, now) // other edges' frames first: a snapshot below includes them
	// Changed, watched cells are counted here, apart from the encoder's
	// frame count, so that Stats can prove one frame per changed cell.
	cells := 0
	c.stats.LastTickFrames = 0
	c.markCrowdsLocked()
	for _, k := range c.dirty {
		cs := c.cells[k]
		if cs == nil {
			continue
		}
		if updatesLocked(cs) {
			cells++
		}
		cs.dirty = false
		c.crowdStateLocked(k, cs)
		c.fanOutLocked(a, k, cs)
		cs.changes, cs.snapshot, cs.refresh = cs.changes[:0], false, false
		c.dropIfEmptyLocked(k, cs)
	}
	c.stats.LastTickCells = cells
	c.stats.CrowdedCells = len(c.crowds)
	c.stats.CellsChanged += uint64(cells)
	c.dirty = c.dirty[:0]
	c.flushKidsLocked(a)
	c.scheduleSnapshotsLocked(a, now)
	c.checkSlowLocked()
}

// arenaLocked returns tick t's arena: the ring slot's buffer when no lease
// holds it, a fresh one otherwise.
func (c *Core) arenaLocked(t uint32) *arena {
	a := &c.arenas[t%arenaRing]
	if a.refs > 0 {
		*a = arena{buf: make([]byte, 0, cap(a.buf))}
	}
	a.tick, a.buf = t, a.buf[:0]
	return a
}

// fanOutLocked encodes cell k's update for this tick into a and queues it
// for the cell's watchers: a periodic snapshot to all of them, else the
// changes to the settled ones; fresh watchers get a snapshot of their own
// (join.go). A whole-cell snapshot is followed by the cell's remote players,
// one ORIGIN_SNAPSHOT series per origin (SPEC.md §2.5). With peers, the
// frames of this edge's own changes (or of all its players, at a periodic
// snapshot) go to Publish as encoded, whoever of the local watchers gets
// them; newcomers' snapshots stay local.
func (c *Core) fanOutLocked(a *arena, k cellKey, cs *cellState) {
	if cs.crowded {
		c.crowdFanOutLocked(a, k, cs)
		return
	}
	publish := c.publishesLocked(cs)
	if len(cs.watchers) == 0 && !publish {
		return
	}
	if cs.snapshot {
		c.lazy = cs.refresh && len(cs.changes) == 0 && cs.joiners == 0 // an unchanged cell's refresh may wait; a newcomer's snapshot may not (rounds.go)
		c.encodeLocked(a, k, cs, true, toAll, publish)
		if len(cs.remote) > 0 && len(cs.watchers) > 0 {
			c.remoteSnapshotLocked(a, k, cs, toAll)
		}
		c.lazy = false
		c.settleLocked(cs)
		return
	}
	if len(cs.changes) > 0 && (len(cs.watchers) > cs.joiners || publish) {
		c.encodeLocked(a, k, cs, false, toSettled, publish)
	}
	c.joinSnapshotLocked(a, k, cs)
}

// publishesLocked reports whether the cell's fan-out publishes to the
// region's other edges this tick: changes of this edge's players, or all of
// them at a periodic snapshot.
func (c *Core) publishesLocked(cs *cellState) bool {
	return c.cfg.Peers != nil && (len(cs.changes) > 0 || cs.snapshot && len(cs.players) > 0)
}

// encodeLocked encodes the cell's changes, or its full set (snapshot), once,
// queues the frames for the watchers to selects and, with publish, hands
// the same bytes to Peers.Publish. Frames for no one (toNone) are published
// only and leave the arena as they were.
func (c *Core) encodeLocked(a *arena, k cellKey, cs *cellState, snapshot bool, to uint8, publish bool) {
	flags, n := uint8(0), len(cs.changes)
	if snapshot {
		flags, n = protocol.FlagSnapshot, len(cs.players)
	}
	series := len(a.buf)
	for first := 0; first < n || (first == 0 && n == 0); first += protocol.MaxDatagramCellEntries {
		start := len(a.buf)
		a.buf, _ = protocol.BeginCellUpdate(a.buf, protocol.Cell(k.cell), c.tick, flags)
		for i := first; i < min(n, first+protocol.MaxDatagramCellEntries); i++ {
			e := c.entryLocked(cs, i, snapshot)
			a.buf = protocol.AppendCellEntry(a.buf, &e)
		}
		a.buf = protocol.EndCellUpdateOrigin(a.buf, start, c.cfg.Origin)
		switch to {
		case toNone:
		case toFresh:
			c.stats.JoinFrames++
		default:
			c.stats.FramesEncoded++
			c.stats.LastTickFrames++
		}
		if to != toNone {
			c.queueFrameLocked(cs, frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start)}, to)
		}
		flags = flags&^protocol.FlagSnapshot | protocol.FlagContinued
	}
	if publish {
		c.cfg.Peers.Publish(k.hunt, uint64(k.cell), a.buf[series:], snapshot)
		c.stats.FramesPublished++
	}
	if to == toNone {
		a.buf = a.buf[:series]
	}
}

// entryLocked is the i-th entry of the cell's update: a change, or for a
// snapshot the i-th player present.
func (c *Core) entryLocked(cs *cellState, i int, snapshot bool) protocol.CellEntry {
	if !snapshot {
		ch := &cs.changes[i]
		return protocol.CellEntry{Op: ch.op, Player: ch.player, Lat: ch.lat, Lng: ch.lng, Stamp: ch.stamp}
	}
	s := &c.tab.slots[cs.players[i]]
	return protocol.CellEntry{Op: opEntered, Player: s.player, Lat: s.lat, Lng: s.lng, Stamp: s.stamp}
}

// Which of a cell's watchers a frame is for.
const (
	toAll     uint8 = iota
	toSettled       // not fresh: they had the cell's earlier frames
	toFresh         // joined since the cell's last fan-out
	toNear          // in the cell (crowd mode)
	toRing          // around it (crowd mode)
	toNone          // no one: published to the region's other edges only
)

func wants(to uint8, w watcher) bool {
	switch to {
	case toSettled:
		return !w.fresh()
	case toFresh:
		return w.fresh()
	case toNear:
		return w.dist() == 0
	case toRing:
		return w.dist() > 0
	case toNone:
		return false
	}
	return true
}

func (c *Core) queueFrameLocked(cs *cellState, ref frameRef, to uint8) {
	for _, w := range cs.watchers {
		if !wants(to, w) || c.sparse && c.tab.slots[w.idx()].refined {
			continue
		}
		ref.dist, ref.lazy = w.dist(), c.lazy
		c.enqueueLocked(w.idx(), ref)
	}
}

// checkSlowLocked closes sessions that dropped frames for SlowTicks ticks in
// a row: they cannot keep up. It also offers a refined player's frames to
// its transport, every offerEvery ticks (refine.go). The same pass over the slots closes sessions
// whose token expired or that went idle (s.deadline, expireLocked): one
// comparison per session and tick, and no timer.
func (c *Core) checkSlowLocked() {
	now, every := c.tickAt, c.offerEvery()
	for i := range c.tab.slots {
		s := &c.tab.slots[i]
		if s.state != stateActive {
			continue
		}
		c.readyLazyLocked(uint32(i), s)
		if now >= s.deadline {
			c.expireLocked(makeID(uint32(i), s.gen), s, now)
			continue
		}
		if s.refined && s.qCount > 0 && (c.tick+uint32(i))%every == 0 {
			c.readyLocked(makeID(uint32(i), s.gen), s)
		}
		if !s.droppedNow {
			s.dropTicks = 0
			continue
		}
		s.droppedNow = false
		if s.dropTicks++; int(s.dropTicks) >= c.cfg.SlowTicks {
			c.tooSlowLocked(makeID(uint32(i), s.gen), s)
		}
	}
}
