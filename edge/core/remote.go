package core

import (
	"slices"
	"sync"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Cells shared with the other edges of the region (SPEC.md §2.5, edge/region).
//
// Out: each tick, the frames encoded for a cell that holds changes of this
// edge's own players go to Peers.Publish (the same bytes local watchers get:
// every frame carries Config.Origin). In: edge/region hands what arrives to
// Remote, which only copies it into a bounded inbox (inMu, never the core
// lock, so a NATS delivery never waits for a tick and a tick never waits for
// NATS). The tick drains the inbox first: each frame is merged into the
// cell's view of remote players and queued, byte for byte, for the cell's
// watchers. Lock order: mu, then inMu.

// remoteEntry is a player of another edge (origin) seen in a cell.
type remoteEntry struct {
	origin, player uint32
	lat, lng       int32
	stamp          uint32
}

// inFrame is one payload in the inbox: buf[off:off+n] for (hunt, cell).
type inFrame struct {
	hunt   uint32
	cell   uint64
	off, n uint32
}

// inbox holds what other edges sent since the last tick.
type inbox struct {
	buf    []byte
	frames []inFrame
}

// remote is the core's inbox side: guarded by its own mutex.
type remote struct {
	mu    sync.Mutex       // guards the fields below; taken after Core.mu, never before
	in    inbox            // filled by Remote
	alive map[uint32]int64 // origin → µs of its last heartbeat
	full  uint64           // payloads dropped for want of room
}

// Remote hands the core a payload another edge published for (hunt, cell):
// one or more whole CELL_UPDATEs. It copies the payload into the inbox the
// next tick drains and never blocks on the core; with RemoteInbox bytes
// already waiting it drops the payload, counts it (remote_full) and returns
// false.
func (c *Core) Remote(hunt uint32, cell uint64, payload []byte) bool {
	r := &c.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.in.buf)+len(payload) > c.cfg.RemoteInbox {
		r.full++
		return false
	}
	r.in.frames = append(r.in.frames, inFrame{hunt: hunt, cell: cell, off: uint32(len(r.in.buf)), n: uint32(len(payload))})
	r.in.buf = append(r.in.buf, payload...)
	return true
}

// Alive records a heartbeat of origin: its players stay in view for
// RemoteTTL more.
func (c *Core) Alive(origin uint32) {
	now := c.cfg.Now().UnixMicro()
	c.remote.mu.Lock()
	if c.remote.alive == nil {
		c.remote.alive = map[uint32]int64{}
	}
	c.remote.alive[origin] = now
	c.remote.mu.Unlock()
}

// takeInboxLocked swaps the inbox for the core's drained one and folds the
// heartbeats into heard.
func (c *Core) takeInboxLocked() {
	r := &c.remote
	r.mu.Lock()
	c.work, r.in = r.in, inbox{buf: c.work.buf[:0], frames: c.work.frames[:0]}
	for o, at := range r.alive {
		c.heard[o] = max(c.heard[o], at)
	}
	c.stats.Drops[DropRemoteFull] += r.full
	r.full = 0
	r.mu.Unlock()
}

// drainRemoteLocked merges what other edges sent since the last tick into
// the cells' views and queues it, unchanged, for the cells' watchers.
func (c *Core) drainRemoteLocked(a *arena, now int64) {
	if c.cfg.Peers == nil {
		return
	}
	c.takeInboxLocked()
	for _, f := range c.work.frames {
		k := cellKey{f.hunt, geo.Cell(f.cell)}
		cs := c.cells[k]
		if cs == nil || len(cs.watchers) == 0 {
			c.stats.Drops[DropRemoteUnwatched]++
			continue
		}
		b := c.work.buf[f.off : f.off+f.n]
		for len(b) > 0 {
			t, body, rest, err := protocol.Split(b)
			if err != nil || t != protocol.TypeCellUpdate || c.cu.Decode(body) != nil || !c.foreign(&c.cu, k) {
				c.stats.Drops[DropRemoteBad]++
				break
			}
			c.heard[c.cu.Origin] = now
			c.mergeLocked(cs, &c.cu)
			start := len(a.buf)
			a.buf = append(a.buf, b[:len(b)-len(rest)]...)
			c.queueFrameLocked(cs, frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start)}, toAll)
			b = rest
		}
	}
}

