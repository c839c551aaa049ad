package fsm

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/veltrix/veltrix/protocol"
)

// TestRequestReusedForAnotherTreasure is the phantom WON found from
// outside: a player wins treasure A with request 1, then (on a new
// connection, another edge) sends request 1 for treasure B. It must not be
// told it won B, and B must stay claimable by someone else; a true retry
// for A still gets its original outcome, whichever edge it comes through.
func TestRequestReusedForAnotherTreasure(t *testing.T) {
	h := newHarness(t)
	id := h.create(spec(4), 1)
	if err := h.transition(KindStartHunt, id); err != nil {
		t.Fatal(err)
	}
	a := h.anyTreasure(id)
	won := h.claim(Claim{Edge: "e1", Request: 1, Hunt: id, Treasure: a.ID, Player: 9, Cell: a.Cell})[0]
	if won.Code != protocol.OutcomeWon {
		t.Fatalf("first claim: %+v", won)
	}
	b := h.anyTreasure(id)
	for _, edge := range []string{"e1", "e2"} {
		o := h.claim(Claim{Edge: edge, Request: 1, Hunt: id, Treasure: b.ID, Player: 9, Cell: b.Cell})[0]
		if o.Code != protocol.OutcomeRequestReused || o.Treasure != b.ID || o.Points != 0 {
			t.Fatalf("request 1 reused for treasure %d via %s: %+v, want request_reused", b.ID, edge, o)
		}
	}
	if got := h.hunt(id).Treasures[b.ID]; got.Claimed() {
		t.Fatalf("treasure %d claimed by a reused request: %+v", b.ID, got)
	}
	if o := h.claim(Claim{Edge: "e1", Request: 1, Hunt: id, Treasure: b.ID, Player: 10, Cell: b.Cell})[0]; o.Code != protocol.OutcomeWon {
		t.Fatalf("another player's claim of %d: %+v, want won", b.ID, o)
	}
	// Edges before the fix put the player in the request's high 32 bits.
	retry := h.claim(Claim{Edge: "e2", Request: 9<<32 | 1, Hunt: id, Treasure: a.ID, Player: 9, Cell: a.Cell})[0]
	if retry != won {
		t.Fatalf("retry through another edge: %+v, want the original %+v", retry, won)
	}
	if s := h.hunt(id).Scores; s[9] != won.Points || s[10] == 0 {
		t.Fatalf("scores %v", s)
	}
}

// TestClaimLogBounded floods the state with distinct claims: it remembers
// at most maxClaimRecords, forgets the oldest first, and two replicas (one
// restored from a snapshot midway) forget exactly alike.
func TestClaimLogBounded(t *testing.T) {
	defer func(n int) { maxClaimRecords = n }(maxClaimRecords)
	maxClaimRecords = 64
	rec := newHarness(t)
	id := rec.create(spec(4), 1)
	if err := rec.transition(KindStartHunt, id); err != nil {
		t.Fatal(err)
	}
	var req uint64
	for range 50 { // 50 entries of 1..9 claims each, none valid
		cs := make([]Claim, 1+rand.N(9))
		for i := range cs {
			req++
			cs[i] = Claim{Edge: "e", Request: req, Hunt: id, Treasure: 1 << 30, Player: uint32(req % 7), Cell: 1}
		}
		rec.claim(cs...)
		if n := rec.f.s.Claims.Len(); n > maxClaimRecords {
			t.Fatalf("%d claims remembered, bound %d", n, maxClaimRecords)
		}
		if len(rec.f.s.Claims.order) > 2*maxClaimRecords+9 {
			t.Fatalf("order slice holds %d ids for %d records", len(rec.f.s.Claims.order), maxClaimRecords)
		}
	}
	newest := ClaimID{Hunt: id, Player: uint32(req % 7), Request: uint32(req)}
	if _, ok := rec.f.s.Claims.Get(newest); !ok {
		t.Fatal("the newest claim is forgotten")
	}
	if _, ok := rec.f.s.Claims.Get(ClaimID{Hunt: id, Player: 1, Request: 1}); ok {
		t.Fatal("the oldest claim is still remembered")
	}

	half := len(rec.log) / 2
	a, b := newHarness(t), newHarness(t)
	for _, e := range rec.log[:half] {
		a.apply(e)
	}
	if err := b.f.Restore(io.NopCloser(bytes.NewReader(a.f.Encode()))); err != nil {
		t.Fatal(err)
	}
	b.index = a.index
	for _, e := range rec.log[half:] {
		a.apply(e)
		b.apply(e)
	}
	if !bytes.Equal(a.f.Encode(), rec.f.Encode()) || !bytes.Equal(b.f.Encode(), rec.f.Encode()) {
		t.Fatal("replicas remember different claims")
	}
}

// TestRestoresLegacyClaims restores a state written before the ClaimLog
// (outcomes per hunt, keyed "edge/request" with the player in the high
// bits): the outcomes move to the log and retries still find them.
func TestRestoresLegacyClaims(t *testing.T) {
	h := newHarness(t)
	id := h.create(spec(3), 1)
	if err := h.transition(KindStartHunt, id); err != nil {
		t.Fatal(err)
	}
	tr := h.anyTreasure(id)
	won := h.claim(Claim{Edge: "e1", Request: 9<<32 | 4, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})[0]

	var old map[string]any
	dec := json.NewDecoder(bytes.NewReader(h.f.Encode()))
	dec.UseNumber() // cells are u64
	if err := dec.Decode(&old); err != nil {
		t.Fatal(err)
	}
	delete(old, "claims")
	hunt := old["hunts"].(map[string]any)["1"].(map[string]any)
	hunt["claims"] = map[string]Outcome{"e1/38654705668": won} // 9<<32 | 4
	b, _ := json.Marshal(old)

	r := newHarness(t)
	if err := r.f.Restore(io.NopCloser(bytes.NewReader(b))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.f.Encode(), h.f.Encode()) {
		t.Fatalf("upgraded state differs:\n%s\n%s", r.f.Encode(), h.f.Encode())
	}
	r.index = h.index
	if o := r.claim(Claim{Edge: "e2", Request: 4, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})[0]; o != won {
		t.Fatalf("retry after the upgrade: %+v, want %+v", o, won)
	}
}
