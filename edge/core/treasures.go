package core

import (
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// hintEvery is how often a moving player's hint is recomputed.
const hintEvery = int64(time.Second / time.Microsecond)

// sendTreasuresLocked sends session s the treasures of its interest area (the
// cells in c.disk, just computed by watchLocked) as a TREASURES snapshot.
func (c *Core) sendTreasuresLocked(id SessionID, s *slot) {
	if c.cfg.Treasures == nil {
		return
	}
	c.tbuf = c.cfg.Treasures.TreasuresIn(s.hunt, c.disk, c.tbuf[:0])
	m := protocol.Treasures{Flags: protocol.FlagSnapshot, Treasures: c.tbuf[:min(len(c.tbuf), protocol.MaxTreasures)]}
	c.controlLocked(id, s, protocol.AppendTreasures(c.ctrlBuf(id), &m))
}

// hintLocked sends a HINT when the band or the bearing (to 10°) changed,
// at most once a second.
func (c *Core) hintLocked(id SessionID, s *slot, now int64) {
	if c.cfg.Treasures == nil || now-s.hintAt < hintEvery {
		return
	}
	s.hintAt = now
	h, ok := c.cfg.Treasures.Hint(s.hunt, s.lat, s.lng)
	if !ok {
		h = protocol.Hint{Band: uint8(geo.BandUnknown)}
	}
	key := uint16(h.Band)<<12 | h.Bearing/1000
	if key == s.hintKey {
		return
	}
	s.hintKey = key
	c.controlLocked(id, s, protocol.AppendHint(c.ctrlBuf(id), &h))
}

// claimedLocked answers a claim of a treasure the replica shows won by
// another player: "already claimed", what the coordinator would answer,
// with no trip to it (a claim storm at a won treasure stays on the edge).
func (c *Core) claimedLocked(s *slot, m *protocol.Claim, res *protocol.ClaimResult) bool {
	if c.cfg.Treasures == nil {
		return false
	}
	score, ok := c.cfg.Treasures.ClaimedByOther(s.hunt, m.Treasure, s.player)
	if ok {
		c.stats.Drops[DropClaimAlreadyClaimed]++
		res.Outcome, res.Score = protocol.OutcomeAlreadyClaimed, score
	}
	return ok
}

// TreasureChanged tells the players watching cell of hunt that treasure e
// appeared or changed state (claimed: remove it).
func (c *Core) TreasureChanged(hunt uint32, cell geo.Cell, e protocol.TreasureEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cells[cellKey{hunt, cell}]
	if cs == nil {
		return
	}
	m := protocol.Treasures{Treasures: []protocol.TreasureEntry{e}}
	for _, w := range cs.watchers {
		s := &c.tab.slots[w.idx()]
		if s.state == stateActive {
			id := makeID(w.idx(), s.gen)
			c.controlLocked(id, s, protocol.AppendTreasures(c.ctrlBuf(id), &m))
			s.hintAt = 0 // the nearest treasure may have changed
		}
	}
}
