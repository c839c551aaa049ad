package link

import (
	"slices"
	"sync"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Replica is the edge's copy of the coordinator's hunts, fed by the event
// stream. Applying an event is idempotent: a hunt attached to its creation
// event may already show what later events repeat.
//
// Lock order: the core's lock before mu (the core looks hunts up while
// locked), so the replica never calls the core while holding mu.
type Replica struct {
	mu      sync.RWMutex // guards everything below
	hunts   map[uint32]*huntReplica
	homes   map[uint32]string // hunt → home region, for every homed hunt the stream names
	region  string            // the stream's region: hunts homed elsewhere are dropped ("": none)
	applied uint64
	maxID   uint32    // the highest treasure id seen (ids grow across all hunts)
	contact time.Time // last line from the coordinator
	core    *core.Core
	outbox  []protocol.Event // events for players, sent once mu is released
	news    []treasureNews   // treasure changes for players, likewise
	stale   map[uint32]bool  // hunts whose status changed, pushed likewise
	moved   []uint32         // hunts that moved to another region: their players are redirected likewise
	changed chan struct{}    // closed and replaced after every applied message
}

type huntReplica struct {
	wire.HuntSummary
	treasures map[uint32]wire.Treasure
	byCell    map[geo.Cell][]uint32 // unclaimed treasures by cell at the hunt's resolution
	index     *geo.Index            // unclaimed treasures, for hints
	scores    map[uint32]uint32     // player → score: the points of the treasures it won
}

// treasureNews is a treasure change for the players watching its cell.
type treasureNews struct {
	hunt  uint32
	cell  geo.Cell
	entry protocol.TreasureEntry
}

func newReplica(region string) *Replica {
	return &Replica{hunts: map[uint32]*huntReplica{}, homes: map[uint32]string{}, region: region, changed: make(chan struct{})}
}

// Home is the region hunt is homed in ("" and false when it has none, or
// the replica has not heard of it): the edges of that region serve it.
func (r *Replica) Home(hunt uint32) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.homes[hunt]
	return h, ok
}

// Changed returns a channel closed after the next applied stream message.
func (r *Replica) Changed() <-chan struct{} {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.changed
}

func (r *Replica) attach(c *core.Core) {
	r.mu.Lock()
	r.core = c
	r.mu.Unlock()
}

// Applied is the coordinator log index the replica reflects.
func (r *Replica) Applied() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.applied
}

// Staleness is the time since the coordinator was last heard (streams carry
// a heartbeat every few seconds), or -1 if it never was.
func (r *Replica) Staleness() time.Duration {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.contact.IsZero() {
		return -1
	}
	return time.Since(r.contact)
}

// Hunt implements core.Hunts.
func (r *Replica) Hunt(id uint32) (core.HuntInfo, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[id]
	if h == nil {
		return core.HuntInfo{}, false
	}
	return core.HuntInfo{ID: id, Resolution: h.Spec.Resolution, Active: h.State == wire.Active.String(),
		PositionBudget: h.Spec.PositionBudget}, true
}

// Status is the hunt status from the replica, stating its staleness.
func (r *Replica) Status(id uint32, playersOnline int) (wire.HuntStatus, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[id]
	if h == nil {
		return wire.HuntStatus{}, false
	}
	return wire.HuntStatus{
		Hunt: id, Name: h.Spec.Name, State: h.State, Total: h.Total, Remaining: h.Remaining,
		Leaderboard: append([]wire.Leader{}, h.Leaderboard...), PlayersOnline: playersOnline,
		Starts: h.Spec.Starts, Ends: h.Spec.Ends, Node: "edge", AppliedIndex: r.applied,
		StalenessMS: time.Since(r.contact).Milliseconds(),
	}, true
}

// Area is a copy of the hunt's area polygon.
func (r *Replica) Area(id uint32) (geo.Polygon, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[id]
	if h == nil {
		return geo.Polygon{}, false
	}
	a := geo.Polygon{Outer: slices.Clone(h.Spec.Area.Outer)}
	for _, hole := range h.Spec.Area.Holes {
		a.Holes = append(a.Holes, slices.Clone(hole))
	}
	return a, true
}

// HuntIDs lists the hunts the replica holds.
func (r *Replica) HuntIDs() []uint32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]uint32, 0, len(r.hunts))
	for id := range r.hunts {
		ids = append(ids, id)
	}
	return ids
}

