package fsm

import (
	"math/rand/v2"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Outcome is the result of one claim (wire.Outcome).
type Outcome = wire.Outcome

// IDOf is the deduplication key of cl: its hunt, player and the low 32 bits
// of its request (edges before version 2 put the player in the high bits).
func IDOf(cl *Claim) ClaimID {
	return ClaimID{Hunt: cl.Hunt, Player: cl.Player, Request: uint32(cl.Request)}
}

func (f *FSM) claimsLocked(index uint64, c *Claims) []Outcome {
	out := make([]Outcome, len(c.Claims))
	for i := range c.Claims {
		// Each claim's respawn draws from its own stream of the batch seed.
		rng := rand.New(rand.NewPCG(c.Seed, uint64(i)))
		out[i] = f.claimLocked(index, c.Time, &c.Claims[i], rng)
	}
	return out
}

// claimLocked decides one claim: the first valid claim of a treasure wins.
// A claim whose (hunt, player, request) was seen before is a retry: for the
// same treasure it gets the original outcome back unchanged; for another
// treasure it is refused (OutcomeRequestReused), claims nothing and changes
// nothing, so a reused request id can never be told it won what it did not.
func (f *FSM) claimLocked(index uint64, now int64, cl *Claim, rng *rand.Rand) Outcome {
	h := f.s.Hunts[cl.Hunt]
	if h == nil {
		return Outcome{Code: protocol.OutcomeUnknown, Treasure: cl.Treasure, Index: index}
	}
	id := IDOf(cl)
	if prev, ok := f.s.Claims.Get(id); ok {
		if prev.Treasure != cl.Treasure {
			return Outcome{Code: protocol.OutcomeRequestReused, Treasure: cl.Treasure, Index: index, Score: h.Scores[cl.Player]}
		}
		return prev
	}
	o := f.decideLocked(index, now, h, cl, rng)
	f.s.Claims.add(id, o)
	return o
}

func (f *FSM) decideLocked(index uint64, now int64, h *Hunt, cl *Claim, rng *rand.Rand) Outcome {
	o := Outcome{Treasure: cl.Treasure, Index: index, Score: h.Scores[cl.Player]}
	t, ok := h.Treasures[cl.Treasure]
	switch {
	case h.State != Active:
		o.Code = protocol.OutcomeHuntNotActive
	case !ok:
		o.Code = protocol.OutcomeUnknown
	case t.Claimed():
		o.Code = protocol.OutcomeAlreadyClaimed
	case !withinRadius(cl.Cell, t.Cell, h.Spec.ClaimRadius):
		o.Code = protocol.OutcomeTooFar
	default:
		o.Code, o.Points = protocol.OutcomeWon, uint32(t.Points)
		o.Score = f.awardLocked(index, now, h, &t, cl.Player)
		if h.Spec.Respawn == RespawnAfter {
			f.respawnLocked(index, now, h, rng)
		} else if h.Remaining == 0 {
			f.endHuntLocked(index, h, now)
		}
	}
	return o
}

func withinRadius(player, treasure uint64, radius int) bool {
	d, err := geo.GridDistance(geo.Cell(player), geo.Cell(treasure))
	return err == nil && d <= radius
}

// awardLocked marks t won by player and returns the player's new score.
func (f *FSM) awardLocked(index uint64, now int64, h *Hunt, t *Treasure, player uint32) uint32 {
	t.ClaimedBy, t.ClaimedAt = player, now
	h.Treasures[t.ID] = *t
	h.Remaining--
	if ix := f.derived[h.ID]; ix != nil {
		delete(ix.occupied, t.Cell)
	}
	score := h.Scores[player] + uint32(t.Points)
	h.Scores[player] = score
	h.bumpLeader(player, score)
	f.emit(Event{Index: index, Kind: EventTreasureClaimed, Hunt: h.ID, Treasure: t.ID, Player: player,
		Lat: t.Lat, Lng: t.Lng, Points: uint32(t.Points), Time: now})
	f.emit(Event{Index: index, Kind: EventScoreChanged, Hunt: h.ID, Player: player, Points: score, Time: now})
	return score
}

// bumpLeader keeps Leaders the top MaxLeaders scores, best first, ties by
// player id. Scores only grow, so a player below the board enters only by
// passing its last row.
func (h *Hunt) bumpLeader(player, score uint32) {
	h.Leaders = UpdateLeaders(h.Leaders, player, score)
}

// UpdateLeaders is wire.UpdateLeaders: the edges' replicas keep their
// leaderboards with the same function.
func UpdateLeaders(leaders []Leader, player, score uint32) []Leader {
	return wire.UpdateLeaders(leaders, player, score)
}
