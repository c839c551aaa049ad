package core

import "github.com/veltrix/veltrix/geo"

// Refresh rounds. Every watched, occupied cell is sent in full to its
// watchers once a round (SnapshotEvery ticks, 5 s): receivers forget a
// player not heard of for 10 s (SPEC.md §2.2). What an idle edge pays for
// this is not the encoding (once per cell) but the sends: each watcher
// has an interest area of seven cells. So:
//
//   - A cell's turn is a fixed tick of the round, so its refreshes are
//     exactly a round apart. Cells of one H3 grandparent group (the 49
//     cells around, groupOf) have their turns within refreshSpan
//     consecutive turns from the group's base: a watcher's interest area
//     falls within one such span (two at a group's border). A new group's
//     base is the least loaded turn, and a new cell takes the least loaded
//     turn of its group's span, so turns carry even shares of the cells.
//   - The frames of an unchanged cell's refresh are lazy (frameRef.lazy):
//     a session with only lazy frames waiting is readied once the oldest
//     has waited lazyWait ticks (checkSlowLocked), or at once when anything
//     else is queued for it. Its interest area's refreshes then leave in
//     one send rather than seven, each frame still within its round
//     (lazyWait < arenaRing: never stale), each spent against the position
//     budget at its own tick.

const (
	lazyWait    = 4            // ticks (at the configured rate) a lazy frame may wait
	refreshSpan = lazyWait + 1 // consecutive turns a group's refreshes spread over
	maxTurns    = 64           // turns of a round at most: a longer round has turns every few ticks
)

// refreshGroup is a group of cells (groupOf) listed in the rounds: its
// base tick and how many of its cells are listed.
type refreshGroup struct {
	base  int
	cells int
}

// groupOf is cell k's refresh group: its H3 grandparent, as a key (the
// cell with its last two digits blanked).
func groupOf(k cellKey) cellKey {
	res := geo.Cell(k.cell).Resolution()
	if res < 2 {
		return k
	}
	return cellKey{k.hunt, k.cell | geo.Cell(0o77<<(uint(15-res)*3))}
}

// listRoundLocked lists new cell k at the least loaded turn of its
// group's span; a new group's span starts at the least loaded turn.
func (c *Core) listRoundLocked(k cellKey, cs *cellState) {
	cs.listedAt = c.tick
	g := groupOf(k)
	rg, ok := c.groups[g]
	if !ok { // ties go round-robin: groups' first cells (occupied, mostly) spread too
		rg.base = c.leastLoadedLocked(c.nextBase, len(c.rounds))
		c.nextBase = rg.base + 1
	}
	rg.cells++
	c.groups[g] = rg
	cs.off = uint8((c.leastLoadedLocked(rg.base, refreshSpan) - rg.base + len(c.rounds)) % len(c.rounds))
	c.placeRoundLocked(k, cs, (rg.base+int(cs.off))%len(c.rounds))
}

func (c *Core) placeRoundLocked(k cellKey, cs *cellState, turn int) {
	cs.turn, cs.round = turn, len(c.rounds[turn])
	c.rounds[turn] = append(c.rounds[turn], k)
}

// leastLoadedLocked is the turn with the fewest cells listed among the
// span turns from first (the earliest of those).
func (c *Core) leastLoadedLocked(first, span int) int {
	n := len(c.rounds)
	best := first % n
	for t := range min(span, n) {
		if i := (first + t) % n; len(c.rounds[i]) < len(c.rounds[best]) {
			best = i
		}
	}
	return best
}

// unlistRoundLocked takes forgotten cell k out of the rounds (already
// deleted from Core.cells).
func (c *Core) unlistRoundLocked(k cellKey, cs *cellState) {
	turn := c.rounds[cs.turn]
	last := len(turn) - 1
	if cs.round != last {
		moved := turn[last]
		turn[cs.round] = moved
		c.cells[moved].round = cs.round
	}
	c.rounds[cs.turn] = turn[:last]
	g := groupOf(k)
	if rg := c.groups[g]; rg.cells > 1 {
		rg.cells--
		c.groups[g] = rg
	} else {
		delete(c.groups, g)
	}
}

// resizeRoundsLocked sizes the round to every ticks, min(every, maxTurns)
// turns, and lists every cell again (after tick dilation changed the
// round's length), the groups keeping their bases.
func (c *Core) resizeRoundsLocked(every int) {
	n := min(every, maxTurns)
	c.rounds, c.roundLen = make([][]cellKey, n), every
	for k, cs := range c.cells {
		c.placeRoundLocked(k, cs, (c.groups[groupOf(k)].base+int(cs.off))%n)
	}
	c.roundTick %= every
}

// turnLocked is the turn whose cells are refreshed at tick roundTick of
// the round, if one is: turn t's tick is t·roundLen/turns.
func (c *Core) turnLocked() (int, bool) {
	n := len(c.rounds)
	t := (c.roundTick*n + c.roundLen - 1) / c.roundLen
	return t, t < n && t*c.roundLen/n == c.roundTick
}

// dueLocked reports whether cell cs is due for its refresh: a cell listed
// less than refreshSpan ticks ago is not — its watchers had its snapshot
// when they joined, its players' "entered" went out as changes — so its
// first refresh comes refreshSpan ticks to a round and refreshSpan ticks
// after it was listed (5.5 s at the defaults), the next ones a round apart.
func (c *Core) dueLocked(cs *cellState) bool {
	return c.tick-cs.listedAt >= uint32(min(refreshSpan, c.roundLen/2))
}

// lazyTicksLocked is lazyWait at the rate now (at least one tick).
func (c *Core) lazyTicksLocked() uint32 {
	return uint32(max(1, lazyWait*c.tickHzAt(c.dilation)/c.cfg.TickHz))
}

// readyLazyLocked readies session s when the oldest of the lazy frames it
// has waiting waited long enough.
func (c *Core) readyLazyLocked(idx uint32, s *slot) {
	if s.lazyAt != 0 && !s.pending && c.tick-s.lazyAt >= c.lazyTicksLocked() {
		c.readyLocked(makeID(idx, s.gen), s)
	}
}