func (r *Replica) apply(m *wire.StreamMessage) {
	r.mu.Lock()
	r.applyLocked(m)
	out, news, moved, c := r.outbox, r.news, r.moved, r.core
	var statuses []protocol.HuntStatus
	for id := range r.stale {
		if h := r.hunts[id]; h != nil {
			statuses = append(statuses, h.wireStatus())
		}
	}
	r.outbox, r.news, r.stale, r.moved = nil, nil, nil, nil
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if c == nil {
		return
	}
	for _, e := range out {
		c.Broadcast(e.Hunt, e)
	}
	for _, n := range news {
		c.TreasureChanged(n.hunt, n.cell, n.entry)
	}
	for _, st := range statuses {
		c.BroadcastStatus(st)
	}
	for _, h := range moved {
		c.RedirectHunt(h) // the core asks the edge's router where to
	}
}

// wireStatus is the HUNT_STATUS players are pushed.
func (h *huntReplica) wireStatus() protocol.HuntStatus {
	st := protocol.HuntStatus{Hunt: h.ID, Total: uint32(h.Total), Remaining: uint32(h.Remaining),
		Starts: uint64(h.Spec.Starts), Ends: uint64(h.Spec.Ends)}
	switch h.State {
	case wire.Scheduled.String():
		st.State = protocol.HuntScheduled
	case wire.Active.String():
		st.State = protocol.HuntActive
	case wire.Ended.String():
		st.State = protocol.HuntEnded
	}
	for _, l := range h.Leaderboard {
		st.Leaders = append(st.Leaders, protocol.Leader{Player: l.Player, Score: l.Score})
	}
	return st
}

func (r *Replica) applyLocked(m *wire.StreamMessage) {
	r.contact = time.Now()
	switch m.Type {
	case "snapshot":
		held := r.hunts
		r.hunts, r.homes = map[uint32]*huntReplica{}, map[uint32]string{}
		for id, home := range m.Homes {
			r.setHomeLocked(id, home)
			if held[id] != nil && r.hunts[id] == nil {
				r.moved = append(r.moved, id) // moved while the stream was down
			}
		}
		r.putHuntsLocked(m.Hunts)
		r.applied = m.Index
	case "event":
		r.putHuntsLocked(m.Hunts)
		r.eventLocked(m.Event)
		r.applied = max(r.applied, m.Event.Index)
	case "heartbeat":
		r.applied = max(r.applied, m.Index)
	}
}

func (r *Replica) putHuntsLocked(hs []wire.HuntDetail) {
	for _, d := range hs {
		h := &huntReplica{HuntSummary: d.HuntSummary, treasures: make(map[uint32]wire.Treasure, len(d.Treasures)),
			byCell: map[geo.Cell][]uint32{}, scores: map[uint32]uint32{}}
		h.index, _ = geo.NewIndex(geo.DefaultIndexResolution)
		for _, t := range d.Treasures {
			h.treasures[t.ID] = t
			r.maxID = max(r.maxID, t.ID)
			if !t.Claimed() {
				h.addOpen(t)
			} else {
				h.scores[t.ClaimedBy] += uint32(t.Points)
			}
		}
		r.hunts[d.ID] = h
		r.setHomeLocked(d.ID, d.Home)
	}
}

// setHomeLocked records hunt's home; a hunt homed in another region than
// the stream's leaves the replica (the stream no longer carries it), and
// its players are redirected there.
func (r *Replica) setHomeLocked(hunt uint32, home string) {
	if home == "" {
		delete(r.homes, hunt)
		return
	}
	r.homes[hunt] = home
	if r.region != "" && home != r.region && r.hunts[hunt] != nil {
		delete(r.hunts, hunt)
		r.moved = append(r.moved, hunt)
	}
}

func (h *huntReplica) addOpen(t wire.Treasure) {
	h.byCell[geo.Cell(t.Cell)] = append(h.byCell[geo.Cell(t.Cell)], t.ID)
	_ = h.index.Add(t.ID, geo.PointE7(t.Lat, t.Lng))
}

func (h *huntReplica) removeOpen(t wire.Treasure) {
	c := geo.Cell(t.Cell)
	ids := h.byCell[c]
	for i, id := range ids {
		if id == t.ID {
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			break
		}
	}
	if len(ids) == 0 {
		delete(h.byCell, c)
	} else {
		h.byCell[c] = ids
	}
	h.index.Remove(t.ID)
}

func entryOf(t wire.Treasure, state uint8) protocol.TreasureEntry {
	return protocol.TreasureEntry{Treasure: t.ID, Lat: t.Lat, Lng: t.Lng, Points: t.Points, State: state}
}