// foreign reports whether m is another edge's update of cell k that may be
// forwarded as it is: it carries an origin that is not this edge's, and it
// is not a whole-cell snapshot (which would make a v1 receiver forget this
// edge's own players).
func (c *Core) foreign(m *protocol.CellUpdate, k cellKey) bool {
	return m.Origin != 0 && m.Origin != c.cfg.Origin && m.Cell == protocol.Cell(k.cell) && m.Flags&protocol.FlagSnapshot == 0
}

// mergeLocked applies one CELL_UPDATE of another edge to the cell's view
// (SPEC.md §2.5): an ORIGIN_SNAPSHOT replaces the origin's players, entered
// and moved set a player's entry, left removes it only if it is the same
// origin's.
func (c *Core) mergeLocked(cs *cellState, m *protocol.CellUpdate) {
	if m.Flags&protocol.FlagOriginSnapshot != 0 && m.Flags&protocol.FlagContinued == 0 {
		cs.remote = slices.DeleteFunc(cs.remote, func(r remoteEntry) bool { return r.origin == m.Origin })
	}
	for i := range m.Entries {
		e := &m.Entries[i]
		j := slices.IndexFunc(cs.remote, func(r remoteEntry) bool { return r.player == e.Player })
		switch e.Op {
		case opEntered, opMoved:
			r := remoteEntry{origin: m.Origin, player: e.Player, lat: e.Lat, lng: e.Lng, stamp: e.Stamp}
			if j < 0 {
				cs.remote = append(cs.remote, r)
			} else {
				cs.remote[j] = r
			}
		case opLeft:
			if j >= 0 && cs.remote[j].origin == m.Origin {
				cs.remote = slices.Delete(cs.remote, j, j+1)
			}
		}
	}
}

// remoteSnapshotLocked follows a cell's snapshot for local watchers with its
// remote players: one ORIGIN_SNAPSHOT series per origin, encoded once.
// A player who is also in this edge's own view (it moved here) is left out.
func (c *Core) remoteSnapshotLocked(a *arena, k cellKey, cs *cellState, to uint8) {
	slices.SortFunc(cs.remote, func(x, y remoteEntry) int { return int(int64(x.origin) - int64(y.origin)) })
	for i := 0; i < len(cs.remote); {
		o := cs.remote[i].origin
		j := i
		for j < len(cs.remote) && cs.remote[j].origin == o {
			j++
		}
		c.encodeRemoteLocked(a, k, cs, cs.remote[i:j], opEntered, protocol.FlagOriginSnapshot, to)
		i = j
	}
}

// encodeRemoteLocked encodes entries of one origin with op, in as many
// datagram-sized CELL_UPDATEs as they need (flags on the first, CONTINUED
// added on the others), and queues them for the cell's watchers.
func (c *Core) encodeRemoteLocked(a *arena, k cellKey, cs *cellState, es []remoteEntry, op, flags, to uint8) {
	for first := 0; first < len(es); first += protocol.MaxDatagramCellEntries {
		start := len(a.buf)
		a.buf, _ = protocol.BeginCellUpdate(a.buf, protocol.Cell(k.cell), c.tick, flags)
		for _, r := range es[first:min(len(es), first+protocol.MaxDatagramCellEntries)] {
			if _, local := c.seats[seatKey{k.hunt, r.player}]; local {
				continue
			}
			a.buf = protocol.AppendCellEntry(a.buf, &protocol.CellEntry{Op: op, Player: r.player, Lat: r.lat, Lng: r.lng, Stamp: r.stamp})
		}
		a.buf = protocol.EndCellUpdateOrigin(a.buf, start, es[0].origin)
		if to == toFresh {
			c.stats.JoinFrames++
		} else {
			c.stats.FramesEncoded++
		}
		c.queueFrameLocked(cs, frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start)}, to)
		flags |= protocol.FlagContinued
	}
}

// expireRemoteLocked removes from the cell's view the players of edges not
// heard of for RemoteTTL, telling the watchers they left (on behalf of
// their origin).
func (c *Core) expireRemoteLocked(a *arena, k cellKey, cs *cellState, now int64) {
	ttl := c.cfg.RemoteTTL.Microseconds()
	for i := 0; i < len(cs.remote); {
		o := cs.remote[i].origin
		if now-c.heard[o] < ttl {
			i++
			continue
		}
		// Move origin o's entries to scratch and report them left.
		c.scratch = c.scratch[:0]
		cs.remote = slices.DeleteFunc(cs.remote, func(r remoteEntry) bool {
			if r.origin == o {
				c.scratch = append(c.scratch, r)
				return true
			}
			return false
		})
		c.encodeRemoteLocked(a, k, cs, c.scratch, opLeft, 0, toAll)
	}
}
