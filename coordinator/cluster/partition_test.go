package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Partitions without TCP: memCluster joins real Nodes (stores, batcher,
// leader loop) with raft's in-memory transport (Config.Transport), whose
// Disconnect cuts a link at once. Tests wait on what raft and the FSM
// announce (raft observations of state and leader changes, fsm.Changed), so
// no test sleeps or polls; the deadline only bounds a hang.

const (
	memTimeout  = 100 * time.Millisecond // heartbeat, election and leader-lease timeouts
	memDeadline = 60 * time.Second       // a bound on each wait, for a busy machine under -race
)

type memCluster struct {
	tb    testing.TB
	nodes []*Node
	trans map[*Node]*raft.InmemTransport
	// wake receives every node's raft observations and a signal after each
	// entry any FSM applies: await looks again at each.
	wake chan raft.Observation
}

// startMemCluster starts n bootstrapped voters, n1…nn, fully connected.
func startMemCluster(tb testing.TB, n int) *memCluster {
	c := &memCluster{tb: tb, trans: map[*Node]*raft.InmemTransport{}, wake: make(chan raft.Observation, 256)}
	var peers []Peer
	var trs []*raft.InmemTransport
	for i := range n {
		addr, tr := raft.NewInmemTransport(raft.ServerAddress(fmt.Sprintf("mem-n%d", i+1)))
		peers = append(peers, Peer{ID: fmt.Sprintf("n%d", i+1), Addr: string(addr)})
		trs = append(trs, tr)
	}
	// Cleanups run last first: each node closes before its data directory
	// goes, and the transports and the forwarders after every node.
	stop := make(chan struct{})
	tb.Cleanup(func() {
		close(stop)
		for _, tr := range trs {
			tr.Close()
		}
	})
	for i, tr := range trs {
		node, err := Open(Config{
			ID: peers[i].ID, DataDir: tb.TempDir(), Bootstrap: true, Peers: peers, Transport: tr,
			HeartbeatTimeout: memTimeout, ElectionTimeout: memTimeout, LeaderLeaseTimeout: memTimeout,
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { node.Close() })
		c.nodes = append(c.nodes, node)
		c.trans[node] = tr
		node.raft.RegisterObserver(raft.NewObserver(c.wake, false, nil))
		go c.forwardApplies(node, stop)
	}
	// Connected only now: a node that heard from a peer before its own
	// BootstrapCluster would refuse to bootstrap.
	c.heal()
	return c
}

// forwardApplies signals wake after each entry n's FSM applies. It takes
// the next Changed channel before it signals, so an entry applied between
// the two is either seen by the waiter or signalled again.
func (c *memCluster) forwardApplies(n *Node, stop <-chan struct{}) {
	ch := n.FSM().Changed()
	for {
		select {
		case <-ch:
			ch = n.FSM().Changed()
			select {
			case c.wake <- raft.Observation{}:
			default: // a wake-up is already pending
			}
		case <-stop:
			return
		}
	}
}

// await returns once cond holds, looking again after each observation or
// applied entry.
func (c *memCluster) await(what string, cond func() bool) {
	c.tb.Helper()
	deadline := time.NewTimer(memDeadline)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.wake:
		case <-deadline.C:
			c.tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

// partition cuts every link between nodes of different groups, both ways.
func (c *memCluster) partition(groups ...[]*Node) {
	for i, g := range groups {
		for _, h := range groups[i+1:] {
			for _, a := range g {
				for _, b := range h {
					c.trans[a].Disconnect(c.trans[b].LocalAddr())
					c.trans[b].Disconnect(c.trans[a].LocalAddr())
				}
			}
		}
	}
}

// heal connects every node with every other.
func (c *memCluster) heal() {
	for _, a := range c.trans {
		for _, b := range c.trans {
			a.Connect(b.LocalAddr(), b)
		}
	}
}

// leaderOf is the node of group that leads with every node of group
// following it, or nil.
func leaderOf(group []*Node) *Node {
	var l *Node
	for _, n := range group {
		if n.IsLeader() {
			if l != nil {
				return nil
			}
			l = n
		}
	}
	for _, n := range group {
		if l == nil {
			return nil
		}
		if id, _ := n.Leader(); id != l.ID() {
			return nil
		}
	}
	return l
}

func (c *memCluster) awaitLeader(group []*Node) *Node {
	c.tb.Helper()
	var l *Node
	c.await(fmt.Sprintf("a leader followed by all of %v", ids(group)), func() bool { l = leaderOf(group); return l != nil })
	return l
}

func ids(group []*Node) []string {
	var out []string
	for _, n := range group {
		out = append(out, n.ID())
	}
	return out
}

// cannotCommit reports whether err says this node cannot commit writes.
func cannotCommit(err error) bool {
	return errors.Is(err, ErrNotLeader) || errors.Is(err, ErrNoQuorum)
}

// retry runs f on the leader of group until it does not fail for want of
// a leader: with short timeouts on a busy machine the leadership may move
// at any time. Only idempotent writes may be retried.
func (c *memCluster) retry(group []*Node, f func(l *Node) error) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), memDeadline)
	defer cancel()
	for {
		err := f(c.awaitLeader(group))
		if err == nil {
			return
		}
		if !cannotCommit(err) || ctx.Err() != nil {
			c.tb.Fatal(err)
		}
	}
}

