package core

import "github.com/veltrix/veltrix/protocol"

// Output has two parts. Control messages (WELCOME, PONG, CLAIM_RESULT,
// ERROR, …) are appended to a per-session buffer that exists only while
// something waits in it and are never dropped. Fan-out frames are shared:
// a session's queue holds pointer-free references into the tick arenas.

// arena holds the frames one tick encoded. refs counts Pull leases not yet
// released: a leased arena is never overwritten (a new buffer is made).
type arena struct {
	tick uint32
	buf  []byte
	refs int32
}

// Lease is what a transport holds while it writes the frames Pull returned;
// it hands it back with Release once the write completed.
type Lease struct {
	base uint32 // newest tick referenced
	mask uint8  // bit i: tick base-i is referenced
}

func (c *Core) ctrlBuf(id SessionID) []byte { return c.ctrl[id.index()] }

// controlLocked stores b as session id's control buffer and readies it. A
// client that lets MaxControl bytes of control messages pile up is closed.
func (c *Core) controlLocked(id SessionID, s *slot, b []byte) {
	c.ctrl[id.index()] = b
	if len(b) > c.cfg.MaxControl {
		c.tooSlowLocked(id, s)
		return
	}
	c.readyLocked(id, s)
}

// tooSlowLocked closes a session that fell too far behind. What waits for
// it (control messages, queued frames) is dropped — it could not take it,
// and a backlog would leave no room for the close — so that a too_slow
// ERROR is all the transport still sends before the close (SPEC.md §4).
func (c *Core) tooSlowLocked(id SessionID, s *slot) {
	if s.state == stateClosed {
		return
	}
	c.stats.Drops[DropQueueFull] += uint64(s.qCount)
	c.emptyQueueLocked(s)
	c.ctrl[id.index()] = protocol.AppendError(c.ctrl[id.index()][:0], &protocol.ErrorMessage{Code: protocol.CodeTooSlow, Text: errTooSlowText})
	c.readyLocked(id, s)
	c.closeLocked(id, s, protocol.CodeTooSlow)
}

var errTooSlowText = protocol.Text("too far behind: output dropped")

func (c *Core) readyLocked(id SessionID, s *slot) {
	if !s.pending {
		s.pending = true
		c.owners[s.owner].Ready(id, s.handle)
	}
}

// enqueueLocked queues frame ref for slot idx. A full queue drops the
// farthest frame of all, ref included, and among the farthest the oldest:
// positions are latest-wins and near cells matter most. So ref itself is
// dropped only when it is strictly farther than every queued frame.
func (c *Core) enqueueLocked(idx uint32, ref frameRef) {
	s := &c.tab.slots[idx]
	if s.state != stateActive {
		return
	}
	if s.refined && !ref.kid {
		ref.dist++ // for a refined player its kids come first (refine.go)
	}
	if !c.spendLocked(s, ref) {
		c.stats.Drops[DropBudget]++
		s.tight = s.tight || ref.kid // its refined area no longer fits: chosen again (refine.go)
		return
	}
	if s.q == 0 {
		s.q = c.queues.short.get()
	}
	q := c.queues.refs(s.q)
	if int(s.qCount) == len(q) && len(q) < queueLen {
		s.q = c.queues.grow(s.q, s.qCount)
		q = c.queues.refs(s.q)
	}
	if int(s.qCount) == queueLen {
		worst := 0
		for i := 1; i < queueLen; i++ {
			if q[i].dist > q[worst].dist {
				worst = i
			}
		}
		s.droppedNow = s.droppedNow || s.pending || !s.refined // a refined player's queue fills between its offers (refine.go)
		c.stats.Drops[DropQueueFull]++
		if ref.dist > q[worst].dist {
			return // the queue is full, hence already pending
		}
		s.budTokens += float64(q[worst].n) // never sent: its bytes go back to the budget
		copy(q[worst:], q[worst+1:])
		s.qCount--
	}
	q[s.qCount] = ref
	s.qCount++
	c.stats.FramesQueued++
	c.stats.BytesFannedOut += uint64(ref.n)
	if s.refined {
		return // offered every other tick (refine.go)
	}
	if ref.lazy && !s.pending && s.qCount < shortQueueLen { // it may wait (rounds.go)
		if s.lazyAt == 0 {
			s.lazyAt = c.tick
		}
		return
	}
	c.readyLocked(makeID(idx, s.gen), s)
}

// Pull takes session id's waiting output: its control messages (one buffer
// the transport now owns; send it first, reliably) and its fan-out frames
// appended to dst, oldest first (shared bytes, valid until the transport
// Releases the lease).
func (c *Core) Pull(id SessionID, dst [][]byte) (control []byte, frames [][]byte, lease Lease) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.tab.get(id)
	if s == nil {
		return nil, dst, Lease{}
	}
	s.pending = false
	if b := c.ctrl[id.index()]; len(b) > 0 {
		control = b
		delete(c.ctrl, id.index())
		for len(b) > 0 {
			t, _, rest, err := protocol.Split(b)
			if err != nil {
				break
			}
			c.stats.MessagesOut[t]++
			b = rest
		}
	}
	lease = Lease{base: c.tick}
	if s.q == 0 {
		return control, dst, lease
	}
	for _, ref := range c.queues.refs(s.q)[:s.qCount] {
		age := c.tick - ref.tick
		a := &c.arenas[ref.tick%arenaRing]
		if age >= arenaRing || a.tick != ref.tick {
			c.stats.Drops[DropStale]++
			continue
		}
		if lease.mask&(1<<age) == 0 {
			lease.mask |= 1 << age
			a.refs++
		}
		dst = append(dst, a.buf[ref.off:ref.off+ref.n:ref.off+ref.n])
		c.stats.MessagesOut[a.buf[ref.off]]++ // CELL_UPDATE or CELL_SUMMARY
	}
	c.emptyQueueLocked(s)
	return control, dst, lease
}

// emptyQueueLocked forgets s's waiting frames and gives its queue back.
func (c *Core) emptyQueueLocked(s *slot) {
	c.queues.put(s.q)
	s.q, s.qCount, s.lazyAt = 0, 0, 0
}

// Release returns a lease: the arenas it pinned may be reused.
func (c *Core) Release(l Lease) {
	if l.mask == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for age := uint32(0); age < arenaRing; age++ {
		if l.mask&(1<<age) == 0 {
			continue
		}
		t := l.base - age
		if a := &c.arenas[t%arenaRing]; a.tick == t && a.refs > 0 {
			a.refs--
		}
	}
}
