package core

import "github.com/veltrix/veltrix/geo"

// SessionID names a session: slot index and the slot's generation, so an id
// kept after its session ended never reaches the slot's next occupant.
type SessionID uint64

func makeID(idx, gen uint32) SessionID { return SessionID(uint64(gen)<<32 | uint64(idx)) }
func (id SessionID) index() uint32     { return uint32(id) }
func (id SessionID) gen() uint32       { return uint32(id >> 32) }

// Session states.
const (
	stateFree   uint8 = iota
	stateHello        // connected, waiting for HELLO
	stateActive       // welcomed
	stateClosed       // closing: no more input, output still pulled
)

// MaxPullFrames is the most fan-out frames one Pull returns: the length of
// a session's queue. A transport sizes its per-send scatter list by it.
const MaxPullFrames = queueLen

// queueLen is the number of fan-out frames a session can have waiting, in
// order (a plain array: removing the farthest is a short copy).
const queueLen = 32

// queue is a session's waiting fan-out frames. A session holds one only
// while frames wait (queues): an idle session costs its slot alone.
type queue [queueLen]frameRef

// frameRef names a frame in a tick's arena: pointer-free, resolved at Pull.
type frameRef struct {
	tick uint32
	off  uint32
	n    uint32
	dist uint8 // grid distance of the frame's cell from the session's cell
	kid  bool  // a kid's frame (refine.go): first in a refined session's budget
	lazy bool  // an unchanged cell's refresh: may wait for the session's others (rounds.go)
}

// slot is one session. It holds no pointers: the GC never scans the table.
// Its frame queue is lent from Core.queues only while frames wait, so an
// idle session costs this struct alone (TestIdleSessionFootprint). Fields
// are grouped by size, so that none pads.
type slot struct {
	expires   int64    // server µs past which the session ends token_expired (token exp + grace)
	deadline  int64    // server µs of the session's next end: min(expires, last frame + IdleTimeout)
	cell      geo.Cell // current cell at res
	posAt     int64    // server µs of the last accepted position
	errAt     int64    // server µs of the last non-fatal ERROR sent
	msgTokens float64  // the session's message token bucket (any type)
	msgAt     int64    // server µs of its last refill
	hintAt    int64    // server µs of the last hint computed
	budTokens float64  // position bytes it may still be sent (budget.go)
	budAt     int64    // server µs of the last refill
	handle    uint64   // the transport's own reference, passed back to it
	kid       geo.Cell // its finer cell while its cell is dense (refine.go); 0: none

	gen        uint32
	hunt       uint32 // 0 before HELLO
	player     uint32
	centLat    int32 // centre of cell, for hysteresis
	centLng    int32
	lat, lng   int32 // last accepted position
	seq        uint32
	stamp      uint32    // low 32 bits of the last POSITION time
	changeTick uint32    // tick whose change list (its cell's) holds this session's entry (0: none)
	changeIdx  uint32    // index of the entry
	budget     uint32    // position bytes per second (budget.go)
	shown      [3]uint32 // crowd mode: the stamp last listed to its cell's own watchers, to the ring, in its kid's frame
	listed     [2]uint32 // crowd mode: the tick it was last listed at, per level
	q          uint32    // its queue in Core.queues while frames wait (0: none)
	lazyAt     uint32    // tick of the oldest lazy frame waiting unreadied (0: none; rounds.go)
	kidLat     int32     // centre of kid, for hysteresis
	kidLng     int32
	ancLat     int32 // where a refined session's interest area was chosen (refine.go)
	ancLng     int32

	hintKey    uint16 // band and bearing/10° of the last HINT sent
	dropTicks  uint16 // consecutive ticks that dropped frames
	state      uint8
	kind       uint8
	res        uint8 // the hunt's H3 resolution
	placed     bool  // has a position, hence a cell
	droppedNow bool
	pending    bool  // Ready was called and Pull has not run since
	refined    bool  // it watches the kids around it (its cell is dense)
	tight      bool  // the budget dropped a kid's frame: choose its kids again
	kidEpoch   uint8 // its refined area's choice (refine.go): kid watcher entries of another are stale
	owner      Owner // the transport that opened the session
	qCount     uint8 // frames waiting in its queue
}

// maxSessions is the most sessions one core holds at once: a watcher
// names its session's slot in 24 bits (cells.go).
const maxSessions = 1 << distShift

// table is the slot map. Freed slots are reused, their generation bumped.
type table struct {
	slots []slot
	free  []uint32
}

func (t *table) alloc() SessionID {
	var idx uint32
	if n := len(t.free); n > 0 {
		idx = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if len(t.slots) == maxSessions {
			panic("core: more than maxSessions sessions") // the watchers' 24-bit index (cells.go)
		}
		t.slots = append(t.slots, slot{})
		idx = uint32(len(t.slots) - 1)
	}
	s := &t.slots[idx]
	gen := s.gen + 1
	*s = slot{gen: gen, state: stateHello, kidEpoch: s.kidEpoch} // stale kid watcher entries stay stale
	return makeID(idx, gen)
}

// get returns the live slot of id, or nil.
func (t *table) get(id SessionID) *slot {
	i := id.index()
	if int(i) >= len(t.slots) {
		return nil
	}
	s := &t.slots[i]
	if s.gen != id.gen() || s.state == stateFree {
		return nil
	}
	return s
}

func (t *table) release(id SessionID) {
	s := &t.slots[id.index()]
	s.state = stateFree
	t.free = append(t.free, id.index())
}

// queues lends sessions their frame queues: one is taken at a session's
// first waiting frame and given back when Pull (or a drop) empties it, so
// the pools hold as many as sessions have frames waiting at once, not one
// per connection. A session takes a short queue first (most wait for a few
// frames) and moves to a full one when it fills. Handles are 1-based (0:
// none), bigBit marks a full queue. Pointer-free.
type queues struct {
	short pool[shortQueue]
	full  pool[queue]
}

// shortQueueLen is the length of the queue a session takes first.
const shortQueueLen = 8

type shortQueue [shortQueueLen]frameRef

const bigBit = 1 << 31

// refs is queue h's frames, all its length (h != 0).
func (q *queues) refs(h uint32) []frameRef {
	if h&bigBit != 0 {
		return q.full.of(h &^ bigBit)[:]
	}
	return q.short.of(h)[:]
}

// grow moves short queue h's n frames to a full queue and returns its handle.
func (q *queues) grow(h uint32, n uint8) uint32 {
	b := q.full.get()
	copy(q.full.of(b)[:], q.short.of(h)[:n])
	q.short.put(h)
	return b | bigBit
}

// put gives queue h back (0: nothing).
func (q *queues) put(h uint32) {
	switch {
	case h == 0:
	case h&bigBit != 0:
		q.full.put(h &^ bigBit)
	default:
		q.short.put(h)
	}
}

// pool is a free list of blocks of type T, by 1-based handle.
type pool[T any] struct {
	blocks []T
	free   []uint32
}

// get returns a free block's handle, growing the pool if none is free.
func (p *pool[T]) get() uint32 {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free = p.free[:n-1]
		return h
	}
	var zero T
	p.blocks = append(p.blocks, zero)
	return uint32(len(p.blocks))
}

func (p *pool[T]) put(h uint32) { p.free = append(p.free, h) }

// of is block h (valid until the pool grows).
func (p *pool[T]) of(h uint32) *T { return &p.blocks[h-1] }
