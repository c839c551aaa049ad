package core

import "sync/atomic"

// huntCounts counts the welcomed sessions of each hunt. It changes under
// the core's lock (one writer) and is read without it — a map replaced
// whole when a hunt is first counted, of counters changed in place — so
// that the hunt-status endpoint and load reports never wait behind a tick
// nor walk the slot table.
type huntCounts struct {
	m atomic.Pointer[map[uint32]*atomic.Int64]
}

// addLocked moves hunt's count by d (the core's lock held).
func (h *huntCounts) addLocked(hunt uint32, d int64) {
	old := h.m.Load()
	if old != nil {
		if n := (*old)[hunt]; n != nil {
			n.Add(d)
			return
		}
	}
	next := map[uint32]*atomic.Int64{}
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	n := new(atomic.Int64)
	n.Add(d)
	next[hunt] = n
	h.m.Store(&next)
}

// get is hunt's count.
func (h *huntCounts) get(hunt uint32) int {
	if m := h.m.Load(); m != nil {
		if n := (*m)[hunt]; n != nil {
			return int(n.Load())
		}
	}
	return 0
}

// snapshot is every hunt's count, those at zero left out.
func (h *huntCounts) snapshot() map[uint32]int {
	out := map[uint32]int{}
	if m := h.m.Load(); m != nil {
		for k, v := range *m {
			if n := v.Load(); n != 0 {
				out[k] = int(n)
			}
		}
	}
	return out
}

// PlayersInHunt is how many welcomed sessions hunt has. It takes no lock:
// a caller never waits behind a tick.
func (c *Core) PlayersInHunt(hunt uint32) int { return c.players.get(hunt) }

// PlayersByHunt counts welcomed sessions per hunt (for load reports),
// without a lock, as PlayersInHunt.
func (c *Core) PlayersByHunt() map[uint32]int { return c.players.snapshot() }

// leaveActiveLocked counts welcomed session s out of its hunt, as it stops
// being welcomed (closing, or gone).
func (c *Core) leaveActiveLocked(s *slot) {
	if s.state == stateActive {
		c.players.addLocked(s.hunt, -1)
	}
}
