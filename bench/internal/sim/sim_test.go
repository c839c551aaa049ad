package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

var city = [2]float64{52.3676, 4.9041}

func metres(a, b [2]float64) float64 {
	return geo.Distance(geo.Point{Lat: a[0], Lng: a[1]}, geo.Point{Lat: b[0], Lng: b[1]})
}

// Roamers keep to the city and move at human speeds; hotspot players stay
// near their hotspot.
func TestWalkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	hs := [2]float64{52.37, 4.90}
	for i := 0; i < 200; i++ {
		var w *walker
		if i%2 == 0 {
			w = newWalker(rng, city, 4, nil, 0)
		} else {
			w = newWalker(rng, city, 4, &hs, 50)
		}
		prev := [2]float64{w.lat, w.lng}
		for s := 0; s < 600; s++ {
			lat, lng, acc := w.step(1)
			here := [2]float64{lat, lng}
			if v := metres(prev, here); v > 6.01 {
				t.Fatalf("walker %d moved %.1f m in a second", i, v)
			}
			if acc <= 0 || acc > 10 {
				t.Fatalf("accuracy %v", acc)
			}
			prev = here
		}
		if i%2 == 0 {
			// 2 km half-size, plus a few steps of overshoot before turning.
			if math.Abs(prev[0]-city[0])*111320 > 2100 {
				t.Fatalf("roamer %d left the city: %v", i, prev)
			}
		} else if d := metres(prev, hs); d > 4*50 {
			t.Fatalf("hotspot walker %d is %.0f m from its hotspot", i, d)
		}
	}
}

func testWorker(cfg scenario.Config) *worker {
	return newWorker(Job{Config: cfg, Res: 9})
}

func entryAt(player uint32, p geo.Point, stamp uint32) protocol.CellEntry {
	lat, lng := p.E7()
	return protocol.CellEntry{Op: protocol.OpMoved, Player: player, Lat: lat, Lng: lng, Stamp: stamp}
}

// A player counts and measures only the entries of changes (never those of
// snapshots, whole-cell or of one origin, nor of their continuations, nor of
// a continuation whose first part it missed), and flags entries far from
// the cell their update is for.
func TestPlayerMeasuresChangesOnly(t *testing.T) {
	w := testWorker(scenario.Defaults("steady"))
	w.measuring.Store(true)
	p := &player{w: w, id: 1, observe: true}
	here := geo.Point{Lat: 52.37, Lng: 4.90}
	cell, err := geo.CellOf(here, 9)
	if err != nil {
		t.Fatal(err)
	}
	stamp := nowStamp() - 20_000 // 20 ms ago
	frame := func(flags uint8, tick uint32, es ...protocol.CellEntry) []byte {
		m := protocol.CellUpdate{Cell: protocol.Cell(cell), Tick: tick, Flags: flags, Entries: es}
		return m.AppendTo(nil)
	}
	// A snapshot in two parts: no latency.
	p.onFrame(append(frame(protocol.FlagSnapshot, 1, entryAt(2, here, stamp)), frame(protocol.FlagContinued, 1, entryAt(3, here, stamp))...))
	if n := w.delivery.Total().Count(); n != 0 {
		t.Fatalf("snapshot measured: %d", n)
	}
	// A change in two parts, sent as two frames (and our own entry, not
	// measured): one sample per frame.
	p.onFrame(frame(0, 2, entryAt(1, here, stamp), entryAt(2, here, stamp)))
	p.onFrame(frame(protocol.FlagContinued, 2, entryAt(3, here, stamp)))
	h := w.delivery.Total()
	if h.Count() != 2 {
		t.Fatalf("measured %d deliveries, want 2 (one per frame)", h.Count())
	}
	if got := h.Quantile(.5); got < 20*time.Millisecond || got > 5*time.Second {
		t.Fatalf("latency %v, want ≥ 20 ms", got)
	}
	// A continuation whose first part was lost: skipped.
	p.onFrame(frame(protocol.FlagContinued, 9, entryAt(2, here, stamp)))
	if n := w.delivery.Total().Count(); n != 2 {
		t.Fatalf("orphan continuation measured")
	}
	// Another edge's ORIGIN_SNAPSHOT, in two parts: neither counted nor measured.
	p.onFrame(append(frame(protocol.FlagOriginSnapshot, 3, entryAt(5, here, stamp)), frame(protocol.FlagOriginSnapshot|protocol.FlagContinued, 3, entryAt(6, here, stamp))...))
	if got := p.entries.Load(); got != 3 || w.delivery.Total().Count() != 2 {
		t.Fatalf("counted %d entries (want 3, the change's), measured %d (want 2)", got, w.delivery.Total().Count())
	}
	// An entry 5 km away is not in this cell's update.
	far := geo.Point{Lat: 52.42, Lng: 4.90}
	p.onFrame(frame(0, 10, entryAt(4, far, stamp)))
	if w.c.wrongCell.Load() != 1 {
		t.Fatalf("a far entry was not flagged")
	}
	p.onFrame([]byte{0x42, 0xff}) // cut short
	if w.c.badFrames.Load() != 1 {
		t.Fatalf("a malformed frame was not counted")
	}
}

