package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// Peer is a voter named when bootstrapping a new cluster.
type Peer struct {
	ID   string
	Addr string // raft address, host:port
}

// ParsePeers parses "id=host:port,id=host:port".
func ParsePeers(s string) ([]Peer, error) {
	var out []Peer
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		id, addr, ok := strings.Cut(p, "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("peer %q is not id=host:port", p)
		}
		out = append(out, Peer{ID: id, Addr: addr})
	}
	return out, nil
}

// Defaults of Config, named once: withDefaults applies them and the
// coordinator's flags (cmd/veltrix-coordinator) read them.
const (
	DefaultHeartbeatTimeout   = 300 * time.Millisecond
	DefaultElectionTimeout    = 300 * time.Millisecond
	DefaultLeaderLeaseTimeout = 250 * time.Millisecond
	DefaultApplyTimeout       = 2 * time.Second
	DefaultScheduleEvery      = 200 * time.Millisecond
	DefaultSnapshotThreshold  = 8192
	DefaultMaxClaimBatch      = 1024
	DefaultMaxInflightEntries = 2
)

// Config configures a Node. The zero value of every optional field means its
// default.
type Config struct {
	ID       string // raft server id; required
	RaftAddr string // raft TCP bind and advertised address; required unless Transport is set
	// RaftTLS puts mutual TLS on the raft transport (transport.go). It is
	// required unless InsecureRaft opts in to plain TCP, on which anyone
	// who reaches RaftAddr can move the leadership or write log entries:
	// for loopback development and tests only.
	RaftTLS      *RaftTLS
	InsecureRaft bool
	APIAddr      string // this node's HTTP API address as others reach it
	DataDir      string // log, stable and snapshot stores; required

	// Transport, when set, is the raft transport the node uses as is
	// instead of listening on RaftAddr: for tests (raft's in-memory
	// transport, whose Disconnect makes partitions without TCP) and for
	// embedding. RaftAddr, RaftTLS and InsecureRaft must then be empty; the
	// node's raft address is the transport's LocalAddr, Peers name
	// addresses of this transport, and the caller, who owns the transport,
	// closes it after Close.
	Transport raft.Transport

	// Bootstrap starts a new cluster whose voters are Peers (or this node
	// alone when Peers is empty). It is ignored when DataDir already holds
	// raft state, so a restarted node never bootstraps twice.
	Bootstrap bool
	Peers     []Peer

	LogStore           string        // "wal" or "bolt"; default: what DataDir holds, wal for a new one
	HeartbeatTimeout   time.Duration // default 300ms
	ElectionTimeout    time.Duration // default 300ms
	LeaderLeaseTimeout time.Duration // default 250ms
	ApplyTimeout       time.Duration // how long a write may wait for commit; default 2s
	SnapshotThreshold  uint64        // entries between snapshots; default 8192
	MaxClaimBatch      int           // claims per log entry; default 1024
	// MaxInflightEntries bounds the claims entries handed to raft but not
	// yet committed; default 2. Fewer, larger entries queue less behind
	// each other's fsyncs: 2 gave a lower claim latency than 1, 3 or 16 at
	// the same offered load with throughput well above the goal
	// (BenchmarkClaimsInflight, bench/RESULTS.md).
	MaxInflightEntries int
	ScheduleEvery      time.Duration // how often the leader checks hunt schedules; default 200ms

	Logger  *slog.Logger // default: discard
	RaftLog io.Writer    // raft's own log output; default: discard
	Now     func() time.Time
}

// Validate says what is wrong with c, in words.
func (c *Config) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("node id is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory is required"))
	}
	errs = append(errs, c.validateTransport())
	if c.MaxInflightEntries < 0 {
		errs = append(errs, fmt.Errorf("max in-flight entries %d is negative", c.MaxInflightEntries))
	}
	if c.LogStore != "" && c.LogStore != "wal" && c.LogStore != "bolt" {
		errs = append(errs, fmt.Errorf("log store %q is not wal or bolt", c.LogStore))
	}
	return errors.Join(errs...)
}

// validateTransport checks the raft transport's fields: a given Transport,
// or an address and peers in host:port form with TLS or the plain-TCP
// opt-in.
func (c *Config) validateTransport() error {
	if c.Transport != nil {
		if c.RaftAddr != "" || c.RaftTLS != nil || c.InsecureRaft {
			return errors.New("a raft transport is given: raft address, TLS and insecure raft must be empty")
		}
		return nil // peer addresses are the transport's own
	}
	var errs []error
	if _, _, err := net.SplitHostPort(c.RaftAddr); err != nil {
		errs = append(errs, fmt.Errorf("raft address %q: %v", c.RaftAddr, err))
	}
	switch {
	case c.RaftTLS == nil && !c.InsecureRaft:
		errs = append(errs, ErrNoRaftTLS)
	case c.RaftTLS != nil && c.InsecureRaft:
		errs = append(errs, errors.New("raft TLS and insecure raft are both set: choose one"))
	case c.RaftTLS != nil:
		errs = append(errs, c.RaftTLS.validate())
	}
	for _, p := range c.Peers {
		if _, _, err := net.SplitHostPort(p.Addr); err != nil {
			errs = append(errs, fmt.Errorf("peer %s address %q: %v", p.ID, p.Addr, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) withDefaults() Config {
	d := *c
	def := func(v *time.Duration, x time.Duration) {
		if *v == 0 {
			*v = x
		}
	}
	def(&d.HeartbeatTimeout, DefaultHeartbeatTimeout)
	def(&d.ElectionTimeout, DefaultElectionTimeout)
	def(&d.LeaderLeaseTimeout, DefaultLeaderLeaseTimeout)
	def(&d.ApplyTimeout, DefaultApplyTimeout)
	def(&d.ScheduleEvery, DefaultScheduleEvery)
	if d.SnapshotThreshold == 0 {
		d.SnapshotThreshold = DefaultSnapshotThreshold
	}
	if d.MaxClaimBatch == 0 {
		d.MaxClaimBatch = DefaultMaxClaimBatch
	}
	if d.MaxInflightEntries == 0 {
		d.MaxInflightEntries = DefaultMaxInflightEntries
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.RaftLog == nil {
		d.RaftLog = io.Discard
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}
