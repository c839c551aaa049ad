package core

import (
	"testing"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// crowdAt is the crowd threshold these tests set: their crowds are a few
// hundred players.
const crowdAt = 40

// TestCrowdedCellShowsEveryPlayerWithinTheBound: 200 players in and around
// one cell, every one moving every tick. The crowded cells encode at most
// three frames a tick each (own sample, ring sample, summary), shared by
// all their watchers; each player of a cell is listed to the watchers in
// the cell within ⌈players/(CrowdEntries/2)⌉ ticks and to the ring within
// RingEvery times that, however many move; summaries count the cell's
// players.
func TestCrowdedCellShowsEveryPlayerWithinTheBound(t *testing.T) {
	const n, ticks = 200, 60
	r := newRig(t, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst = 1e6, 1e6, 1e6, 1e6
		c.CrowdPlayers = crowdAt
		c.PositionBudget = 1 << 20 // the crowd's own bound, not the budget's
		c.Refine = -1              // the samples alone (refine_test.go has the kids)
	})
	cr := newCrowd(r, n, 200)
	where := map[uint32]geo.Cell{} // player → cell
	for i, id := range cr.ids {
		r.move(id, cr.at[i])
		where[1000+uint32(i)] = r.c.tab.get(id).cell
	}
	count := map[geo.Cell]int{}
	for _, c := range where {
		count[c]++
	}
	// seen[i][p]: the last tick session i was listed player p.
	seen := make([]map[uint32]int, n)
	for i := range seen {
		seen[i] = map[uint32]int{}
	}
	crowded := 0 // cells with more than crowdAt players in their interest area
	for c, k := range count {
		area := 0
		for d, kd := range count {
			if distance(c, d) <= 1 {
				area += kd
			}
		}
		if area > crowdAt {
			crowded++
			t.Logf("cell %v: %d players, %d in its area (crowded)", c, k, area)
		}
	}
	if crowded == 0 {
		t.Fatal("no crowded cell: the scripted crowd is too thin")
	}
	summaries := 0
	for tick := 1; tick <= ticks; tick++ {
		before := r.c.Snapshot()
		cr.step(tick, func(i int, msgs []protocol.Message) {
			for _, m := range msgs {
				switch m := m.(type) {
				case *protocol.CellUpdate:
					if len(m.Entries) > DefaultCrowdEntries+DefaultCrowdEntries/4 && tick > 1 && count[geo.Cell(m.Cell)] > crowdAt {
						t.Fatalf("a crowded cell's update lists %d players", len(m.Entries))
					}
					for _, e := range m.Entries {
						seen[i][e.Player] = tick
					}
				case *protocol.CellSummary:
					summaries++
					sum := 0
					for _, ch := range m.Children {
						sum += int(ch.Count)
					}
					if int(m.Count) != count[geo.Cell(m.Cell)] || sum != int(m.Count) {
						t.Fatalf("summary of %v: %d players, children %d; want %d", m.Cell, m.Count, sum, count[geo.Cell(m.Cell)])
					}
				}
			}
		})
		st := r.c.Snapshot()
		enc := st.FramesEncoded + st.JoinFrames + st.CrowdFrames + st.SummaryFrames -
			(before.FramesEncoded + before.JoinFrames + before.CrowdFrames + before.SummaryFrames)
		if tick > 1 && enc > uint64(3*len(count)) {
			t.Fatalf("tick %d encoded %d frames for %d cells: not once per cell and level", tick, enc, len(count))
		}
		if tick < 20 {
			continue // the first rounds
		}
		for i, id := range cr.ids {
			own := r.c.tab.get(id).cell
			for p, c := range where {
				d := distance(own, c)
				if d > 1 || count[c] <= crowdAt {
					continue
				}
				bound := (count[c] + DefaultCrowdEntries/2 - 1) / (DefaultCrowdEntries / 2)
				if d == 1 {
					bound *= DefaultRingEvery
				}
				if tick-seen[i][p] > bound {
					t.Fatalf("tick %d: player %d (cell at distance %d, %d players) last shown to session %d at tick %d; bound %d ticks",
						tick, p, d, count[c], i, seen[i][p], bound)
				}
			}
		}
	}
	if st := r.c.Snapshot(); summaries == 0 || st.CrowdedCells != crowded || st.SummaryFrames == 0 {
		t.Errorf("%d summaries received, %d encoded, %d crowded cells (want %d)", summaries, st.SummaryFrames, st.CrowdedCells, crowded)
	}
}

// TestCrowdModeKeepsUnderTheBudget: in a crowd of 400 players within
// 300 m, every one moving every tick, crowd mode alone keeps what each
// player is sent under the default budget, which then has little to cut.
func TestCrowdModeKeepsUnderTheBudget(t *testing.T) {
	const n, ticks = 400, 50
	r := newRig(t, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst = 1e6, 1e6, 1e6, 1e6
		c.CrowdPlayers = crowdAt
	})
	cr := newCrowd(r, n, 300)
	for i, id := range cr.ids {
		r.move(id, cr.at[i])
	}
	r.c.Tick()
	for _, id := range cr.ids {
		r.pull(id)
	}
	bytes := make([]int, n)
	for tick := 1; tick <= ticks; tick++ {
		cr.step(tick, func(i int, msgs []protocol.Message) {
			for _, m := range msgs {
				bytes[i] += len(m.AppendTo(nil))
			}
		})
	}
	worst := 0
	for _, b := range bytes {
		worst = max(worst, b)
	}
	st := r.c.Snapshot()
	t.Logf("worst %d B/s, %d crowded cells, %d frames cut", worst*10/ticks, st.CrowdedCells, st.Drops[DropBudget])
	if worst*10/ticks > DefaultPositionBudget || st.CrowdedCells == 0 {
		t.Errorf("a player was sent %d B/s (budget %d) with %d crowded cells", worst*10/ticks, DefaultPositionBudget, st.CrowdedCells)
	}
}

// TestCrowdHotPathDoesNotAllocate: in crowd mode, position → tick (samples
// for the cell and its ring, summaries, the kids' frames) → pull allocates
// nothing.
func TestCrowdHotPathDoesNotAllocate(t *testing.T) {
	r := newRig(t, func(c *Config) { c.PositionRate, c.PositionBurst, c.CrowdPlayers, c.CrowdEntries = 1e9, 1e9, 8, 4 })
	cr := newCrowd(r, 24, 30)
	for i, id := range cr.ids {
		r.move(id, cr.at[i])
	}
	frame := make([]byte, 0, 64)
	var out [][]byte
	seq := seqs[cr.ids[0]] // the rig's sequence for this session id (other tests used it too)
	lat, lng := dam.E7()
	step := func() {
		seq++
		frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: seq, Lat: lat + int32(seq%7), Lng: lng, Time: uint64(seq)})
		if err := r.c.Deliver(cr.ids[0], frame); err != nil {
			t.Fatal(err)
		}
		r.c.Tick()
		for _, id := range cr.ids {
			var l Lease
			_, out, l = r.c.Pull(id, out[:0])
			r.c.Release(l)
		}
	}
	for range 100 { // warm up: grow slices and arenas once
		step()
	}
	if st := r.c.Snapshot(); st.CrowdedCells == 0 || st.SummaryFrames == 0 || st.KidFrames == 0 {
		t.Fatalf("no refined crowd: %d crowded cells, %d summaries, %d kid frames", st.CrowdedCells, st.SummaryFrames, st.KidFrames)
	}
	if n := testing.AllocsPerRun(500, step); n != 0 {
		t.Errorf("position → crowded tick → pull allocates %v times", n)
	}
}
