package core

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

const (
	opEntered = protocol.OpEntered
	opMoved   = protocol.OpMoved
	opLeft    = protocol.OpLeft
)

// arenaRing is how many ticks of encoded frames stay addressable. A frame
// still queued for a session after that is stale and dropped (positions are
// latest-wins).
const arenaRing = 8

// Core is one edge's sessions and cells. All methods are safe for concurrent
// use; they serialise on one lock (held briefly: one frame or one tick).
type Core struct {
	cfg Config

	mu        sync.Mutex // guards all fields below
	owners    []Notifier // by Owner: the transports that registered
	tab       table
	queues    queues // the sessions' frame queues, lent while frames wait (slots.go)
	cells     map[cellKey]*cellState
	dirty     []cellKey
	rounds    [][]cellKey              // every cell, by its turn in the refresh round (rounds.go)
	groups    map[cellKey]refreshGroup // the cells' refresh groups (rounds.go)
	roundLen  int                      // the round's length in ticks (rounds.go)
	roundTick int                      // the tick of the round now
	nextBase  int                      // where the next refresh group's base is looked for (rounds.go)
	lazy      bool                     // the frames being queued are lazy (rounds.go)
	tick      uint32                   // ticks completed
	tickAt    int64                    // server µs at the start of the last tick
	arenas    [arenaRing]arena         // encoded frames of recent ticks, by tick % arenaRing
	ctrl      map[uint32][]byte        // slot → control messages waiting (never dropped)
	buckets   map[uint32]bucket        // player → position token bucket, shared by its sessions
	seats     map[seatKey]SessionID    // (hunt, player) → its one welcomed session (newest wins)
	disk      []geo.Cell               // scratch: the interest area being (un)watched
	tbuf      []protocol.TreasureEntry // scratch
	crowds    []cellKey                // the crowded cells (crowd.go)
	kids      map[cellKey]*kidState    // the fine cells of dense areas (refine.go)
	kidList   []cellKey                // the keys of kids, in no order
	kdisk     []geo.Cell               // scratch: a refined interest area being (un)watched
	kidEdges  [16]float64              // kid edge length (m) by resolution, once known
	due       []cellKey                // scratch: the kids whose frame this tick sends
	cands     []kidCand                // scratch: the kids that may join a refined interest area
	listing   []uint32                 // scratch: the players a kid frame lists
	sparse    bool                     // the frame being queued skips refined watchers (crowd.go)
	dilation  int                      // tick dilation level (dilate.go)
	slowTicks int                      // consecutive ticks over the dilation share
	fastTicks int                      // consecutive ticks that would fit the faster rate
	sums      []childSum               // scratch: a summary's child cells
	children  []protocol.SummaryChild  // scratch: a summary's children
	stats     Stats
	players   huntCounts // welcomed sessions per hunt, read without mu (players.go)

	// Cells shared with the region's other edges (remote.go).
	remote  remote              // the inbox Remote fills (its own lock)
	work    inbox               // the inbox being drained by the tick
	heard   map[uint32]int64    // origin → µs it was last heard of
	cu      protocol.CellUpdate // scratch: the remote CELL_UPDATE being merged
	scratch []remoteEntry       // scratch: remote entries expiring
}

// bucket is a player's position and claim token buckets (pointer-free).
type bucket struct {
	tokens   float64
	at       int64 // µs of the last refill
	claims   float64
	claimAt  int64 // µs of the last claim refill
	sessions int   // the player's welcomed sessions
}

// Stats counts what the core did. Drops and closes are by reason.
type Stats struct {
	Sessions          int
	MessagesIn        [256]uint64                  // by message type
	MessagesOut       [256]uint64                  // by message type, counted when pulled
	FramesEncoded     uint64                       // CELL_UPDATE frames encoded for changed cells (once per cell and tick)
	JoinFrames        uint64                       // snapshots encoded for a cell's newcomers only (once per cell and tick)
	CrowdFrames       uint64                       // crowded cells' sampled CELL_UPDATEs (once per cell, level and tick)
	SummaryFrames     uint64                       // CELL_SUMMARY frames encoded (once per crowded cell and tick at most)
	KidFrames         uint64                       // kids' REFINED snapshots encoded (refine.go: once per kid and second)
	CrowdedCells      int                          // cells in crowd mode after the last tick
	TickHz            int                          // the tick rate now (dilate.go)
	Dilations         uint64                       // tick rate changes
	TickDurations     [len(TickBuckets) + 1]uint64 // ticks by duration (TickBuckets)
	TickTime          time.Duration                // the ticks' durations summed
	CellsChanged      uint64                       // changed, watched cells over all ticks, counted apart from encoding
	FramesQueued      uint64                       // frame references queued to sessions
	FramesPublished   uint64                       // cell series handed to Peers.Publish (once per changed cell and tick)
	BytesFannedOut    uint64
	Drops             [NumDropReasons]uint64 // frames dropped and messages refused, by reason
	TokensRefreshed   uint64                 // TOKEN messages accepted
	Closes            map[protocol.Code]uint64
	LastTickCells     int           // changed, watched cells at the start of the last tick (counted apart from encoding)
	LastTickFrames    int           // CELL_UPDATE frames the last tick encoded for settled watchers: LastTickCells, plus one per 69 entries beyond the first 69 of a cell
	LastTickDuration  time.Duration // how long the last tick held the core
	LastTickKidFrames int           // kid snapshots the last tick encoded
}

