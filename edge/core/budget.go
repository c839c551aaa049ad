package core

// Position budget. Each connection may be sent PositionBudget bytes of
// CELL_UPDATEs a second (its hunt's, else the edge's): a token bucket of
// bytes, half a second deep and refilled at 15/16 of the budget (so that
// over any 8 s or more a connection gets at most the budget, bursts
// included), at the tick's clock, spent as frames are queued. A frame of a
// ring cell (grid distance > 0) leaves a quarter of the budget (half the
// bucket) untouched for the player's own cell; for a refined player in a
// crowd (refine.go) every frame but its kids' leaves it, so the players
// around it come first. A frame over the
// budget is not queued (Drops[DropBudget]); it is not a slow client's drop
// and never leads to too_slow. Control messages (WELCOME, CLAIM_RESULT,
// EVENT, HUNT_STATUS, ERROR, REDIRECT, PONG, …) do not pass here: they are
// never cut.

// budgetLocked gives welcomed session s the budget of its hunt h, its
// bucket full.
func (c *Core) budgetLocked(s *slot, h HuntInfo) {
	b := c.cfg.PositionBudget
	if h.PositionBudget > 0 {
		b = max(h.PositionBudget, MinPositionBudget)
	}
	s.budget, s.budTokens, s.budAt = uint32(b), float64(b)/2, c.tickAt
}

// spendLocked takes frame ref's bytes from session s's budget, if it holds
// them (and, for a ring cell, the own cell's reserve besides; for a refined
// session every frame but its kids' counts as a ring cell's: enqueueLocked).
func (c *Core) spendLocked(s *slot, ref frameRef) bool {
	b := float64(s.budget)
	s.budTokens = min(b/2, s.budTokens+float64(c.tickAt-s.budAt)/1e6*b*15/16)
	s.budAt = c.tickAt
	need := float64(ref.n)
	switch {
	case s.refined && ref.dist > 0: // its kids first: the rest only from a nearly full bucket
		need += b * 3 / 8
	case ref.dist > 0:
		need += b / 4
	}
	if s.budTokens < need {
		return false
	}
	s.budTokens -= float64(ref.n)
	return true
}
