package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// TestTickDilatesAndRecovers: ticks that take more than half their period
// slow the rate 10 → 5 → 2 Hz, three ticks at a time; quick ticks bring it
// back 2 → 5 → 10 Hz after twenty each. Every change is told to every
// session (TICK_RATE), and a newcomer's WELCOME gives the rate of the
// moment. The clock is injected: each tick takes exactly cost.
func TestTickDilatesAndRecovers(t *testing.T) {
	var cost time.Duration
	var r *rig
	r = newRig(t, func(c *Config) {
		c.IdleTimeout = 1 << 40
		c.Now = func() time.Time { now := r.now; r.now = r.now.Add(cost); return now }
	})
	a, b := r.join(1), r.join(2)
	r.move(a, dam)
	rates := func(id SessionID) (out []protocol.TickRate) {
		for _, m := range r.pull(id) {
			if tr, ok := m.(*protocol.TickRate); ok {
				out = append(out, *tr)
			}
		}
		return out
	}
	steps := []struct {
		cost  time.Duration
		ticks int
		hz    int
		told  []protocol.TickRate
	}{
		{cost: 40 * time.Millisecond, ticks: 10, hz: 10}, // under half of 100 ms
		{cost: 60 * time.Millisecond, ticks: 2, hz: 10},  // over, not yet three times
		{cost: 60 * time.Millisecond, ticks: 1, hz: 5, told: []protocol.TickRate{{TickHz: 5, Reason: protocol.TickRateOverload}}},
		{cost: 60 * time.Millisecond, ticks: 30, hz: 5}, // fits 5 Hz, too slow for 10
		{cost: 150 * time.Millisecond, ticks: 3, hz: 2, told: []protocol.TickRate{{TickHz: 2, Reason: protocol.TickRateOverload}}},
		{cost: 400 * time.Millisecond, ticks: 30, hz: 2}, // the slowest rate holds
		{cost: time.Millisecond, ticks: 19, hz: 2},
		{cost: time.Millisecond, ticks: 1, hz: 5, told: []protocol.TickRate{{TickHz: 5, Reason: protocol.TickRateOverload}}},
		{cost: time.Millisecond, ticks: 20, hz: 10, told: []protocol.TickRate{{TickHz: 10, Reason: protocol.TickRateNormal}}},
	}
	for i, st := range steps {
		cost = st.cost
		for range st.ticks {
			r.c.Tick()
		}
		cost = 0
		if hz := r.c.TickHz(); hz != st.hz || r.c.Snapshot().TickHz != st.hz {
			t.Fatalf("step %d: %d Hz (stats %d), want %d", i, hz, r.c.Snapshot().TickHz, st.hz)
		}
		for _, id := range []SessionID{a, b} {
			if got := rates(id); len(got) != len(st.told) || len(got) > 0 && got[0] != st.told[0] {
				t.Fatalf("step %d: told %v, want %v", i, got, st.told)
			}
		}
		if st.hz == 2 && i == 5 { // a newcomer is welcomed at the rate of the moment
			id := r.c.Open(r.owner, 0)
			tok, _ := token.Mint(r.priv, 9, testHunt, "", r.now, time.Hour)
			r.c.Deliver(id, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: testHunt, Token: protocol.Text(tok)}))
			if msgs := r.pull(id); len(msgs) != 1 || msgs[0].(*protocol.Welcome).TickHz != 2 {
				t.Fatalf("WELCOME while dilated: %v, want tick_hz 2", msgs)
			}
		}
	}
	if st := r.c.Snapshot(); st.Dilations != 4 || st.TickDurations[tickBucket(time.Millisecond)] != 40 {
		t.Errorf("%d rate changes (want 4), %d ticks of 1 ms (want 40)", st.Dilations, st.TickDurations[tickBucket(time.Millisecond)])
	}
}
