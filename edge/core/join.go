package core

// Snapshots. A watcher that joins a cell (its interest area grew to it) is
// fresh: at the next tick it alone gets the cell's full set, encoded once
// for all of that tick's newcomers, while the settled watchers keep their
// deltas. Periodic snapshots, so that receivers that lost datagrams
// converge, walk the cells in rounds (Core.rounds): each tick refreshes at
// most ⌈cells/SnapshotEvery⌉ of them, so no tick carries more than that
// share, and each cell is refreshed once per round (SnapshotEvery ticks).

// updatesLocked reports whether the cell's fan-out sends an update (changes
// or a periodic snapshot) to its settled watchers this tick: what Tick
// counts as a changed cell, before encoding.
func updatesLocked(cs *cellState) bool {
	return !cs.crowded && len(cs.watchers) > 0 && (cs.snapshot || len(cs.changes) > 0 && len(cs.watchers) > cs.joiners)
}

// joinSnapshotLocked sends the cell's fresh watchers its full set and makes
// them settled.
func (c *Core) joinSnapshotLocked(a *arena, k cellKey, cs *cellState) {
	if cs.joiners == 0 {
		return
	}
	if len(cs.players) > 0 {
		c.encodeLocked(a, k, cs, true, toFresh)
	}
	c.settleLocked(cs)
}

// settleLocked marks every watcher of the cell settled.
func (c *Core) settleLocked(cs *cellState) {
	if cs.joiners == 0 {
		return
	}
	for i := range cs.watchers {
		cs.watchers[i].fresh = false
	}
	cs.joiners = 0
}

// listRoundLocked lists new cell k in the refresh rounds, before the
// cursor: its newcomers get their snapshot now, so its first refresh comes
// in the next round.
func (c *Core) listRoundLocked(k cellKey, cs *cellState) {
	c.rounds = append(c.rounds, k)
	c.moveRoundLocked(c.roundAt, len(c.rounds)-1)
	c.rounds[c.roundAt] = k
	cs.round = c.roundAt
	c.roundAt++
}

// unlistRoundLocked takes a forgotten cell out of the rounds. The cells
// before the cursor are the ones this round visited; they stay so, so that
// no cell misses its round because another was removed.
func (c *Core) unlistRoundLocked(cs *cellState) {
	i := cs.round
	if i < c.roundAt {
		c.moveRoundLocked(c.roundAt-1, i)
		i = c.roundAt - 1
		c.roundAt--
	}
	c.moveRoundLocked(len(c.rounds)-1, i)
	c.rounds = c.rounds[:len(c.rounds)-1]
}

// moveRoundLocked moves the round entry at from to to.
func (c *Core) moveRoundLocked(from, to int) {
	if from == to {
		return
	}
	k := c.rounds[from]
	c.rounds[to] = k
	c.cells[k].round = to
}

// scheduleSnapshotsLocked marks the next cells of the round for a full
// snapshot, those that are watched and occupied: a round spans
// SnapshotEvery ticks, and each of its ticks takes an even share of the
// cells, at most ⌈cells/SnapshotEvery⌉.
func (c *Core) scheduleSnapshotsLocked() {
	every := c.cfg.SnapshotEvery
	if c.roundTick >= every {
		c.roundTick, c.roundAt = 0, 0
	}
	c.roundTick++
	n := len(c.rounds)
	for target := (c.roundTick*n + every - 1) / every; c.roundAt < min(target, n); c.roundAt++ {
		k := c.rounds[c.roundAt]
		if cs := c.cells[k]; !cs.crowded && len(cs.players) > 0 && len(cs.watchers) > 0 {
			cs.snapshot = true
			c.markDirtyLocked(k, cs)
		}
	}
}
