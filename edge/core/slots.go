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

// frameRef names a frame in a tick's arena: pointer-free, resolved at Pull.
type frameRef struct {
	tick uint32
	off  uint32
	n    uint32
	dist uint8 // grid distance of the frame's cell from the session's cell
	kid  bool  // a kid's frame (refine.go): first in a refined session's budget
}

// slot is one session. It holds no pointers: the GC never scans the table.
type slot struct {
	gen    uint32
	state  uint8
	kind   uint8
	res    uint8  // the hunt's H3 resolution
	hunt   uint32 // 0 before HELLO
	player uint32

	expires  int64 // server µs past which the session ends token_expired (token exp + grace)
	deadline int64 // server µs of the session's next end: min(expires, last frame + IdleTimeout)

	placed     bool     // has a position, hence a cell
	cell       geo.Cell // current cell at res
	centLat    int32    // centre of cell, for hysteresis
	centLng    int32
	lat, lng   int32 // last accepted position
	seq        uint32
	stamp      uint32   // low 32 bits of the last POSITION time
	posAt      int64    // server µs of the last accepted position
	changeTick uint32   // tick whose change list holds this session's entry
	changeCell geo.Cell // the cell of that list
	changeIdx  uint32   // index of the entry
	errAt      int64    // server µs of the last non-fatal ERROR sent
	msgTokens  float64  // the session's message token bucket (any type)
	msgAt      int64    // server µs of its last refill
	hintAt     int64    // server µs of the last hint computed
	hintKey    uint16   // band and bearing/10° of the last HINT sent
	dropTicks  uint16   // consecutive ticks that dropped frames
	droppedNow bool
	pending    bool      // Ready was called and Pull has not run since
	budget     uint32    // position bytes per second (budget.go)
	budTokens  float64   // bytes it may still be sent
	budAt      int64     // server µs of the last refill
	shown      [3]uint32 // crowd mode: the stamp last listed to its cell's own watchers, to the ring, in its kid's frame
	listed     [2]uint32 // crowd mode: the tick it was last listed at, per level
	kid        geo.Cell  // its finer cell while its cell is dense (refine.go); 0: none
	kidLat     int32     // centre of kid, for hysteresis
	kidLng     int32
	ancLat     int32 // where a refined session's interest area was chosen (refine.go)
	ancLng     int32
	refined    bool   // it watches the kids around it (its cell is dense)
	tight      bool   // the budget dropped a kid's frame: choose its kids again
	owner      Owner  // the transport that opened the session
	handle     uint64 // the transport's own reference, passed back to it
	qCount     uint8
	queue      [queueLen]frameRef
}

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
		t.slots = append(t.slots, slot{})
		idx = uint32(len(t.slots) - 1)
	}
	s := &t.slots[idx]
	gen := s.gen + 1
	*s = slot{gen: gen, state: stateHello}
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
