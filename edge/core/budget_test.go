package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// crowd is a scripted crowd: players spread over a few cells around Dam
// Square, each moving every tick, and pulling its output every tick.
type crowd struct {
	r   *rig
	ids []SessionID
	at  []geo.Point
}

func newCrowd(r *rig, n int, spread float64) *crowd {
	cr := &crowd{r: r}
	for i := range n {
		id := r.join(uint32(1000 + i))
		p := eastOf(dam, spread*float64(i%11)/10)
		p.Lat += spread / 111_320 * float64(i/11%11) / 10
		cr.ids, cr.at = append(cr.ids, id), append(cr.at, p)
	}
	return cr
}

// step moves every player a metre (alternately east and back), advances
// the clock by a tick and runs it. Each session's output goes to take.
func (cr *crowd) step(tick int, take func(i int, msgs []protocol.Message)) {
	r := cr.r
	for i, id := range cr.ids {
		if err := r.move(id, eastOf(cr.at[i], float64(tick%2))); err != nil {
			r.t.Fatal(err)
		}
	}
	r.now = r.now.Add(100 * time.Millisecond)
	r.c.Tick()
	for i, id := range cr.ids {
		take(i, r.pull(id))
	}
}

// TestHuntBudget: a hunt's own budget replaces the edge's for its players.
func TestHuntBudget(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Hunts = hunts{testHunt: {ID: testHunt, Resolution: 9, Active: true, PositionBudget: 2048}}
		c.PositionBudget = 16 << 10
	})
	if b := r.c.tab.get(r.join(1)).budget; b != 2048 {
		t.Errorf("budget %d B/s, want the hunt's 2048", b)
	}
}

// TestBudgetHoldsUnderACrowd: 150 players within 100 m, every one moving
// every tick, would each be sent about 25 KB/s of CELL_UPDATEs without
// crowd mode (off here). Over 10 s each receives at most its budget,
// still hears its own cell every second, and gets every PONG (control
// messages are never cut).
func TestBudgetHoldsUnderACrowd(t *testing.T) {
	const n, ticks, budget = 150, 100, DefaultPositionBudget
	r := newRig(t, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst = 1e6, 1e6, 1e6, 1e6
		c.CrowdPlayers = 1 << 20 // crowd mode off: the budget alone
	})
	cr := newCrowd(r, n, 100)
	own := make([]geo.Cell, n)
	for i := range cr.ids {
		r.move(cr.ids[i], cr.at[i])
		own[i] = r.c.tab.get(cr.ids[i]).cell
	}
	bytes := make([]int, n)
	heard := make([]int, n) // the last tick that brought the player its own cell
	pongs := 0
	for tick := 1; tick <= ticks; tick++ {
		r.c.Deliver(cr.ids[0], protocol.AppendPing(nil, &protocol.Ping{Time: uint64(tick)}))
		cr.step(tick, func(i int, msgs []protocol.Message) {
			for _, m := range msgs {
				switch m := m.(type) {
				case *protocol.CellUpdate:
					bytes[i] += 3 + 15 + 17*len(m.Entries)
					if m.Cell == protocol.Cell(own[i]) {
						if tick-heard[i] > 10 {
							t.Errorf("tick %d: player %d last heard its own cell at tick %d", tick, i, heard[i])
						}
						heard[i] = tick
					}
				case *protocol.Pong:
					pongs++
				}
			}
		})
	}
	limit := budget * ticks / 10 // over 8 s or more, bursts included: the budget
	for i, b := range bytes {
		if b > limit {
			t.Errorf("player %d was sent %d bytes in %d s, over the budget (%d B/s)", i, b, ticks/10, budget)
		}
		if b < limit/3 {
			t.Errorf("player %d was sent only %d bytes: the budget is not used", i, b)
		}
	}
	if pongs != ticks || r.c.Snapshot().Drops[DropBudget] == 0 {
		t.Errorf("%d PONGs of %d, %d frames cut", pongs, ticks, r.c.Snapshot().Drops[DropBudget])
	}
}
