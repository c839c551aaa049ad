package coordinator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/protocol"
)

var testArea = api.AreaRequest{Outer: [][2]float64{{52.36, 4.88}, {52.36, 4.912}, {52.38, 4.912}, {52.38, 4.88}}}

// createHunt creates and starts a hunt through node i and returns it with
// its treasures.
func (c *testCluster) createHunt(i, treasures int, respawn string) api.HuntDetail {
	c.t.Helper()
	ctx := context.Background()
	var created struct{ Hunt uint32 }
	req := api.HuntRequest{Name: "amsterdam", Area: testArea, Resolution: 9, Treasures: treasures, MinSpacing: 1, ClaimRadius: 1, Respawn: respawn}
	if _, err := c.call(ctx, i, "POST", "/v1/hunts", req, &created); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.call(ctx, i, "POST", fmt.Sprintf("/v1/hunts/%d/start", created.Hunt), nil, nil); err != nil {
		c.t.Fatal(err)
	}
	var d api.HuntDetail
	if _, err := c.call(ctx, i, "GET", fmt.Sprintf("/v1/hunts/%d?consistent=true", created.Hunt), nil, &d); err != nil {
		c.t.Fatal(err)
	}
	return d
}

type claimInput struct {
	Treasure, Player uint32
}

// claimModel: each treasure is won by the first claim that reaches it; every
// later claim sees it already claimed. Partitioned by treasure.
var claimModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[uint32][]porcupine.Operation{}
		for _, op := range history {
			in := op.Input.(claimInput)
			by[in.Treasure] = append(by[in.Treasure], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range by {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return uint32(0) },
	Step: func(state, input, output any) (bool, any) {
		winner, in, code := state.(uint32), input.(claimInput), output.(uint8)
		if winner == 0 {
			return code == protocol.OutcomeWon, in.Player
		}
		return code == protocol.OutcomeAlreadyClaimed, winner
	},
	Equal: func(a, b any) bool { return a == b },
}

// claimer submits claims through any running node, retrying each with the
// same idempotency key until one node answers, as an edge does.
type claimer struct {
	c    *testCluster
	hunt uint32
	mu   sync.Mutex
	ops  []porcupine.Operation
	won  map[uint32]uint32 // treasure → player, from acknowledged outcomes
	dup  []string
}

func (cl *claimer) claim(ctx context.Context, client int, req uint64, t fsm.Treasure, player uint32) error {
	body := api.ClaimsRequest{Claims: []fsm.Claim{{Edge: fmt.Sprintf("edge-%d", client), Request: req,
		Hunt: cl.hunt, Treasure: t.ID, Player: player, Cell: t.Cell}}}
	call := time.Now()
	for attempt := 0; ; attempt++ {
		nodes := cl.c.running()
		var res api.ClaimsResponse
		_, err := cl.c.call(ctx, nodes[(client+attempt)%len(nodes)], "POST", "/v1/edge/claims", body, &res)
		if err == nil {
			cl.record(call, time.Now(), client, claimInput{t.ID, player}, res.Outcomes[0].Code)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("claim %d of client %d never acknowledged: %w (last: %v)", req, client, ctx.Err(), err)
		}
		select { // back off a little; the cluster is electing
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (cl *claimer) record(call, ret time.Time, client int, in claimInput, code uint8) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.ops = append(cl.ops, porcupine.Operation{ClientId: client, Input: in, Call: call.UnixNano(), Output: code, Return: ret.UnixNano()})
	if code == protocol.OutcomeWon {
		if prev, ok := cl.won[in.Treasure]; ok {
			cl.dup = append(cl.dup, fmt.Sprintf("treasure %d won by %d and %d", in.Treasure, prev, in.Player))
		}
		cl.won[in.Treasure] = in.Player
	}
}

// checkAcknowledged verifies that every acknowledged win is in node i's
// state; query is "" for a local read or "?consistent=true".
func (cl *claimer) checkAcknowledged(i int, query string) {
	cl.c.t.Helper()
	var d api.HuntDetail
	if _, err := cl.c.call(context.Background(), i, "GET", fmt.Sprintf("/v1/hunts/%d%s", cl.hunt, query), nil, &d); err != nil {
		cl.c.t.Fatal(err)
	}
	byID := map[uint32]fsm.Treasure{}
	for _, t := range d.Treasures {
		byID[t.ID] = t
	}
	for tid, player := range cl.won {
		if got := byID[tid]; got.ClaimedBy != player {
			cl.c.t.Errorf("acknowledged win of treasure %d by %d lost: node %s says %+v", tid, player, cl.c.procs[i].id, got)
		}
	}
}

func TestClaimsLinearizableAcrossLeaderKill(t *testing.T) {
	c := newCluster(t, 3, "-snapshot-threshold", "64")
	c.leader(60 * time.Second)
	hunt := c.createHunt(0, 30, fsm.RespawnAfter)
	targets := hunt.Treasures[:20] // few treasures, many players: contention

	cl := &claimer{c: c, hunt: hunt.ID, won: map[uint32]uint32{}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const clients, perClient = 8, 40
	var done atomic.Int32
	third := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for client := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(client), 7))
			for req := range perClient {
				t := targets[rng.IntN(len(targets))]
				if err := cl.claim(ctx, client, uint64(req), t, uint32(100+client)); err != nil {
					errs <- err
					return
				}
				if done.Add(1) == clients*perClient/3 {
					close(third)
				}
			}
		}()
	}
	// One third of the way through, SIGKILL the leader; restart it once a
	// new leader is elected. Claims keep flowing meanwhile.
	<-third
	victim := c.leader(60 * time.Second)
	c.kill(victim)
	c.leader(60 * time.Second)
	c.start(victim)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	if len(cl.dup) > 0 {
		t.Fatalf("treasures awarded twice: %v", cl.dup)
	}
	if len(cl.won) == 0 {
		t.Fatal("no claim won; the test exercised nothing")
	}
	if res, info := porcupine.CheckOperationsVerbose(claimModel, cl.ops, 10*time.Second); res != porcupine.Ok {
		_ = info
		t.Fatalf("claim history of %d operations is not linearizable: %v", len(cl.ops), res)
	}
	lead := c.leader(60 * time.Second)
	cl.checkAcknowledged(lead, "?consistent=true")
	c.sameState(60 * time.Second)

	// Every node down hard, then up again: nothing acknowledged is lost.
	for i := range c.procs {
		c.kill(i)
	}
	for i := range c.procs {
		c.start(i)
	}
	lead = c.leader(60 * time.Second)
	for _, i := range c.running() {
		eventually(t, 60*time.Second, "restarted replica caught up", func() bool {
			var d api.HuntDetail
			_, err := c.call(context.Background(), i, "GET", fmt.Sprintf("/v1/hunts/%d", hunt.ID), nil, &d)
			return err == nil
		})
	}
	cl.checkAcknowledged(lead, "?consistent=true")
	c.sameState(60 * time.Second)
	for _, i := range c.running() {
		cl.checkAcknowledged(i, "")
	}
}