// New returns a core.
func New(cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg.withDefaults(), cells: map[cellKey]*cellState{}, kids: map[cellKey]*kidState{}, groups: map[cellKey]refreshGroup{}, ctrl: map[uint32][]byte{}, buckets: map[uint32]bucket{},
		seats: map[seatKey]SessionID{}, heard: map[uint32]int64{}, stats: Stats{Closes: map[protocol.Code]uint64{}}}
	c.resizeRoundsLocked(c.roundTicksLocked())
	return c, nil
}

// Owner names a transport registered with the core (Register).
type Owner uint8

// Register adds transport n and returns the Owner it opens sessions with.
// At most 256 transports register; more is a programming error (panic).
func (c *Core) Register(n Notifier) Owner {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n == nil || len(c.owners) > 255 {
		panic("core: Register needs a notifier, and takes at most 256")
	}
	c.owners = append(c.owners, n)
	return Owner(len(c.owners) - 1)
}

// Open registers a new connection of transport owner and returns its
// session id. The core calls only owner's Notifier for it, with handle
// (the transport's own reference to the connection, opaque to the core).
func (c *Core) Open(owner Owner, handle uint64) SessionID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int(owner) >= len(c.owners) {
		panic("core: Open with an unregistered owner")
	}
	c.stats.Sessions++
	id := c.tab.alloc()
	s := c.tab.get(id)
	s.owner, s.handle = owner, handle
	s.msgTokens, s.msgAt = c.cfg.MessageBurst, c.cfg.Now().UnixMicro()
	return id
}

// Closed tells the core that session id's connection is gone. The player
// leaves its cell (neighbours see it at the next tick).
func (c *Core) Closed(id SessionID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.tab.get(id)
	if s == nil {
		return
	}
	c.unplaceLocked(id, s)
	c.leaveActiveLocked(s)
	delete(c.ctrl, id.index())
	if s.state != stateHello { // welcomed: the player holds a share of a bucket and maybe its seat
		c.unseatLocked(id, s)
		if b := c.buckets[s.player]; b.sessions <= 1 {
			delete(c.buckets, s.player)
		} else {
			b.sessions--
			c.buckets[s.player] = b
		}
	}
	c.emptyQueueLocked(s)
	c.tab.release(id)
	c.stats.Sessions--
}

// unplaceLocked takes session id out of its cell, if it has one: the
// player "left" for the cell's watchers, and its interest area is unwatched.
func (c *Core) unplaceLocked(id SessionID, s *slot) {
	if !s.placed {
		return
	}
	k := cellKey{s.hunt, s.cell}
	c.recordLocked(k, s, opLeft)
	cs := c.cells[k]
	cs.players = removeIdx(cs.players, id.index())
	c.watchLocked(s.hunt, s.cell, id.index(), false)
	c.unkidLocked(id.index(), s)
	s.placed = false
}

// closeLocked asks the transport to close id with code: input stops, what is
// queued may still be pulled.
func (c *Core) closeLocked(id SessionID, s *slot, code protocol.Code) {
	if s.state == stateClosed {
		return
	}
	c.leaveActiveLocked(s)
	s.state = stateClosed
	c.stats.Closes[code]++
	c.owners[s.owner].Hangup(id, s.handle, code)
}

// CountClose counts a close that a transport decided itself (a framing
// violation, a handshake or write timeout, an oversized datagram, shutdown)
// under its code, beside the closes the core asks for. A transport calls it
// once per such close and never for a close it was asked for through
// Notifier.Hangup (the core has counted those).
func (c *Core) CountClose(code protocol.Code) {
	c.mu.Lock()
	c.stats.Closes[code]++
	c.mu.Unlock()
}

// Snapshot returns a copy of the counters.
func (c *Core) Snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.Closes = make(map[protocol.Code]uint64, len(c.stats.Closes))
	for k, v := range c.stats.Closes {
		st.Closes[k] = v
	}
	return st
}

// Broadcast queues an EVENT for every welcomed session of hunt. Control
// messages are never dropped.
func (c *Core) Broadcast(hunt uint32, e protocol.Event) {
	c.broadcast(hunt, func(b []byte) []byte { return protocol.AppendEvent(b, &e) })
}

// BroadcastStatus queues a HUNT_STATUS for every welcomed session of hunt.
func (c *Core) BroadcastStatus(st protocol.HuntStatus) {
	c.broadcast(st.Hunt, func(b []byte) []byte { return protocol.AppendHuntStatus(b, &st) })
}

func (c *Core) broadcast(hunt uint32, enc func([]byte) []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.tab.slots {
		s := &c.tab.slots[i]
		if s.state == stateActive && s.hunt == hunt {
			id := makeID(uint32(i), s.gen)
			c.controlLocked(id, s, enc(c.ctrlBuf(id)))
		}
	}
}

// CellCount is the players of one hunt in one cell.
type CellCount struct {
	Hunt    uint32
	Cell    geo.Cell
	Players int
}

// PlayersByCell counts the placed players per hunt and cell, the busiest
// cells first (ties by hunt and cell), at most max of them.
func (c *Core) PlayersByCell(max int) []CellCount {
	type key struct {
		hunt uint32
		cell geo.Cell
	}
	counts := map[key]int{}
	c.mu.Lock()
	for i := range c.tab.slots {
		if s := &c.tab.slots[i]; s.state == stateActive && s.placed {
			counts[key{s.hunt, s.cell}]++
		}
	}
	c.mu.Unlock()
	out := make([]CellCount, 0, len(counts))
	for k, n := range counts {
		out = append(out, CellCount{Hunt: k.hunt, Cell: k.cell, Players: n})
	}
	slices.SortFunc(out, func(a, b CellCount) int {
		return cmp.Or(cmp.Compare(b.Players, a.Players), cmp.Compare(a.Hunt, b.Hunt), cmp.Compare(a.Cell, b.Cell))
	})
	return out[:min(len(out), max)]
}
