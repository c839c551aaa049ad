package core

import (
	"cmp"
	"slices"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Refinement near the player (SPEC.md §2.2 CELL_SUMMARY, REFINED). In and
// around a crowd, players are also bucketed by a finer cell: the child of
// their cell Refine resolutions finer (a "kid", resolution 12 under a
// resolution-9 hunt). A player is bucketed, and refined, while its cell
// is dense: the cell or one within Radius of it is crowded. It watches
// the kids whose centre lies within reach (ChildReach + Hysteresis kid
// edges + kidSlack) of its anchor, as many as its budget carries — its
// refined interest area, which holds every player within ChildReach of it
// where the crowd allows — and each of them sends it, once a second, the whole list of its
// players (a SNAPSHOT of the kid, flag REFINED), encoded once per kid and
// shared by all its watchers. Those frames go before every other position
// frame in the budget (budget.go); the crowded cells themselves still send
// samples and summaries, which the budget cuts first.
//
// Arithmetic, at resolution 12 (edge 10.8 m on average, ~300 m² a kid):
// reach is 50 + 1.1 × 10.8 + 3 + 3 ≈ 68 m. A kid's frame is a FINE_CELL
// (SPEC.md §2.2): 34 bytes of header and origin, and 6 bytes a player
// (CELL_UPDATE's 17-byte entry could not carry a dense stadium's 50 m
// circle within the budget). 13/16 of the 8 KiB budget (6,656 B/s)
// carries, at the 15,000 stadium's 0.053 players/m², the nearest ~50
// kids and ~700 players: every kid whose players can stand within 50 m
// (TestRefinedWalkingCrowd). veltrix-bench crowd stands its players
// uniformly within 300 m of one spot: 0.007, 0.018 and 0.053 players/m²
// at 2,000, 5,000 and 15,000; at 15,000 the 50 m circle alone is 410
// players (p50 over observers; 477 at p99), 2.5–2.9 KB/s at 6 B a player.

// kidState is one fine cell of a dense area.
type kidState struct {
	players  []uint32    // slot indexes of the bucketed players standing in it
	gone     []SessionID // players that crossed to another kid since its last frame
	watchers []uint32    // refined sessions whose interest area holds it (kidWatch), and stale entries
	lat, lng int32       // its centre
	had      bool        // its last frame listed players: an empty kid says so once
}

// kidPhase staggers the kids' once-a-second frames evenly over the
// ticks, kid by kid: a refined player's ~41 kids then bring it about four
// frames a tick, never a burst that would overflow its 32-frame queue
// between two offers. A player crossing to a kid of another phase may be
// listed up to two seconds apart, once per crossing (kids have
// hysteresis, so once per ~10 m walked).
func kidPhase(k cellKey) uint32 { return uint32(uint64(k.cell) * 0x9E3779B97F4A7C15 >> 40) }

// refines reports whether refinement is on.
func (c *Core) refines() bool { return c.cfg.Refine > 0 }

// kidOfLocked returns kid k, made if missing; ctr is its centre if known.
func (c *Core) kidOfLocked(k cellKey, ctr *geo.Point) *kidState {
	ks := c.kids[k]
	if ks != nil {
		return ks
	}
	ks = &kidState{}
	if ctr == nil {
		if p, err := geo.CellCenter(k.cell); err == nil {
			ctr = &p
		}
	}
	if ctr != nil {
		ks.lat, ks.lng = ctr.E7()
	}
	c.kids[k] = ks
	c.kidList = append(c.kidList, k)
	return ks
}

// kidLocked keeps slot idx in the right kid, and a refined one in the
// right interest area, after its position or its cell's crowd state
// changed: bucketed, and refined, while cell cs is dense.
// Like a cell (SPEC.md §2.3), a kid is left only once the player is
// Hysteresis edges from its centre, so that jitter on a border does not
// make it flap; the interest area is chosen again once the player is
// kidSlack metres from where it was chosen, or once the budget dropped one
// of its kids' frames (the crowd grew around it: tight).
func (c *Core) kidLocked(idx uint32, s *slot, cs *cellState) {
	switch {
	case !c.refines() || cs == nil || !cs.dense:
		c.unkidLocked(idx, s)
	case s.kid == 0 || c.beyond(s.kidLat, s.kidLng, s, c.cfg.Hysteresis*c.kidEdge(s)):
		c.rekidLocked(idx, s)
	case s.refined && (s.tight || c.beyond(s.ancLat, s.ancLng, s, kidSlack)):
		s.tight = false
		s.kidEpoch++ // its old area's entries go stale
		s.ancLat, s.ancLng = s.lat, s.lng
		c.watchKidsLocked(s, idx)
	}
}

// kidSlack is how far (m) a refined player moves before its interest area
// is chosen again.
const kidSlack = 3

// kidMargin (m) widens a refined interest area beyond what the average kid
// edge says: H3 cells are not all the average size, and a player just
// inside 50 m whose kid's centre lay just beyond the reach was otherwise
// never listed until it changed kid.
const kidMargin = 3

// rekidLocked buckets slot idx in the kid of its position, and watches
// the kids around it.
func (c *Core) rekidLocked(idx uint32, s *slot) {
	kid, err := geo.CellOf(geo.PointE7(s.lat, s.lng), int(s.res)+c.cfg.Refine)
	if err != nil {
		return
	}
	if s.kid != 0 && s.kid != kid {
		if ks := c.kids[cellKey{s.hunt, s.kid}]; ks != nil {
			ks.gone = append(ks.gone, makeID(idx, s.gen))
		}
	}
	c.unkidLocked(idx, s)
	ctr, _ := geo.CellCenter(kid)
	s.kid, s.refined = kid, true
	s.kidLat, s.kidLng = ctr.E7()
	ks := c.kidOfLocked(cellKey{s.hunt, kid}, &ctr)
	ks.players = append(ks.players, idx)
	s.ancLat, s.ancLng = s.lat, s.lng
	c.watchKidsLocked(s, idx)
}

// kidEdge is the edge length (m) of s's kids, looked up once per
// resolution (H3's lookup allocates).
func (c *Core) kidEdge(s *slot) float64 {
	res := min(int(s.res)+c.cfg.Refine, len(c.kidEdges)-1)
	if c.kidEdges[res] == 0 {
		c.kidEdges[res], _ = geo.EdgeLength(res)
	}
	return c.kidEdges[res]
}

// beyond reports whether s stands more than m metres from (lat, lng).
func (c *Core) beyond(lat, lng int32, s *slot, m float64) bool {
	return geo.Distance(geo.PointE7(lat, lng), geo.PointE7(s.lat, s.lng)) > m
}

// unkidLocked takes slot idx out of its kid, and its refined interest
// area, if it has them.
func (c *Core) unkidLocked(idx uint32, s *slot) {
	if s.kid == 0 {
		return
	}
	if ks := c.kids[cellKey{s.hunt, s.kid}]; ks != nil {
		ks.players = removeIdx(ks.players, idx)
	}
	if s.refined {
		s.kidEpoch++ // its area's entries go stale
	}
	s.kid, s.refined = 0, false
}

// reach is the radius (m) of a refined interest area around its anchor:
// ChildReach, plus how far a listed player may stand from its kid's centre
// (hysteresis), plus how far the watcher may have moved since.
func (c *Core) reach(s *slot) float64 {
	return c.cfg.ChildReach + c.cfg.Hysteresis*c.kidEdge(s) + kidSlack + kidMargin
}

// watchKidsLocked adds slot idx as a watcher of the kids around its
// anchor, under its kidEpoch: those whose centre lies within reach, which hold
// every player within ChildReach of it — nearest first, and only as many
// as the player's budget can carry once a second (kidsFitLocked): in a
// crowd denser than that, the area shrinks rather than have the budget
// drop kids at random. The kids are found in the grid disk around the
// anchor's kid that holds the circle (a step of the disk is at least 1.5
// edges). Leaving an area is O(1): the slot's kidEpoch moves on, which
// makes every entry of its old area stale; each kid drops its stale entries on its
// tick of the second (liveKidWatchersLocked), so a dense crowd's long
// watcher lists are never searched. A kid gains the watcher at its next
// frame (within a second): every kid frame is the whole kid.
func (c *Core) watchKidsLocked(s *slot, idx uint32) {
	anchor := geo.PointE7(s.ancLat, s.ancLng)
	at, err := geo.CellOf(anchor, int(s.res)+c.cfg.Refine)
	if err != nil {
		return
	}
	reach, edge := c.reach(s), c.kidEdge(s)
	c.kdisk, err = geo.AppendGridDisk(c.kdisk[:0], at, int((reach+edge)/(1.5*edge))+1)
	if err != nil {
		return
	}
	w := kidWatch(idx, s.kidEpoch)
	for _, x := range c.kidsFitLocked(s, anchor, reach) {
		ctr := geo.PointE7(x.lat, x.lng)
		ks := c.kidOfLocked(cellKey{s.hunt, x.cell}, &ctr)
		ks.watchers = append(ks.watchers, w)
	}
}

// kidWatch is a kid's watcher entry: slot idx in the low 24 bits (as a
// cell's watcher), the slot's kidEpoch when it chose the kid above them.
func kidWatch(idx uint32, epoch uint8) uint32 { return idx&idxMask | uint32(epoch)<<distShift }

// liveKidWatchersLocked drops, in place, the entries of ws whose session
// has chosen its area again since, or is no longer refined (left, or out
// of the crowd), and returns what is left. (A slot's epoch survives its reuse by another session, so an
// old session's entries never come back to life; 256 choices by one
// session within the second before its kid's tick would need 256
// positions a second, over the message rate limit.)
func (c *Core) liveKidWatchersLocked(ws []uint32) []uint32 {
	live := ws[:0]
	for _, w := range ws {
		idx := w & idxMask
		if s := &c.tab.slots[idx]; s.refined && kidWatch(idx, s.kidEpoch) == w {
			live = append(live, w)
		}
	}
	return live
}

// kidCand is a kid that may join a refined interest area.
type kidCand struct {
	dist     float64
	cell     geo.Cell
	lat, lng int32
	players  int
}

// kidsFitLocked returns the kids of c.kdisk whose centre lies within reach
// of anchor, nearest first, as far as their frames (a header and an entry
// per player, once a second) fit 13/16 of s's budget; the rest of the
// budget is left to the crowd's summaries and samples.
func (c *Core) kidsFitLocked(s *slot, anchor geo.Point, reach float64) []kidCand {
	c.cands = c.cands[:0]
	for _, d := range c.kdisk {
		ks := c.kids[cellKey{s.hunt, d}]
		ctr, ok := c.kidCentre(ks, d)
		if dist := geo.Distance(anchor, ctr); ok && dist <= reach {
			x := kidCand{dist: dist, cell: d}
			x.lat, x.lng = ctr.E7()
			if ks != nil {
				x.players = len(ks.players)
			}
			c.cands = append(c.cands, x)
		}
	}
	slices.SortFunc(c.cands, func(a, b kidCand) int { return cmp.Compare(a.dist, b.dist) })
	room := int(s.budget) * 13 / 16
	for i, x := range c.cands {
		if room -= protocol.FineCellOverhead + x.players*protocol.FineEntrySize; room < 0 && i > 0 {
			return c.cands[:i]
		}
	}
	return c.cands
}

// kidCentre is the centre of kid d (ks, if it exists).
func (c *Core) kidCentre(ks *kidState, d geo.Cell) (geo.Point, bool) {
	if ks != nil {
		return geo.PointE7(ks.lat, ks.lng), true
	}
	p, err := geo.CellCenter(d)
	return p, err == nil
}

// flushKidsLocked sends each kid's frame on its tick of the second, to its
// watchers. The kids due are sent in a new order each tick, so that when
// a player's budget runs short it is not always the same kid that waits.
func (c *Core) flushKidsLocked(a *arena) {
	c.pruneKidsLocked()
	every := uint32(c.tickHzAt(c.dilation))
	c.stats.LastTickKidFrames = 0
	c.due = c.due[:0]
	for _, k := range c.kidList {
		if (c.tick+kidPhase(k))%every != 0 {
			continue
		}
		ks := c.kids[k]
		if ks.watchers = c.liveKidWatchersLocked(ks.watchers); len(ks.watchers) > 0 && (len(ks.players) > 0 || ks.had) {
			c.due = append(c.due, k)
		} else {
			ks.gone = ks.gone[:0] // nobody to list them to: they are not kept for later
		}
	}
	x := uint64(c.tick)*0x9E3779B97F4A7C15 | 1
	for i := len(c.due) - 1; i > 0; i-- { // Fisher–Yates with a xorshift
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		j := int(x % uint64(i+1))
		c.due[i], c.due[j] = c.due[j], c.due[i]
	}
	for _, k := range c.due {
		c.kidFrameLocked(a, k, c.kids[k])
	}
}

// pruneKidsLocked forgets the kids nobody stands in or watches.
func (c *Core) pruneKidsLocked() {
	for i := 0; i < len(c.kidList); {
		k := c.kidList[i]
		if ks := c.kids[k]; len(ks.players) > 0 || len(ks.watchers) > 0 {
			i++
			continue
		}
		delete(c.kids, k)
		c.kidList[i] = c.kidList[len(c.kidList)-1]
		c.kidList = c.kidList[:len(c.kidList)-1]
	}
}

// kidFrameLocked encodes kid k's players once — a FINE_CELL series (6
// bytes a player, SNAPSHOT on the first, ≤ 194 entries a message, the
// kid's centre the base point) — and queues it for every watcher of the
// kid, ahead in the budget. A message's stamp is the newest position it
// lists that the kid's last frame did not.
func (c *Core) kidFrameLocked(a *arena, k cellKey, ks *kidState) {
	flags := protocol.FlagSnapshot
	listed := c.kidListingLocked(k, ks)
	n := len(listed)
	for first := 0; first < n || first == 0; first += protocol.MaxDatagramFineEntries {
		var stamp uint32
		var start int
		a.buf, start = protocol.BeginFineCell(a.buf, protocol.Cell(k.cell), c.tick, flags, ks.lat, ks.lng)
		for _, idx := range listed[first:min(n, first+protocol.MaxDatagramFineEntries)] {
			s := &c.tab.slots[idx]
			if s.shown[levelKid] != s.stamp && (stamp == 0 || int32(s.stamp-stamp) > 0) {
				stamp = s.stamp
			}
			s.shown[levelKid] = s.stamp
			a.buf = protocol.AppendFineEntry(a.buf, start, s.player, s.lat, s.lng)
		}
		a.buf = protocol.EndFineCell(a.buf, start, stamp, c.cfg.Origin)
		ref := frameRef{tick: c.tick, off: uint32(start), n: uint32(len(a.buf) - start), kid: true}
		for _, w := range ks.watchers { // live: flushKidsLocked has just dropped the stale
			c.enqueueLocked(w&idxMask, ref)
		}
		flags = protocol.FlagContinued
	}
	ks.had = len(ks.players) > 0
	c.stats.KidFrames++
	c.stats.LastTickKidFrames++
}

// kidListingLocked is what kid k's frame lists: its players, and once
// more those that crossed to another kid since its last frame (still
// bucketed, the same session). Kids have their own ticks of the second, so
// a player listed by its old kid just before it crossed could wait up to
// two seconds for its new kid's; listed by the old kid once more, it is
// heard by the watchers of both at least once a second.
func (c *Core) kidListingLocked(k cellKey, ks *kidState) []uint32 {
	if len(ks.gone) == 0 {
		return ks.players
	}
	c.listing = append(c.listing[:0], ks.players...)
	for _, id := range ks.gone {
		if s := c.tab.get(id); s != nil && s.kid != 0 && s.kid != k.cell { // in another kid (not back in this one)
			c.listing = append(c.listing, id.index())
		}
	}
	ks.gone = ks.gone[:0]
	return c.listing
}

// offerEvery is how many ticks apart a refined player's frames are
// offered to its transport (Ready): two, not every tick — half the writes
// in a crowd, where the edge's CPU follows its sends. Two divides the
// tick rate, so a kid's frame (once a second, on its tick) waits the same
// for a given player every second, and each neighbour is heard every
// second still; at an odd rate (dilated to 5 Hz) it is every tick.
// Control messages are offered at once, as always. Two ticks bring a
// refined player about 11 frames (≈ 41 kids and 14 crowd samples and
// summaries a second), within its queue's 32; a full queue evicts the
// crowd's frames before the kids' (and gives their bytes back to the
// budget).
func (c *Core) offerEvery() uint32 {
	if c.tickHzAt(c.dilation)%2 == 0 {
		return 2
	}
	return 1
}

// levelKid is the kid frames' index in slot.shown (0 and 1 are the
// crowded cell's own and ring samples).
const levelKid = 2
