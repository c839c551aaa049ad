package core

// Snapshots. A watcher that joins a cell (its interest area grew to it) is
// fresh: at the next tick it alone gets the cell's full set, encoded once
// for all of that tick's newcomers, while the settled watchers keep their
// deltas. Periodic snapshots, so that receivers that lost datagrams
// converge, come once per round (SnapshotEvery ticks), at each cell's fixed
// turn in it (rounds.go).

// updatesLocked reports whether the cell's fan-out sends an update (changes
// or a periodic snapshot) to its settled watchers this tick: what Tick
// counts as a changed cell, before encoding.
func updatesLocked(cs *cellState) bool {
	return !cs.crowded && len(cs.watchers) > 0 && (cs.snapshot || len(cs.changes) > 0 && len(cs.watchers) > cs.joiners)
}

// joinSnapshotLocked sends the cell's fresh watchers its full set — this
// edge's players in a SNAPSHOT, then the other edges' in one ORIGIN_SNAPSHOT
// series per origin (SPEC.md §2.5) — and makes them settled. It is not
// published: the other edges' watchers already had these players.
func (c *Core) joinSnapshotLocked(a *arena, k cellKey, cs *cellState) {
	if cs.joiners == 0 {
		return
	}
	if len(cs.players) > 0 || len(cs.remote) > 0 {
		c.encodeLocked(a, k, cs, true, toFresh, false)
		if len(cs.remote) > 0 {
			c.remoteSnapshotLocked(a, k, cs, toFresh)
		}
	}
	c.settleLocked(cs)
}

// settleLocked marks every watcher of the cell settled.
func (c *Core) settleLocked(cs *cellState) {
	if cs.joiners == 0 {
		return
	}
	for i := range cs.watchers {
		cs.watchers[i] = cs.watchers[i].settle()
	}
	cs.joiners = 0
}

// scheduleSnapshotsLocked marks the cells whose turn (rounds.go) is the
// next tick for a full snapshot, those that are watched and occupied (by
// this edge's players or, with peers, another edge's): a round spans
// SnapshotEvery ticks at the configured rate, 5 s by default whatever the
// dilation (roundTicksLocked). A crowded cell's watchers get samples, not snapshots; with
// peers its turn still publishes this edge's players in it as an
// ORIGIN_SNAPSHOT (SPEC.md §2.5: at least every 5 s). Once a second, with
// peers, it also expires the players of edges not heard of for RemoteTTL.
func (c *Core) scheduleSnapshotsLocked(a *arena, now int64) {
	if c.cfg.Peers != nil && c.tick%uint32(c.tickHzAt(c.dilation)) == 0 {
		for k, cs := range c.cells {
			if len(cs.remote) > 0 {
				c.expireRemoteLocked(a, k, cs, now)
			}
		}
	}
	if every := c.roundTicksLocked(); c.roundLen != every {
		c.resizeRoundsLocked(every)
	}
	c.roundTick = (c.roundTick + 1) % c.roundLen
	turn, ok := c.turnLocked()
	if !ok {
		return
	}
	for _, k := range c.rounds[turn] {
		cs := c.cells[k]
		if len(cs.watchers) == 0 || !c.dueLocked(cs) {
			continue
		}
		if cs.crowded && c.cfg.Peers != nil && len(cs.players) > 0 || !cs.crowded && (len(cs.players) > 0 || len(cs.remote) > 0) {
			cs.snapshot, cs.refresh = true, true
			c.markDirtyLocked(k, cs)
		}
	}
}

// roundTicksLocked is the length of a refresh round in ticks at the rate
// now: SnapshotEvery at the configured rate, proportionally fewer while the
// tick is dilated, so that a round keeps its duration.
func (c *Core) roundTicksLocked() int {
	return max(1, c.cfg.SnapshotEvery*c.tickHzAt(c.dilation)/c.cfg.TickHz)
}