// submit commits claims through the leader of group. A retry with the same
// keys returns the original outcomes, so the claims are decided once.
func (c *memCluster) submit(group []*Node, claims []fsm.Claim) []fsm.Outcome {
	c.tb.Helper()
	var outs []fsm.Outcome
	c.retry(group, func(l *Node) (err error) {
		outs, err = l.SubmitClaims(context.Background(), claims)
		return err
	})
	return outs
}

// hunt creates and starts a hunt of n treasures, with claims accepted from
// anywhere, and returns its id and treasures. A retry after a lost
// leadership may create a second hunt; the tests use the one returned.
func (c *memCluster) hunt(n int) (uint32, []fsm.Treasure) {
	c.tb.Helper()
	area := geo.Polygon{Outer: []geo.Point{{Lat: 52.30, Lng: 4.80}, {Lat: 52.30, Lng: 5.00}, {Lat: 52.42, Lng: 5.00}, {Lat: 52.42, Lng: 4.80}}}
	create, err := fsm.Encode(&fsm.CreateHunt{Spec: fsm.HuntSpec{Name: "partition", Area: area, Resolution: 9, Treasures: n, ClaimRadius: 1, Respawn: fsm.RespawnNone}, Seed: 1, Time: 1})
	if err != nil {
		c.tb.Fatal(err)
	}
	var id uint32
	var ts []fsm.Treasure
	c.retry(c.nodes, func(l *Node) error {
		res, err := l.Apply(context.Background(), create)
		if err != nil {
			return err
		}
		id = res.(*fsm.CreateResult).Hunt
		start, err := fsm.EncodeTransition(fsm.KindStartHunt, fsm.HuntTransition{Hunt: id, Time: 2})
		if err != nil {
			return err
		}
		if _, err := l.Apply(context.Background(), start); err != nil {
			return err
		}
		ts = ts[:0]
		l.FSM().View(func(s *fsm.State) {
			for _, t := range s.Hunts[id].Treasures {
				ts = append(ts, t)
			}
		})
		return nil
	})
	return id, ts
}

// awaitConverged waits until every node has applied index and all hold the
// same state, and returns the common digest.
func (c *memCluster) awaitConverged(index uint64) string {
	c.tb.Helper()
	var digests []string
	c.await(fmt.Sprintf("every node to apply index %d with one digest", index), func() bool {
		digests = digests[:0]
		for _, n := range c.nodes {
			applied, sum := n.FSM().Digest()
			if applied < index {
				return false
			}
			digests = append(digests, fmt.Sprintf("%d/%x", applied, sum[:8]))
		}
		for _, d := range digests {
			if d != digests[0] {
				return false
			}
		}
		return true
	})
	return digests[0]
}

// loggedCommand returns the index of the first command entry in n's log
// after index after, or 0. In these tests only claims are written then.
func loggedCommand(tb testing.TB, n *Node, after uint64) uint64 {
	for i := after + 1; i <= n.raft.LastIndex(); i++ {
		var l raft.Log
		if err := n.logs.GetLog(i, &l); err != nil {
			tb.Fatal(err)
		}
		if l.Type == raft.LogCommand {
			return i
		}
	}
	return 0
}

func claim(hunt uint32, t fsm.Treasure, player uint32, request uint64) fsm.Claim {
	return fsm.Claim{Edge: "partition", Request: request, Hunt: hunt, Treasure: t.ID, Player: player, Cell: t.Cell}
}

func claimedBy(n *Node, hunt, treasure uint32) (player uint32) {
	n.FSM().View(func(s *fsm.State) { player = s.Hunts[hunt].Treasures[treasure].ClaimedBy })
	return player
}

func remembered(n *Node, cl fsm.Claim) (ok bool) {
	n.FSM().View(func(s *fsm.State) { _, ok = s.Claims.Get(fsm.IDOf(&cl)) })
	return ok
}