func TestClaimResultsAreMatchedAndTallied(t *testing.T) {
	cfg := scenario.Defaults("claim-storm")
	w := testWorker(cfg)
	w.measuring.Store(true)
	p := &player{w: w, id: 7, pending: map[uint32]time.Time{1: time.Now(), 2: time.Now()}}
	for _, m := range []protocol.ClaimResult{{Request: 1, Treasure: 10, Outcome: protocol.OutcomeWon},
		{Request: 2, Treasure: 11, Outcome: protocol.OutcomeAlreadyClaimed}, {Request: 3, Treasure: 12, Outcome: protocol.OutcomeWon}} {
		p.onFrame(m.AppendTo(nil))
	}
	if w.c.won.Load() != 1 || w.c.alreadyClaimed.Load() != 1 || w.c.claimUnmatched.Load() != 1 {
		t.Fatalf("won %d, already %d, unmatched %d", w.c.won.Load(), w.c.alreadyClaimed.Load(), w.c.claimUnmatched.Load())
	}
	if got := w.winners[10]; len(got) != 1 || got[0] != 7 {
		t.Fatalf("winners %v", w.winners)
	}
	if w.claimRTT.Total().Count() != 2 {
		t.Fatalf("claim round trips %d, want 2", w.claimRTT.Total().Count())
	}
}

func TestMerge(t *testing.T) {
	mk := func(winners map[uint32][]uint32, msgs int64, lat time.Duration) Result {
		d := hist.New()
		d.Record(lat)
		return Result{Players: 10, Connected: 9, DialErrors: 1, Elapsed: time.Second, Handshake: hist.New(), Delivery: d,
			Claim: hist.New(), Counters: map[string]int64{"messages": msgs, "claims_unanswered": msgs / 50}, Errors: map[string]int64{"too_slow": 1},
			Winners: winners, Series: []Interval{{T: 1, Messages: msgs, Errors: msgs / 10, Delivery: d}}}
	}
	m, err := Merge([]Result{mk(map[uint32][]uint32{1: {5}}, 100, time.Millisecond), mk(map[uint32][]uint32{1: {6}, 2: {7}}, 50, time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Players != 20 || m.Connected != 18 || m.Counters["messages"] != 150 || m.Errors["too_slow"] != 2 {
		t.Fatalf("merged %+v", m)
	}
	if m.Delivery.Count() != 2 || m.Delivery.Max() < time.Second*99/100 {
		t.Fatalf("delivery histogram not merged: %v", m.Delivery.Summary())
	}
	if got := m.Counters["claims_unanswered"]; got != 3 {
		t.Fatalf("unanswered claims 2 + 1 across workers, merged %d", got)
	}
	if len(m.Series) != 1 || m.Series[0].Messages != 150 || m.Series[0].Errors != 15 || m.Series[0].Delivery.Count() != 2 {
		t.Fatalf("series %+v", m.Series)
	}
	double := m.DoubleWins()
	if len(double) != 1 || len(double[1]) != 2 {
		t.Fatalf("treasure 1 won by 5 and 6 across workers: DoubleWins %v", double)
	}
	if _, err := Merge(nil); err == nil {
		t.Fatal("merging nothing")
	}
}

// claimsInFlight gives p the claims (request ids) as sent and not yet
// answered, the way sendClaimLocked leaves them.
func claimsInFlight(p *player, reqs ...uint32) {
	p.pending = map[uint32]time.Time{}
	for _, r := range reqs {
		p.pending[r] = time.Now()
		p.w.outstanding.Add(1)
	}
}

// Claims that never get a CLAIM_RESULT are counted at the end of the
// phase; the drain waits for answers still in flight and no longer.
func TestUnansweredClaimsAreCounted(t *testing.T) {
	w := testWorker(scenario.Defaults("failover"))
	w.measuring.Store(true)
	a, b := &player{w: w, id: 1}, &player{w: w, id: 2}
	w.players = []*player{a, b}
	claimsInFlight(a, 1, 2)
	claimsInFlight(b, 1)
	a.onFrame((&protocol.ClaimResult{Request: 1, Treasure: 3, Outcome: protocol.OutcomeWon}).AppendTo(nil))
	if got := w.counters(0, 0)["claims_unanswered"]; got != 2 {
		t.Fatalf("claims_unanswered %d, want 2", got)
	}
	// Nothing more comes: the drain gives up after its grace.
	ctx := t.Context()
	w.awaitClaims(ctx, 0)
	if got := w.unanswered(); got != 2 {
		t.Fatalf("after a drain with no answers: %d unanswered, want 2", got)
	}
	// The last answers arrive while the drain waits (a grace far longer
	// than the test's timeout: only their arrival ends the wait).
	go func() {
		a.onFrame((&protocol.ClaimResult{Request: 2, Treasure: 4, Outcome: protocol.OutcomeAlreadyClaimed}).AppendTo(nil))
		b.onFrame((&protocol.ClaimResult{Request: 1, Treasure: 4, Outcome: protocol.OutcomeUnavailable}).AppendTo(nil))
	}()
	w.awaitClaims(ctx, time.Hour)
	if got := w.counters(0, 0)["claims_unanswered"]; got != 0 {
		t.Fatalf("claims_unanswered %d after every answer, want 0", got)
	}
	if w.c.otherResult.Load() != 1 || w.errorCount() != 1 {
		t.Fatalf("an unavailable answer is an error: other %d, errors %d", w.c.otherResult.Load(), w.errorCount())
	}
}