// TreasuresIn implements core.Treasures.
func (r *Replica) TreasuresIn(hunt uint32, cells []geo.Cell, dst []protocol.TreasureEntry) []protocol.TreasureEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[hunt]
	if h == nil {
		return dst
	}
	for _, c := range cells {
		for _, id := range h.byCell[c] {
			dst = append(dst, entryOf(h.treasures[id], protocol.TreasureAvailable))
		}
	}
	return dst
}

// Hint implements core.Treasures.
func (r *Replica) Hint(hunt uint32, lat, lng int32) (protocol.Hint, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[hunt]
	if h == nil {
		return protocol.Hint{}, false
	}
	band, bearing, ok := h.index.Hint(geo.PointE7(lat, lng))
	if !ok {
		return protocol.Hint{}, false
	}
	return protocol.Hint{Band: uint8(band), Bearing: uint16(bearing*100) % 36000}, true
}

// NoSuchTreasure implements core.Treasures. Treasure ids are allocated in
// log order across all hunts, so an id at or below the highest one the
// replica has seen, and not among the hunt's, never will be; a higher id
// may be a treasure placed after what the replica reflects.
func (r *Replica) NoSuchTreasure(hunt, id uint32) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[hunt]
	if id == 0 {
		return true
	}
	if h == nil || id > r.maxID {
		return false
	}
	_, ok := h.treasures[id]
	return !ok
}

// ClaimedByOther implements core.Treasures: a treasure of an active hunt
// won by someone else. Treasures are never removed from a hunt, so a
// player's score is the sum of the points of the treasures it won, as the
// coordinator counts it.
func (r *Replica) ClaimedByOther(hunt, id, player uint32) (uint32, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.hunts[hunt]
	if h == nil || h.State != wire.Active.String() {
		return 0, false
	}
	t, ok := h.treasures[id]
	if !ok || !t.Claimed() || t.ClaimedBy == player {
		return 0, false
	}
	return h.scores[player], true
}

func (r *Replica) eventLocked(e *wire.Event) {
	switch e.Kind {
	case wire.EventHuntHomed:
		r.setHomeLocked(e.Hunt, e.Region)
	case wire.EventHuntDeleted:
		delete(r.homes, e.Hunt)
	}
	h := r.hunts[e.Hunt]
	if h == nil {
		return
	}
	switch e.Kind {
	case wire.EventTreasureClaimed:
		if t, ok := h.treasures[e.Treasure]; ok && !t.Claimed() {
			t.ClaimedBy, t.ClaimedAt = e.Player, e.Time
			h.treasures[e.Treasure] = t
			h.Remaining--
			h.removeOpen(t)
			h.scores[e.Player] += uint32(t.Points)
			r.news = append(r.news, treasureNews{e.Hunt, geo.Cell(t.Cell), entryOf(t, protocol.TreasureClaimed)})
		}
	case wire.EventTreasurePlaced:
		if _, ok := h.treasures[e.Treasure]; !ok {
			cell, _ := geo.CellOf(geo.PointE7(e.Lat, e.Lng), h.Spec.Resolution)
			t := wire.Treasure{ID: e.Treasure, Cell: uint64(cell), Lat: e.Lat, Lng: e.Lng, Points: uint16(e.Points)}
			h.treasures[e.Treasure] = t
			r.maxID = max(r.maxID, t.ID)
			h.Remaining++
			h.Total++
			h.addOpen(t)
			r.news = append(r.news, treasureNews{e.Hunt, cell, entryOf(t, protocol.TreasureAvailable)})
		}
	case wire.EventHuntStarted:
		h.State = wire.Active.String()
	case wire.EventHuntEnded:
		h.State = wire.Ended.String()
	case wire.EventScoreChanged:
		h.Leaderboard = wire.UpdateLeaders(h.Leaderboard, e.Player, e.Points)
	case wire.EventHuntDeleted:
		delete(r.hunts, e.Hunt)
	}
	if r.stale == nil {
		r.stale = map[uint32]bool{}
	}
	r.stale[e.Hunt] = true                                                    // every kind but deletion changes what HUNT_STATUS shows
	if e.Kind >= wire.EventTreasureClaimed && e.Kind <= wire.EventHuntEnded { // the kinds players see
		r.outbox = append(r.outbox, protocol.Event{Kind: uint8(e.Kind), Hunt: e.Hunt, Treasure: e.Treasure,
			Player: e.Player, Lat: e.Lat, Lng: e.Lng, Time: uint64(e.Time)})
	}
}