// TestDeposedLeaderClaimsAreNeverAcknowledged splits five nodes into the
// leader with one follower (a minority) and three others. The cut-off
// leader takes claims into its log but cannot commit them: SubmitClaims
// fails with a not-leader or no-quorum error and nothing is applied. The
// majority elects a leader and commits a rival claim on the same treasure.
// After healing, every FSM reaches the same digest, the rival won, and no
// node remembers the deposed leader's claims.
func TestDeposedLeaderClaimsAreNeverAcknowledged(t *testing.T) {
	c := startMemCluster(t, 5)
	hunt, ts := c.hunt(3)
	deposed := []fsm.Claim{claim(hunt, ts[0], 1, 1), claim(hunt, ts[1], 1, 2)}

	// The leader may lose its leadership (and so refuse the claims before
	// logging them) between the partition and the submit; then try again.
	var old *Node
	var minority, majority []*Node
	for attempt := 1; ; attempt++ {
		c.heal()
		old = c.awaitLeader(c.nodes)
		minority, majority = []*Node{old}, nil
		for _, n := range c.nodes {
			switch {
			case n == old:
			case len(minority) < 2:
				minority = append(minority, n)
			default:
				majority = append(majority, n)
			}
		}
		c.partition(minority, majority)
		last := old.raft.LastIndex()
		ctx, cancel := context.WithTimeout(context.Background(), memDeadline)
		outs, err := old.SubmitClaims(ctx, deposed)
		cancel()
		if err == nil {
			t.Fatalf("a leader cut off from the majority acknowledged claims: %+v", outs)
		}
		if !cannotCommit(err) {
			t.Fatalf("deposed leader's SubmitClaims: %v, want ErrNotLeader or ErrNoQuorum", err)
		}
		if index := loggedCommand(t, old, last); index != 0 {
			if applied, _ := old.FSM().Digest(); applied >= index {
				t.Fatalf("%s applied index %d, its uncommitted claims entry", old.ID(), applied)
			}
			t.Logf("attempt %d: %s logged the claims at index %d and answered: %v", attempt, old.ID(), index, err)
			break
		}
		if attempt == 5 {
			t.Fatal("the leader never kept its leadership long enough to log the claims")
		}
	}

	leader := c.awaitLeader(majority)
	c.await(old.ID()+" to step down", func() bool { return !old.IsLeader() })
	for _, n := range minority {
		if _, err := n.SubmitClaims(context.Background(), deposed); !cannotCommit(err) {
			t.Errorf("%s in the minority: SubmitClaims: %v, want ErrNotLeader or ErrNoQuorum", n.ID(), err)
		}
	}
	rival := []fsm.Claim{claim(hunt, ts[0], 2, 1)}
	won := c.submit(majority, rival)
	if won[0].Code != protocol.OutcomeWon {
		t.Fatalf("the majority's claim: %+v, want won", won[0])
	}
	for _, n := range minority {
		if got, _ := n.FSM().Digest(); got >= won[0].Index {
			t.Errorf("%s applied index %d while cut off from the majority that committed it", n.ID(), got)
		}
	}
	t.Logf("majority leader %s committed the rival claim at index %d", leader.ID(), won[0].Index)

	c.heal()
	digest := c.awaitConverged(won[0].Index)
	for _, n := range c.nodes {
		if got := claimedBy(n, hunt, ts[0].ID); got != 2 {
			t.Errorf("%s: treasure %d claimed by player %d, want the majority's player 2", n.ID(), ts[0].ID, got)
		}
		if got := claimedBy(n, hunt, ts[1].ID); got != 0 {
			t.Errorf("%s: treasure %d claimed by player %d, want unclaimed", n.ID(), ts[1].ID, got)
		}
		for _, cl := range deposed {
			if remembered(n, cl) {
				t.Errorf("%s remembers the deposed leader's claim %+v", n.ID(), cl)
			}
		}
	}
	t.Logf("healed: every node at %s", digest)
}

// TestEvenSplitCommitsNothing cuts four nodes into two halves: neither has
// a quorum, so no node leads, and claims fail on every node. Healing elects
// one leader, which commits, and every FSM converges.
func TestEvenSplitCommitsNothing(t *testing.T) {
	c := startMemCluster(t, 4)
	hunt, ts := c.hunt(2)
	c.awaitLeader(c.nodes)
	a, b := c.nodes[:2], c.nodes[2:]
	c.partition(a, b)
	c.await("no node to lead", func() bool {
		for _, n := range c.nodes {
			if n.IsLeader() {
				return false
			}
		}
		return true
	})
	applied := make([]uint64, len(c.nodes))
	for i, n := range c.nodes {
		applied[i], _ = n.FSM().Digest()
		if _, err := n.SubmitClaims(context.Background(), []fsm.Claim{claim(hunt, ts[0], uint32(10+i), 1)}); !cannotCommit(err) {
			t.Errorf("%s in a half: SubmitClaims: %v, want ErrNotLeader or ErrNoQuorum", n.ID(), err)
		}
	}
	c.heal()
	won := c.submit(c.nodes, []fsm.Claim{claim(hunt, ts[1], 1, 1)})
	if won[0].Code != protocol.OutcomeWon {
		t.Fatalf("claim after healing: %+v, want won", won[0])
	}
	c.awaitConverged(won[0].Index)
	for i, n := range c.nodes {
		if got := claimedBy(n, hunt, ts[0].ID); got != 0 {
			t.Errorf("%s: treasure claimed by player %d during the split", n.ID(), got)
		}
		if got, _ := n.FSM().Digest(); got <= applied[i] {
			t.Errorf("%s did not apply the claim after healing", n.ID())
		}
	}
}
