package cluster

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/protocol"
)

// TestLogStoreSurvivesTailTruncationAndRestart is what a follower does when
// a new leader overwrites the entries it got from a killed one: it deletes
// the tail of its log (raft's "clearing log suffix"), appends the new
// leader's entries, and later restarts. Every store must reopen with exactly
// the surviving entries. raft-wal v0.4.0 failed this (it sealed the tail
// segment without an index block and refused to open it again: raft-wal
// issue #31).
func TestLogStoreSurvivesTailTruncationAndRestart(t *testing.T) {
	for _, kind := range []string{"bolt", "wal"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			st, _, err := openLogStore(kind, dir, newWALMetrics(), discardLog)
			if err != nil {
				t.Fatal(err)
			}
			entry := func(i, term uint64) *raft.Log {
				return &raft.Log{Index: i, Term: term, Type: raft.LogCommand, Data: fmt.Appendf(nil, "entry %d of term %d", i, term)}
			}
			var logs []*raft.Log
			for i := uint64(1); i <= 10; i++ {
				logs = append(logs, entry(i, 1))
			}
			if err := st.StoreLogs(logs); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteRange(8, 10); err != nil { // the uncommitted tail
				t.Fatal(err)
			}
			if err := st.StoreLogs([]*raft.Log{entry(8, 2), entry(9, 2)}); err != nil {
				t.Fatal(err)
			}
			if err := st.SetUint64([]byte("CurrentTerm"), 2); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}

			st, _, err = openLogStore(kind, dir, newWALMetrics(), discardLog)
			if err != nil {
				t.Fatalf("reopen after a tail truncation: %v", err)
			}
			defer st.Close()
			first, err := st.FirstIndex()
			if err != nil {
				t.Fatal(err)
			}
			last, err := st.LastIndex()
			if err != nil {
				t.Fatal(err)
			}
			if first != 1 || last != 9 {
				t.Fatalf("reopened log holds %d..%d, want 1..9", first, last)
			}
			for i := uint64(1); i <= 9; i++ {
				want := entry(i, 1)
				if i >= 8 {
					want = entry(i, 2)
				}
				var got raft.Log
				if err := st.GetLog(i, &got); err != nil {
					t.Fatalf("entry %d after reopening: %v", i, err)
				}
				if got.Term != want.Term || !bytes.Equal(got.Data, want.Data) {
					t.Fatalf("entry %d after reopening = term %d %q, want term %d %q", i, got.Term, got.Data, want.Term, want.Data)
				}
			}
			if term, err := st.GetUint64([]byte("CurrentTerm")); err != nil || term != 2 {
				t.Fatalf("current term after reopening = %d, %v; want 2", term, err)
			}
		})
	}
}

// sameFSMState waits until every node's state machine has applied what the
// leader's has, and fails if any holds another state at that index. (raft's
// AppliedIndex counts entries handed to the state machine, not yet applied:
// comparing right after it caught up compared states at different indexes.)
func sameFSMState(t *testing.T, c *testCluster, leader *Node) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond) // the state machines offer no "applied" event across nodes
	defer tick.Stop()
	for {
		applied, want := leader.FSM().Digest()
		behind := ""
		for _, n := range c.nodes {
			switch a, sum := n.FSM().Digest(); {
			case a == applied && sum != want:
				t.Fatalf("%s (%s store) at index %d has state %x; the leader has %x", n.ID(), n.Status().LogStore, a, sum[:6], want[:6])
			case a != applied:
				behind = fmt.Sprintf("%s (%s store) at index %d, the leader at %d", n.ID(), n.Status().LogStore, a, applied)
			}
		}
		if behind == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas did not reach the leader's state: %s", behind)
		}
		<-tick.C
	}
}

// Voters with different log stores form one cluster (a cluster moving from
// bolt to wal has both while its voters are replaced one at a time): claims
// commit, and every replica reaches the same state.
func TestMixedLogStores(t *testing.T) {
	c := startClusterWith(t, 3, 300*time.Millisecond, Config{}, func(i int, cfg *Config) {
		cfg.LogStore = []string{"bolt", "wal", "bolt"}[i]
	})
	leader := c.leader(t, nil)
	hunt, ts := huntWithTreasures(t, leader, 10)
	for i, tr := range ts {
		outs, err := leader.SubmitClaims(context.Background(), []fsm.Claim{{Edge: "t", Request: uint64(i), Hunt: hunt, Treasure: tr.ID, Player: 1, Cell: tr.Cell}})
		if err != nil {
			t.Fatal(err)
		}
		if outs[0].Code != protocol.OutcomeWon {
			t.Fatalf("claim of treasure %d: outcome %d, want won", tr.ID, outs[0].Code)
		}
	}
	sameFSMState(t, c, leader)
	stores := map[string]bool{}
	for _, n := range c.nodes {
		stores[n.Status().LogStore] = true
	}
	if !stores["bolt"] || !stores["wal"] {
		t.Fatalf("the cluster ran on stores %v, want both", stores)
	}
}