func TestNoQuorumFailsFastAndRecovers(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(60 * time.Second)
	hunt := c.createHunt(lead, 5, fsm.RespawnNone)
	survivor := (lead + 1) % 3
	for i := range c.procs {
		if i != survivor {
			c.kill(i)
		}
	}
	// A write to the lone survivor fails with a clear no-quorum error, fast.
	start := time.Now()
	var lastErr error
	var status int
	for time.Since(start) < 30*time.Second {
		body := api.ClaimsRequest{Claims: []fsm.Claim{{Edge: "e", Request: 1, Hunt: hunt.ID, Treasure: hunt.Treasures[0].ID, Player: 1, Cell: hunt.Treasures[0].Cell}}}
		status, lastErr = c.call(context.Background(), survivor, "POST", "/v1/edge/claims", body, nil)
		if status == http.StatusServiceUnavailable && strings.Contains(lastErr.Error(), "no quorum") {
			break
		}
	}
	if status != http.StatusServiceUnavailable || !strings.Contains(lastErr.Error(), "no quorum") {
		t.Fatalf("write without quorum: status %d, err %v; want 503 no quorum", status, lastErr)
	}
	if took := time.Since(start); took > 15*time.Second { // ApplyTimeout is 2 s: far from hanging, with room for a busy machine
		t.Errorf("no-quorum error took %v", took)
	}
	// Reads keep working on the survivor and say how stale they may be.
	var st api.HuntStatus
	if _, err := c.call(context.Background(), survivor, "GET", fmt.Sprintf("/v1/hunts/%d/status", hunt.ID), nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Consistent || st.StalenessMS <= 0 || st.Total != 5 {
		t.Errorf("status without quorum: %+v", st)
	}
	if _, err := c.call(context.Background(), survivor, "GET", fmt.Sprintf("/v1/hunts/%d/status?consistent=true", hunt.ID), nil, nil); err == nil {
		t.Error("a consistent read succeeded without quorum")
	}
	// Recovery.
	for i := range c.procs {
		if i != survivor {
			c.start(i)
		}
	}
	c.leader(60 * time.Second)
	var res api.ClaimsResponse
	body := api.ClaimsRequest{Claims: []fsm.Claim{{Edge: "e", Request: 2, Hunt: hunt.ID, Treasure: hunt.Treasures[0].ID, Player: 1, Cell: hunt.Treasures[0].Cell}}}
	if _, err := c.call(context.Background(), survivor, "POST", "/v1/edge/claims", body, &res); err != nil || res.Outcomes[0].Code != protocol.OutcomeWon {
		t.Fatalf("claim after recovery: %+v, %v", res, err)
	}
	if _, err := c.call(context.Background(), survivor, "GET", fmt.Sprintf("/v1/hunts/%d/status?consistent=true", hunt.ID), nil, &st); err != nil || !st.Consistent || st.Remaining != 4 {
		t.Errorf("consistent status after recovery: %+v, %v", st, err)
	}
}

func TestMembershipAndForwarding(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(60 * time.Second)
	follower := (lead + 1) % 3
	hunt := c.createHunt(follower, 4, fsm.RespawnNone) // written through a follower

	// A fourth node joins through a follower, catches up, and votes.
	addrs := freeAddrs(t, 2)
	c.procs = append(c.procs, &proc{id: "c4", raft: addrs[0], api: addrs[1], dir: t.TempDir()})
	c.start(3, "-join", c.url(follower))
	eventually(t, 60*time.Second, "c4 in the configuration", func() bool {
		var st clusterStatus
		_, err := c.call(context.Background(), lead, "GET", "/v1/cluster", nil, &st)
		return err == nil && len(st.Servers) == 4
	})
	c.sameState(60 * time.Second)
	var d api.HuntDetail
	if _, err := c.call(context.Background(), 3, "GET", fmt.Sprintf("/v1/hunts/%d", hunt.ID), nil, &d); err != nil || len(d.Treasures) != 4 {
		t.Fatalf("new voter's replica: %d treasures, %v", len(d.Treasures), err)
	}
	// Remove a follower that is not c4.
	victim := (lead + 2) % 3
	if _, err := c.call(context.Background(), 3, "DELETE", "/v1/cluster/servers/"+c.procs[victim].id, nil, nil); err != nil {
		t.Fatal(err)
	}
	var st clusterStatus
	if _, err := c.call(context.Background(), lead, "GET", "/v1/cluster", nil, &st); err != nil || len(st.Servers) != 3 {
		t.Fatalf("after removal: %+v, %v", st, err)
	}
	for _, s := range st.Servers {
		if s.ID == c.procs[victim].id {
			t.Errorf("%s still in the configuration", s.ID)
		}
	}
	c.stop(victim) // a removed node shuts down cleanly on SIGTERM
}

func TestBadAdminInputWritesNothing(t *testing.T) {
	c := newCluster(t, 1)
	c.leader(60 * time.Second)
	ctx := context.Background()
	bad := []struct {
		path string
		body any
		want int
	}{
		{"/v1/hunts", map[string]any{"name": "x", "bogus": 1}, http.StatusBadRequest},
		{"/v1/hunts", "not an object", http.StatusBadRequest},
		{"/v1/hunts", api.HuntRequest{Name: "x", Area: api.AreaRequest{Outer: [][2]float64{{0, 0}, {1, 1}, {0, 1}, {1, 0}}}, Resolution: 9, Treasures: 1}, http.StatusBadRequest},
		{"/v1/hunts", api.HuntRequest{Name: "x", Area: testArea, Resolution: 9, Treasures: 100000, MinSpacing: 5}, http.StatusBadRequest},
		{"/v1/hunts", map[string]string{"name": strings.Repeat("x", 2<<20)}, http.StatusRequestEntityTooLarge},
		{"/v1/hunts/999/start", nil, http.StatusNotFound},
		{"/v1/edge/claims", api.ClaimsRequest{}, http.StatusBadRequest},
	}
	for _, b := range bad {
		status, err := c.call(ctx, 0, "POST", b.path, b.body, nil)
		if status != b.want || err == nil || !strings.Contains(err.Error(), "{\"error\"") {
			t.Errorf("POST %s: status %d (%v), want %d with a JSON error", b.path, status, err, b.want)
		}
	}
	var hunts []api.HuntSummary
	if _, err := c.call(ctx, 0, "GET", "/v1/hunts", nil, &hunts); err != nil || len(hunts) != 0 {
		t.Errorf("hunts after bad input: %v, %v", hunts, err)
	}
	req, _ := http.NewRequest("GET", c.url(0)+"/v1/hunts", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := c.http.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %v, %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	if status, _ := c.call(ctx, 0, "GET", "/readyz", nil, nil); status != http.StatusOK {
		t.Errorf("/readyz = %d", status)
	}
	mresp, err := c.http.Get(c.url(0) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if err != nil || mresp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics = %d, %v", mresp.StatusCode, err)
	}
	// Ours, the log store's (raft-wal, the default: every node has appended
	// its bootstrap configuration), then one of raft's own (every node
	// starts as a follower), which the binary exports from go-metrics.
	for _, name := range []string{"veltrix_coordinator_is_leader", "veltrix_coordinator_raft_term", "veltrix_coordinator_raft_commit_index", "veltrix_coordinator_raft_applied_index",
		"veltrix_coordinator_wal_log_appends_total", "raft_state_follower"} {
		if !bytes.Contains(metrics, []byte(name)) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
