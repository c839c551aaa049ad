package sim

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Each CLAIM_RESULT outcome is tallied under its own counter; only a win
// records its winner.
func TestClaimOutcomesAreTallied(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outcome uint8
		counter string
	}{
		{"won", protocol.OutcomeWon, "claims_won"},
		{"already claimed", protocol.OutcomeAlreadyClaimed, "claims_already_claimed"},
		{"too far", protocol.OutcomeTooFar, "claims_too_far"},
		{"hunt not active", protocol.OutcomeHuntNotActive, "claims_hunt_not_active"},
		{"unavailable", protocol.OutcomeUnavailable, "claims_other"},
		{"rate limited", protocol.OutcomeRateLimited, "claims_other"},
		{"request reused", protocol.OutcomeRequestReused, "claims_other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := testWorker(scenario.Defaults("claim-storm"))
			p := &player{w: w, id: 3}
			w.players = []*player{p}
			claimsInFlight(p, 1)
			p.onFrame((&protocol.ClaimResult{Request: 1, Treasure: 9, Outcome: tc.outcome}).AppendTo(nil))
			c := w.counters(0, 0)
			for _, k := range []string{"claims_won", "claims_already_claimed", "claims_too_far", "claims_hunt_not_active", "claims_other"} {
				want := int64(0)
				if k == tc.counter {
					want = 1
				}
				if c[k] != want {
					t.Errorf("%s = %d, want %d", k, c[k], want)
				}
			}
			if won := len(w.winners[9]) == 1 && w.winners[9][0] == 3; won != (tc.outcome == protocol.OutcomeWon) {
				t.Errorf("winners %v", w.winners)
			}
			if w.unanswered() != 0 || c["claims_unanswered"] != 0 {
				t.Errorf("an answered claim is still outstanding")
			}
		})
	}
}

