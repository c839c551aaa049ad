package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// submitted records the claims the core passes on to the coordinator.
type submitted []uint32

func (s *submitted) Submit(_ SessionID, _, _ uint32, _, treasure uint32, _ uint64) {
	*s = append(*s, treasure)
}

// knownTreasures says every id above 0 and at most 100 but 13 exists.
type knownTreasures struct{}

func (knownTreasures) TreasuresIn(_ uint32, _ []geo.Cell, dst []protocol.TreasureEntry) []protocol.TreasureEntry {
	return dst
}
func (knownTreasures) Hint(uint32, int32, int32) (protocol.Hint, bool) { return protocol.Hint{}, false }
func (knownTreasures) NoSuchTreasure(_, id uint32) bool                { return id == 13 }

// ClaimedByOther: treasure 14 was won by player 2, whose score is 100;
// player 1 has 30.
func (knownTreasures) ClaimedByOther(_, id, player uint32) (uint32, bool) {
	return 30, id == 14 && player != 2
}

func (r *rig) claim(id SessionID, request, treasure uint32) *protocol.ClaimResult {
	r.t.Helper()
	if err := r.c.Deliver(id, protocol.AppendClaim(nil, &protocol.Claim{Request: request, Treasure: treasure})); err != nil {
		r.t.Fatal(err)
	}
	for _, m := range r.pull(id) {
		if res, ok := m.(*protocol.ClaimResult); ok {
			return res
		}
	}
	return nil
}

// TestClaimsOfUnknownTreasuresAnsweredAtEdge: treasure 0 (which got no
// CLAIM_RESULT at all, and made the coordinator refuse its whole batch) and
// a treasure the replica knows does not exist are answered unknown at once
// and never reach the coordinator.
func TestClaimsOfUnknownTreasuresAnsweredAtEdge(t *testing.T) {
	var sub submitted
	r := newRig(t, func(c *Config) { c.Claims, c.Treasures = &sub, knownTreasures{} })
	id := r.join(1)
	if err := r.move(id, dam); err != nil {
		t.Fatal(err)
	}
	r.pull(id)
	for _, tr := range []uint32{0, 13} {
		if res := r.claim(id, tr+1, tr); res == nil || res.Outcome != protocol.OutcomeUnknown || res.Request != tr+1 || res.Treasure != tr {
			t.Fatalf("claim of treasure %d: %+v, want unknown at once", tr, res)
		}
	}
	if res := r.claim(id, 20, 12); res != nil {
		t.Fatalf("claim of treasure 12 answered by the edge: %+v", res)
	}
	if len(sub) != 1 || sub[0] != 12 {
		t.Fatalf("submitted %v, want only treasure 12", sub)
	}
}

// TestClaimRateLimitPerPlayer: a player's claims beyond its bucket are
// answered rate_limited without reaching the coordinator, a new connection
// (which replaces the old one) buys it no more claims, and the bucket
// refills with time.
func TestClaimRateLimitPerPlayer(t *testing.T) {
	var sub submitted
	r := newRig(t, func(c *Config) { c.Claims, c.ClaimRate, c.ClaimBurst = &sub, 2, 4 })
	a, other := r.join(1), r.join(2)
	for _, id := range []SessionID{a, other} {
		if err := r.move(id, dam); err != nil {
			t.Fatal(err)
		}
		r.pull(id)
	}
	for i := range 2 {
		if res := r.claim(a, uint32(i+1), 5); res != nil {
			t.Fatalf("claim %d within the burst answered %+v", i, res)
		}
	}
	b := r.join(1) // replaces a
	r.c.Closed(a)
	if err := r.move(b, dam); err != nil {
		t.Fatal(err)
	}
	r.pull(b)
	limited := 0
	for i := 2; i < 20; i++ {
		if res := r.claim(b, uint32(i+1), 5); res != nil {
			if res.Outcome != protocol.OutcomeRateLimited || res.Request != uint32(i+1) {
				t.Fatalf("claim %d answered %+v", i, res)
			}
			limited++
		}
	}
	if len(sub) != 4 || limited != 16 {
		t.Fatalf("%d claims passed and %d were limited, want 4 and 16", len(sub), limited)
	}
	if res := r.claim(other, 1, 5); res != nil {
		t.Fatalf("another player's claim was limited: %+v", res)
	}
	r.now = r.now.Add(500 * time.Millisecond) // one token at 2/s
	if res := r.claim(b, 100, 5); res != nil {
		t.Fatalf("claim after a refill: %+v", res)
	}
	if res := r.claim(b, 101, 5); res == nil || res.Outcome != protocol.OutcomeRateLimited {
		t.Fatalf("second claim after one refill: %+v, want rate limited", res)
	}
	if r.c.Snapshot().Drops[DropClaimRateLimited] != 17 {
		t.Fatalf("stats count %d limited claims, want 17", r.c.Snapshot().Drops[DropClaimRateLimited])
	}
}

// TestClaimOfWonTreasureAnsweredAtEdge: a claim of a treasure the replica
// shows won by another player is answered "already claimed", with the
// claimer's score, and never reaches the coordinator; the winner's own
// claim (a retry, which must get its "won" back) still does.
func TestClaimOfWonTreasureAnsweredAtEdge(t *testing.T) {
	var sub submitted
	r := newRig(t, func(c *Config) { c.Claims, c.Treasures = &sub, knownTreasures{} })
	loser, winner := r.join(1), r.join(2)
	for _, id := range []SessionID{loser, winner} {
		if err := r.move(id, dam); err != nil {
			t.Fatal(err)
		}
		r.pull(id)
	}
	for i := range 5 {
		res := r.claim(loser, uint32(40+i), 14)
		if res == nil || res.Outcome != protocol.OutcomeAlreadyClaimed || res.Request != uint32(40+i) || res.Treasure != 14 ||
			res.Points != 0 || res.Score != 30 {
			t.Fatalf("claim %d of a won treasure: %+v, want already claimed with score 30 at once", i, res)
		}
	}
	if res := r.claim(winner, 7, 14); res != nil {
		t.Fatalf("the winner's retry answered by the edge: %+v", res)
	}
	if len(sub) != 1 || sub[0] != 14 || r.c.Snapshot().Drops[DropClaimAlreadyClaimed] != 5 {
		t.Fatalf("submitted %v and counted %d at the edge, want only the winner's retry and 5",
			sub, r.c.Snapshot().Drops[DropClaimAlreadyClaimed])
	}
}
