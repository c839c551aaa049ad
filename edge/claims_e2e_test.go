package edge_test

import (
	"sync"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// standOn connects player id to the world's edge and places it on
// treasure tr.
func (w *world) standOn(id uint32, tr fsm.Treasure) (*client.Client, *inbox) {
	w.t.Helper()
	return w.standOnAt(w.edge, id, tr)
}

// standOnAt is standOn through edge e.
func (w *world) standOnAt(e *edge.Edge, id uint32, tr fsm.Treasure) (*client.Client, *inbox) {
	w.t.Helper()
	c, in := w.playerWith(id, client.Options{URL: e.WSURL()})
	if err := c.Position(float64(tr.Lat)/1e7, float64(tr.Lng)/1e7, 3); err != nil {
		w.t.Fatal(err)
	}
	await(w.t, in, func(m *protocol.Treasures) bool { return m.Flags&protocol.FlagSnapshot != 0 })
	return c, in
}

func (w *world) claim(c *client.Client, in *inbox, request, treasure uint32) *protocol.ClaimResult {
	w.t.Helper()
	if err := c.Claim(request, treasure); err != nil {
		w.t.Fatal(err)
	}
	return await(w.t, in, func(r *protocol.ClaimResult) bool { return r.Request == request })
}

// TestClaimRequestReusedAfterReconnect is the phantom WON found from
// outside: a player wins A with request 1, reconnects, and claims B with
// request 1. It was told "won" for B while B stayed unclaimed, and a second
// player was then told "won" for B too.
func TestClaimRequestReusedAfterReconnect(t *testing.T) {
	w := newWorld(t, "netpoll")
	a, b := w.hunt.Treasures[0], w.hunt.Treasures[1]
	c1, in1 := w.standOn(101, a)
	won := w.claim(c1, in1, 1, a.ID)
	if won.Outcome != protocol.OutcomeWon {
		t.Fatalf("claim of A: %+v", won)
	}
	c1.Close()

	c2, in2 := w.standOn(101, b)
	if r := w.claim(c2, in2, 1, b.ID); r.Outcome != protocol.OutcomeRequestReused || r.Treasure != b.ID || r.Points != 0 {
		t.Fatalf("request 1 reused for B after a reconnect: %+v, want request_reused", r)
	}
	other, inOther := w.standOn(102, b)
	if r := w.claim(other, inOther, 1, b.ID); r.Outcome != protocol.OutcomeWon {
		t.Fatalf("another player's claim of B: %+v, want won", r)
	}
	// A true retry of the first claim, from the new connection, gets its
	// original outcome back.
	if r := w.claim(c2, in2, 1, a.ID); *r != *won {
		t.Fatalf("retry of the first claim: %+v, want %+v", r, won)
	}
	var claimedBy uint32
	w.coord.Node.FSM().View(func(s *fsm.State) { claimedBy = s.Hunts[w.hunt.ID].Treasures[b.ID].ClaimedBy })
	if claimedBy != 102 {
		t.Fatalf("B claimed by %d, want 102", claimedBy)
	}
}

// TestClaimRetryThroughAnotherEdge: the claim key is (hunt, player,
// request), not the edge. A player that won A with request 1 on one edge,
// then (still connected there) uses request 1 for B on another edge is
// refused request_reused, and retrying A there gets the original outcome.
func TestClaimRetryThroughAnotherEdge(t *testing.T) {
	w := newWorld(t, "netpoll")
	other := w.startEdge("uring")
	a, b := w.hunt.Treasures[0], w.hunt.Treasures[1]
	c1, in1 := w.standOn(101, a)
	won := w.claim(c1, in1, 1, a.ID)
	if won.Outcome != protocol.OutcomeWon {
		t.Fatalf("claim of A: %+v", won)
	}
	c2, in2 := w.standOnAt(other, 101, b)
	if r := w.claim(c2, in2, 1, b.ID); r.Outcome != protocol.OutcomeRequestReused || r.Treasure != b.ID {
		t.Fatalf("request 1 reused for B on another edge: %+v, want request_reused", r)
	}
	if r := w.claim(c2, in2, 1, a.ID); *r != *won {
		t.Fatalf("retry of the first claim through another edge: %+v, want %+v", r, won)
	}
}

// flood makes player id claim treasure every 2 ms, with new request ids,
// until stop is closed: 500 claims/s, ten times the edge's message rate per
// connection and 250 times its claim rate per player. It returns the
// outcomes of the claims answered (a claim over the message rate is dropped
// unanswered) and closes started once 20 were answered rate_limited.
func (w *world) flood(id, treasure uint32, stop <-chan struct{}, started chan<- struct{}) map[uint8]int {
	c, in := w.standOn(id, w.hunt.Treasures[len(w.hunt.Treasures)-1])
	got := map[uint8]int{}
	var once sync.Once
	pace := time.NewTicker(2 * time.Millisecond)
	defer pace.Stop()
	for req := uint32(1); ; {
		select {
		case <-stop:
			return got
		case <-c.Done():
			w.t.Errorf("the flooding player %d was closed: %v", id, c.Err())
			once.Do(func() { close(started) })
			return got
		case m := <-in.ch:
			if r, ok := m.(*protocol.ClaimResult); ok {
				got[r.Outcome]++
				if got[protocol.OutcomeRateLimited] == 20 {
					once.Do(func() { close(started) })
				}
			}
		case <-pace.C:
			if err := c.Claim(req, treasure); err != nil {
				w.t.Error(err)
				return got
			}
			req++
		}
	}
}

// TestBadClaimsDoNotStallHonestOnes: one player claiming treasure 0, or a
// treasure that does not exist, non-stop made every honest claim on the
// edge answer "unavailable" until it stopped (the coordinator refused each
// whole batch). Honest claims must win while it floods, on their first
// try, and the flood must be answered too.
func TestBadClaimsDoNotStallHonestOnes(t *testing.T) {
	w := newWorld(t, "netpoll")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	floods := make([]map[uint8]int, 2)
	for i, treasure := range []uint32{0, 1 << 30} {
		started := make(chan struct{})
		wg.Add(1)
		go func() { defer wg.Done(); floods[i] = w.flood(uint32(900+i), treasure, stop, started) }()
		<-started
	}
	for i, tr := range w.hunt.Treasures[:3] {
		c, in := w.standOn(uint32(201+i), tr)
		if r := w.claim(c, in, 7, tr.ID); r.Outcome != protocol.OutcomeWon {
			t.Errorf("honest claim of %d during the flood: %+v, want won", tr.ID, r)
		}
	}
	close(stop)
	wg.Wait()
	// The claims within the attacker's rate are answered unknown (treasure
	// 0 at the edge, the made-up one by the coordinator), the rest
	// rate_limited; none fails for want of a coordinator.
	for i, f := range floods {
		if f[protocol.OutcomeUnknown] == 0 || f[protocol.OutcomeRateLimited] == 0 || f[protocol.OutcomeUnknown]+f[protocol.OutcomeRateLimited] != sum(f) {
			t.Errorf("flood %d answered %v, want unknown treasure and rate limited only", i, f)
		}
	}
}

// TestClaimFloodIsRateLimited: four players (as found from outside) send
// claims with distinct request ids as fast as they can. The edge answers
// all beyond each player's rate rate_limited, and the coordinator keeps
// only the outcomes of what passed — bounded by the rate, not the flood.
func TestClaimFloodIsRateLimited(t *testing.T) {
	w := newWorld(t, "netpoll")
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	floods := make([]map[uint8]int, 4)
	startedAll := make(chan struct{}, 4)
	for i := range floods {
		started := make(chan struct{})
		wg.Add(1)
		go func() { defer wg.Done(); floods[i] = w.flood(uint32(300+i), w.hunt.Treasures[0].ID, stop, started) }()
		go func() { <-started; startedAll <- struct{}{} }()
	}
	for range floods { // each has had at least 20 claims refused for its rate
		<-startedAll
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	// Per player: the burst, plus the refill over the run (defaults 10, 2/s).
	allowed := int(10 + 2*elapsed + 1)
	passed, limited := 0, 0
	for i, f := range floods {
		n := sum(f) - f[protocol.OutcomeRateLimited]
		if n > allowed || f[protocol.OutcomeRateLimited] < 20 {
			t.Errorf("player %d: %d claims passed (at most %d allowed over %.1fs), outcomes %v", i, n, allowed, elapsed, f)
		}
		passed += n
		limited += f[protocol.OutcomeRateLimited]
	}
	var remembered int
	w.coord.Node.FSM().View(func(s *fsm.State) { remembered = s.Claims.Len() })
	if remembered > passed {
		t.Errorf("the coordinator remembers %d claims, more than the %d that passed the edge", remembered, passed)
	}
	t.Logf("%d claims passed, %d rate limited, %d remembered by the coordinator, in %.1fs", passed, limited, remembered, elapsed)
}

func sum(outcomes map[uint8]int) int {
	n := 0
	for _, k := range outcomes {
		n += k
	}
	return n
}
