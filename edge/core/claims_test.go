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
