package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/veltrix/veltrix/coordinator/fsm"
)

// Errors callers branch on.
var (
	// ErrNotLeader: this node cannot commit writes; forward to LeaderAPI.
	ErrNotLeader = errors.New("not the leader")
	// ErrNoQuorum: no leader is known, so the cluster cannot commit writes.
	ErrNoQuorum = errors.New("no quorum: no leader is elected")
	// ErrClosed: the node is shutting down.
	ErrClosed = errors.New("node is shut down")
)

// logCacheSize is how many recent log entries each node keeps in memory.
const logCacheSize = 1024

// Node is one coordinator node.
type Node struct {
	cfg   Config
	raft  *raft.Raft
	fsm   *fsm.FSM
	lock  *flock.Flock // held on DataDir for the node's life
	walm  *walMetrics
	logs  logStore
	trans raft.Transport
	owned *raft.NetworkTransport // trans when the node opened it (not Config.Transport); closed by Close

	claims chan *claimReq // to the batcher
	stop   chan struct{}  // closed by Close
	wg     sync.WaitGroup
	once   sync.Once
}

// Open starts a node with cfg: opens its stores under cfg.DataDir, joins the
// raft cluster (bootstrapping it if asked and new) and starts the batcher
// and the leader loop.
func Open(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid coordinator config: %w", err)
	}
	c := cfg.withDefaults()
	n := &Node{cfg: c, fsm: fsm.New(), claims: make(chan *claimReq, 4*c.MaxClaimBatch), stop: make(chan struct{})}
	if err := n.openRaft(); err != nil {
		n.closeStores()
		return nil, err
	}
	n.wg.Add(2)
	go n.batchLoop()
	go n.leaderLoop()
	return n, nil
}

func (n *Node) openRaft() error {
	c := &n.cfg
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("cannot create data directory: %w", err)
	}
	n.lock = flock.New(filepath.Join(c.DataDir, "LOCK"))
	if ok, err := n.lock.TryLock(); err != nil {
		n.lock = nil
		return fmt.Errorf("cannot lock data directory: %w", err)
	} else if !ok {
		n.lock = nil
		return fmt.Errorf("%s is locked: is another coordinator using this data directory?", c.DataDir)
	}
	var err error
	n.walm = newWALMetrics()
	if n.logs, c.LogStore, err = openLogStore(c.LogStore, c.DataDir, n.walm, c.Logger.With("node", c.ID)); err != nil {
		return fmt.Errorf("cannot open log store: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStore(filepath.Join(c.DataDir, "snapshots"), 3, c.RaftLog)
	if err != nil {
		return fmt.Errorf("cannot open snapshot store: %w", err)
	}
	if n.trans = c.Transport; n.trans == nil {
		if n.owned, err = listen(c); err != nil {
			return err
		}
		n.trans = n.owned
	}
	c.RaftAddr = string(n.trans.LocalAddr())
	rc := n.raftConfig()
	existing, err := raft.HasExistingState(n.logs, n.logs, snaps)
	if err != nil {
		return err
	}
	// The cache keeps recent entries in memory so that replicating them to
	// followers does not read them back from disk.
	cached, err := raft.NewLogCache(logCacheSize, n.logs)
	if err != nil {
		return err
	}
	if n.raft, err = raft.NewRaft(rc, n.fsm, cached, n.logs, snaps, n.trans); err != nil {
		return fmt.Errorf("cannot start raft: %w", err)
	}
	if c.Bootstrap && !existing {
		return n.raft.BootstrapCluster(n.bootstrapConfig()).Error()
	}
	return nil
}

// listen opens the node's own raft transport on c.RaftAddr.
func listen(c *Config) (*raft.NetworkTransport, error) {
	var advertise net.Addr // nil: the listener's own address (port 0 picks one)
	if _, port, _ := net.SplitHostPort(c.RaftAddr); port != "0" {
		var err error
		if advertise, err = net.ResolveTCPAddr("tcp", c.RaftAddr); err != nil {
			return nil, fmt.Errorf("raft address: %w", err)
		}
	}
	t, err := newTransport(c, advertise)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for raft on %s: %w", c.RaftAddr, err)
	}
	return t, nil
}

