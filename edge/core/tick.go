package core

import (
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// Tick runs one fan-out round: every cell that changed since the last tick
// is encoded once — split into CELL_UPDATEs of at most
// protocol.MaxDatagramCellEntries entries so each fits a datagram — and the
// same bytes are queued for every session watching the cell. The transport
// calls it TickHz times a second.
func (c *Core) Tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	defer func() { c.stats.LastTickDuration = time.Since(start) }()
	c.tick++
	a := c.arenaLocked(c.tick)
	now := c.cfg.Now().UnixMicro()
	c.drainRemoteLocked(a, now) // other edges' frames first: a snapshot below includes them
	// Changed, watched cells are counted here, apart from the encoder's
	// frame count, so that Stats can prove one frame per changed cell.
	cells := 0
	c.stats.LastTickFrames = 0
	for _, k := range c.dirty {
		cs := c.cells[k]
		if cs == nil {
			continue
		}
		if len(cs.watchers) > 0 {
			cells++
		}
		cs.dirty = false
		c.fanOutLocked(a, k, cs)
		cs.changes, cs.snapshot = cs.changes[:0], false
		c.dropIfEmptyLocked(k, cs)
	}
	c.stats.LastTickCells = cells
	c.stats.CellsChanged += uint64(cells)
	c.dirty = c.dirty[:0]
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
// for the cell's watchers. With peers, the same bytes go to Publish when
// they hold changes of this edge's players (or all of them: a snapshot),
// and a snapshot is followed by the cell's remote players.
func (c *Core) fanOutLocked(a *arena, k cellKey, cs *cellState) {
	publish := c.cfg.Peers != nil && (len(cs.changes) > 0 || cs.snapshot && len(cs.players) > 0)
	if len(cs.watchers) == 0 && !publish {
		return
	}
	flags, n := uint8(0), len(cs.changes)
	if cs.snapshot {
		flags, n = protocol.FlagSnapshot, len(cs.players)
	}
	series := len(a.buf)
	for first := 0; first < n || (first == 0 && n == 0); first += protocol.MaxDatagramCellEntries {
		start := len(a.buf)
		a.buf, _ = protocol.BeginCellUpdate(a.buf, protocol.Cell(k.cell), c.tick, flags)
		for i := first; i < min(n, first+protocol.MaxDatagramCellEntries); i++ {
			e := c.entryLocked(cs, i)
			a.buf = protocol.AppendCellEntry(a.buf, &e)
		}
		a.buf = protocol.EndCellUpdateOrigin(a.buf, start, c.cfg.Origin)
		c.stats.FramesEncoded++
		c.stats.LastTickFrames++
		c.queueFrameLocked(cs, frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start)})
		flags = flags&^protocol.FlagSnapshot | protocol.FlagContinued
	}
	if publish {
		c.cfg.Peers.Publish(k.hunt, uint64(k.cell), a.buf[series:], cs.snapshot)
		c.stats.FramesPublished++
	}
	if cs.snapshot && len(cs.remote) > 0 && len(cs.watchers) > 0 {
		c.remoteSnapshotLocked(a, k, cs)
	}
}

// entryLocked is the i-th entry of the cell's update: a change, or for a
// snapshot the i-th player present.
func (c *Core) entryLocked(cs *cellState, i int) protocol.CellEntry {
	if !cs.snapshot {
		ch := &cs.changes[i]
		return protocol.CellEntry{Op: ch.op, Player: ch.player, Lat: ch.lat, Lng: ch.lng, Stamp: ch.stamp}
	}
	s := &c.tab.slots[cs.players[i]]
	return protocol.CellEntry{Op: opEntered, Player: s.player, Lat: s.lat, Lng: s.lng, Stamp: s.stamp}
}

func (c *Core) queueFrameLocked(cs *cellState, ref frameRef) {
	for _, w := range cs.watchers {
		ref.dist = w.dist
		c.enqueueLocked(w.idx, ref)
	}
}

// scheduleSnapshotsLocked marks each watched, occupied cell for a full
// snapshot every SnapshotEvery ticks (staggered by cell), so that receivers
// that lost datagrams converge (and, with peers, so that the region's other
// edges hear of this edge's players at least that often). Once a second
// the same pass expires the players of edges not heard of for RemoteTTL.
func (c *Core) scheduleSnapshotsLocked(a *arena, now int64) {
	every := uint64(c.cfg.SnapshotEvery)
	expire := c.cfg.Peers != nil && c.tick%uint32(c.cfg.TickHz) == 0
	for k, cs := range c.cells {
		if expire && len(cs.remote) > 0 {
			c.expireRemoteLocked(a, k, cs, now)
		}
		if (uint64(k.cell)>>12+uint64(c.tick))%every == 0 && (len(cs.players) > 0 || len(cs.remote) > 0) && len(cs.watchers) > 0 {
			cs.snapshot = true
			c.markDirtyLocked(k, cs)
		}
	}
}

// checkSlowLocked closes sessions that dropped frames for SlowTicks ticks in
// a row: they cannot keep up. The same pass over the slots closes sessions
// whose token expired or that went idle (s.deadline, expireLocked): one
// comparison per session and tick, and no timer.
func (c *Core) checkSlowLocked() {
	now := c.cfg.Now().UnixMicro()
	for i := range c.tab.slots {
		s := &c.tab.slots[i]
		if s.state != stateActive {
			continue
		}
		if now >= s.deadline {
			c.expireLocked(makeID(uint32(i), s.gen), s, now)
			continue
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