// A player keeps the available treasures it is shown (when it claims at
// all); ERROR, EVENT and HINT frames are counted; several messages in one
// frame are all handled.
func TestPlayerFrames(t *testing.T) {
	here := geo.Point{Lat: 52.37, Lng: 4.90}
	lat, lng := here.E7()
	treasures := (&protocol.Treasures{Treasures: []protocol.TreasureEntry{
		{Treasure: 1, Lat: lat, Lng: lng, Points: 10, State: protocol.TreasureAvailable},
		{Treasure: 2, Lat: lat, Lng: lng, Points: 10, State: protocol.TreasureClaimed},
		{Treasure: 3, Lat: lat, Lng: lng, Points: 5, State: protocol.TreasureAvailable},
	}}).AppendTo(nil)
	t.Run("treasures when claiming", func(t *testing.T) {
		p := &player{w: testWorker(scenario.Defaults("claim-storm"))}
		p.onFrame(treasures)
		if len(p.visible) != 2 || p.visible[0].Treasure != 1 || p.visible[1].Treasure != 3 {
			t.Errorf("visible %+v, want treasures 1 and 3", p.visible)
		}
		p.onFrame((&protocol.Treasures{}).AppendTo(nil))
		if len(p.visible) != 0 {
			t.Errorf("an empty TREASURES left %+v visible", p.visible)
		}
	})
	t.Run("treasures when not claiming", func(t *testing.T) {
		p := &player{w: testWorker(scenario.Defaults("steady"))}
		p.onFrame(treasures)
		if len(p.visible) != 0 {
			t.Errorf("visible %+v in a run without claims", p.visible)
		}
	})
	t.Run("errors, events and hints in one frame", func(t *testing.T) {
		w := testWorker(scenario.Defaults("steady"))
		p := &player{w: w}
		w.players = []*player{p}
		var frame []byte
		frame = (&protocol.ErrorMessage{Code: protocol.CodeRateLimited, Text: protocol.Text("slow down")}).AppendTo(frame)
		frame = (&protocol.ErrorMessage{Code: protocol.CodeRateLimited}).AppendTo(frame)
		frame = (&protocol.Event{Kind: protocol.EventTreasureClaimed, Hunt: 1}).AppendTo(frame)
		frame = (&protocol.Hint{Band: 1}).AppendTo(frame)
		p.onFrame(frame)
		if msgs, _ := w.received(); msgs != 4 {
			t.Errorf("%d messages counted, want 4", msgs)
		}
		if w.errs[protocol.CodeRateLimited.String()] != 2 || w.c.edgeErrors.Load() != 2 || w.errorCount() != 2 {
			t.Errorf("errors %v (%d)", w.errs, w.c.edgeErrors.Load())
		}
		if w.c.events.Load() != 1 || w.c.hints.Load() != 1 {
			t.Errorf("events %d, hints %d", w.c.events.Load(), w.c.hints.Load())
		}
	})
	t.Run("a player that does not observe", func(t *testing.T) {
		w := testWorker(scenario.Defaults("steady"))
		w.measuring.Store(true)
		p := &player{w: w, id: 1}
		cell, _ := geo.CellOf(here, 9)
		far := entryAt(2, geo.Point{Lat: 52.42, Lng: 4.90}, nowStamp()-1000)
		p.onFrame((&protocol.CellUpdate{Cell: protocol.Cell(cell), Tick: 1, Entries: []protocol.CellEntry{far, far}}).AppendTo(nil))
		if p.entries.Load() != 2 || w.delivery.Total().Count() != 0 || w.c.wrongCell.Load() != 0 {
			t.Errorf("entries %d, deliveries %d, wrong cells %d: a non-observer only counts",
				p.entries.Load(), w.delivery.Total().Count(), w.c.wrongCell.Load())
		}
	})
	t.Run("an observer samples one latency per frame", func(t *testing.T) {
		w := testWorker(scenario.Defaults("steady"))
		w.measuring.Store(true)
		p := &player{w: w, id: 1, observe: true}
		cell, _ := geo.CellOf(here, 9)
		e := entryAt(2, here, nowStamp()-1000)
		cu := (&protocol.CellUpdate{Cell: protocol.Cell(cell), Tick: 1, Entries: []protocol.CellEntry{e, e, e}}).AppendTo(nil)
		p.onFrame(append(cu, cu...)) // two messages of three entries in one frame
		if p.entries.Load() != 6 || w.delivery.Total().Count() != 1 {
			t.Errorf("entries %d, deliveries %d: want 6 counted, one sampled", p.entries.Load(), w.delivery.Total().Count())
		}
	})
	t.Run("an observer's watch hears a FINE_CELL", func(t *testing.T) {
		w := testWorker(scenario.Defaults("crowd"))
		w.measuring.Store(true)
		p := &player{w: w, id: 1, observe: true, watch: newCrowdWatch(time.Now())}
		kid, _ := geo.CellOf(here, 12)
		c, _ := geo.CellCenter(kid)
		clat, clng := c.E7()
		fc := protocol.FineCell{Cell: protocol.Cell(kid), Flags: protocol.FlagSnapshot, Lat: clat, Lng: clng,
			Entries: []protocol.FineEntry{{Player: 2, DLat: 3}, {Player: 3, DLng: -4}, {Player: 1}}}
		p.onFrame(fc.AppendTo(nil))
		n2, n3 := p.watch.held[2], p.watch.held[3]
		if len(p.watch.held) != 2 || n2.kid != protocol.Cell(kid) || n2.lat != clat+120 || n3.lng != clng-160 {
			t.Errorf("held %+v: want players 2 and 3 of the fine cell at their offsets", p.watch.held)
		}
		if p.entries.Load() != 0 || w.c.wrongCell.Load() != 0 || p.posBytes.Load() != int64(len(fc.AppendTo(nil))) {
			t.Errorf("entries %d (a snapshot delivers none), wrong cells %d, position bytes %d",
				p.entries.Load(), w.c.wrongCell.Load(), p.posBytes.Load())
		}
	})
	t.Run("an observer before the measured phase", func(t *testing.T) {
		w := testWorker(scenario.Defaults("steady"))
		p := &player{w: w, id: 1, observe: true}
		cell, _ := geo.CellOf(here, 9)
		e := entryAt(2, here, nowStamp()-1000)
		p.onFrame((&protocol.CellUpdate{Cell: protocol.Cell(cell), Tick: 1, Entries: []protocol.CellEntry{e}}).AppendTo(nil))
		if p.entries.Load() != 1 || w.delivery.Total().Count() != 0 {
			t.Errorf("entries %d, deliveries %d before measuring", p.entries.Load(), w.delivery.Total().Count())
		}
	})
}

// An entry may be in the update's cell or, by the edge's hysteresis, in a
// neighbour; not further, and not at an impossible place.
func TestInCell(t *testing.T) {
	here := geo.Point{Lat: 52.37, Lng: 4.90}
	cell, err := geo.CellOf(here, 9)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := geo.GridDisk(cell, 1)
	if err != nil {
		t.Fatal(err)
	}
	var neighbour geo.Point
	for _, c := range ring {
		if c != cell {
			if neighbour, err = geo.CellCenter(c); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	for _, tc := range []struct {
		name string
		at   geo.Point
		want bool
	}{
		{"in the cell", here, true},
		{"in a neighbour", neighbour, true},
		{"1 km away", geo.Point{Lat: 52.379, Lng: 4.90}, false},
		{"off the globe", geo.Point{Lat: 95, Lng: 4.90}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := entryAt(1, tc.at, 0)
			if got := inCell(&e, cell); got != tc.want {
				t.Errorf("inCell = %v, want %v", got, tc.want)
			}
		})
	}
	// A crowd's fine cell (REFINED, resolution 12) is judged at its own
	// resolution.
	kid, err := geo.CellOf(here, 12)
	if err != nil {
		t.Fatal(err)
	}
	in, away := entryAt(1, here, 0), entryAt(2, geo.Point{Lat: 52.37, Lng: 4.9015}, 0) // ~100 m east
	if !inCell(&in, kid) || inCell(&away, kid) {
		t.Errorf("fine cell: inCell(here) %v, inCell(100 m away) %v", inCell(&in, kid), inCell(&away, kid))
	}
}