func (n *Node) raftConfig() *raft.Config {
	c := &n.cfg
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.ID)
	rc.HeartbeatTimeout = c.HeartbeatTimeout
	rc.ElectionTimeout = c.ElectionTimeout
	rc.LeaderLeaseTimeout = c.LeaderLeaseTimeout
	rc.SnapshotThreshold = c.SnapshotThreshold
	rc.BatchApplyCh = true // raft takes queued entries from applyCh in batches: fewer fsyncs under load
	rc.Logger = hclog.New(&hclog.LoggerOptions{Name: "raft", Output: c.RaftLog, Level: hclog.Warn})
	return rc
}

func (n *Node) bootstrapConfig() raft.Configuration {
	peers := n.cfg.Peers
	if len(peers) == 0 {
		peers = []Peer{{ID: n.cfg.ID, Addr: n.cfg.RaftAddr}}
	}
	var conf raft.Configuration
	for _, p := range peers {
		conf.Servers = append(conf.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
	}
	return conf
}

// Close stops the node: the batcher, the leader loop, raft, and the stores.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		close(n.stop)
		n.wg.Wait()
		if n.raft != nil {
			err = n.raft.Shutdown().Error()
		}
		n.closeStores()
	})
	return err
}

func (n *Node) closeStores() {
	if n.owned != nil {
		n.owned.Close()
	}
	if n.logs != nil {
		n.logs.Close()
	}
	if n.lock != nil {
		n.lock.Unlock()
	}
}

// StoreMetrics returns the log store's own metrics (raft-wal's writes,
// reads, rotations and truncations), or nil on raft-boltdb, which has none.
func (n *Node) StoreMetrics() prometheus.Collector {
	if n.cfg.LogStore != "wal" {
		return nil
	}
	return n.walm
}

// FSM returns the node's replicated state machine, for reads.
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// RaftAddr returns the node's raft address (resolved when configured with port 0).
func (n *Node) RaftAddr() string { return n.cfg.RaftAddr }

// ID returns the node's raft server id.
func (n *Node) ID() string { return n.cfg.ID }

// IsLeader reports whether this node believes it leads.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the leader's id and API address as far as this node knows
// ("" when no leader is known or its address is not yet in the log).
func (n *Node) Leader() (id, api string) {
	_, lid := n.raft.LeaderWithID()
	id = string(lid)
	if id == "" {
		return "", ""
	}
	n.fsm.View(func(s *fsm.State) { api = s.Nodes[id] })
	return id, api
}

// Apply commits one command entry on the leader and returns the FSM's
// response. It fails with ErrNotLeader or ErrNoQuorum when this node cannot
// commit.
func (n *Node) Apply(ctx context.Context, entry []byte) (any, error) {
	if !n.IsLeader() {
		return nil, n.notLeaderErr()
	}
	f := n.raft.Apply(entry, n.applyTimeout(ctx))
	if err := f.Error(); err != nil {
		return nil, n.translate(err)
	}
	return f.Response(), nil
}

func (n *Node) applyTimeout(ctx context.Context) time.Duration {
	t := n.cfg.ApplyTimeout
	if d, ok := ctx.Deadline(); ok {
		t = min(t, time.Until(d))
	}
	return max(t, time.Millisecond)
}

func (n *Node) notLeaderErr() error {
	if id, _ := n.Leader(); id == "" {
		return ErrNoQuorum
	}
	return ErrNotLeader
}

// translate maps raft's errors onto ours.
func (n *Node) translate(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w (%v)", n.notLeaderErr(), err)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: write not committed in time (%v)", ErrNoQuorum, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	}
	return err
}

// ConsistentRead returns once this node, as leader, has applied every entry
// committed before the call. It commits a barrier entry: its commit proves
// leadership at that point and raft applies it only after every earlier
// entry. Reads of the FSM after it are linearizable.
func (n *Node) ConsistentRead(ctx context.Context) error {
	if !n.IsLeader() {
		return n.notLeaderErr()
	}
	if err := n.raft.Barrier(n.applyTimeout(ctx)).Error(); err != nil {
		return n.translate(err)
	}
	return nil
}
