package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/certfile/testpki"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/geo"
)

// The issue-12 attack, over real loopback listeners: a forger that can
// reach a follower's raft port sends raft's own RPCs (a TimeoutNow, and an
// AppendEntries carrying a CreateHunt entry) with raft's own encoding. On
// plain TCP (-insecure-raft, the transport every node had before mutual
// TLS) both succeed: the leadership moves and the follower applies an entry
// no leader wrote, so the voters' digests differ at the same index. Over
// mutual TLS, each forger — plain TCP, TLS without a certificate, a
// certificate from another CA, and a certificate from the cluster's own CA
// that is not a coordinator's — is refused at the handshake and nothing
// changes.

// forgerStream is a raft.StreamLayer that dials as the forger likes.
type forgerStream struct {
	net.Listener
	dial func(addr string, timeout time.Duration) (net.Conn, error)
}

func (f *forgerStream) Dial(a raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return f.dial(string(a), timeout)
}

func plainDial(addr string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, timeout)
}

// tlsDial presents cert (if any, even when the server asks for another
// CA's) and trusts any server, as a forger would.
func tlsDial(cert *tls.Certificate) func(string, time.Duration) (net.Conn, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}
	if cert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return func(addr string, timeout time.Duration) (net.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, cfg)
	}
}

// newForger is a raft NetworkTransport of the forger's own.
func newForger(tb testing.TB, dial func(string, time.Duration) (net.Conn, error)) *raft.NetworkTransport {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tr := raft.NewNetworkTransport(&forgerStream{Listener: ln, dial: dial}, 1, 5*time.Second, io.Discard)
	tb.Cleanup(func() { tr.Close() })
	return tr
}

// header names leader as the sender, as raft's own RPCs do.
func header(leader *Node) raft.RPCHeader {
	return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(leader.ID()), Addr: []byte(leader.RaftAddr())}
}

// forgeTimeoutNow tells target, in the leader's name, to start an election.
func forgeTimeoutNow(tr raft.Transport, leader, target *Node) error {
	req := &raft.TimeoutNowRequest{RPCHeader: header(leader)}
	return tr.TimeoutNow(raft.ServerID(target.ID()), raft.ServerAddress(target.RaftAddr()), req, &raft.TimeoutNowResponse{})
}

// forgeCreateHunt appends, in the leader's name and term, a CreateHunt entry
// after target's last entry and tells target it is committed.
func forgeCreateHunt(tr raft.Transport, leader, target *Node, name string) error {
	last := target.raft.LastIndex()
	lastTerm, err := strconv.ParseUint(target.raft.Stats()["last_log_term"], 10, 64)
	if err != nil {
		return err
	}
	term := target.raft.CurrentTerm()
	req := &raft.AppendEntriesRequest{
		RPCHeader: header(leader),
		Term:      term, PrevLogEntry: last, PrevLogTerm: lastTerm, LeaderCommitIndex: last + 1,
		Entries: []*raft.Log{{Index: last + 1, Term: term, Type: raft.LogCommand, Data: createHuntEntry(name)}},
	}
	var resp raft.AppendEntriesResponse
	if err := tr.AppendEntries(raft.ServerID(target.ID()), raft.ServerAddress(target.RaftAddr()), req, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return errors.New("forged AppendEntries answered without success")
	}
	return nil
}

func createHuntEntry(name string) []byte {
	area := geo.Polygon{Outer: []geo.Point{{Lat: 52.30, Lng: 4.80}, {Lat: 52.30, Lng: 5.00}, {Lat: 52.42, Lng: 5.00}, {Lat: 52.42, Lng: 4.80}}}
	b, err := fsm.Encode(&fsm.CreateHunt{Spec: fsm.HuntSpec{Name: name, Area: area, Resolution: 9, Treasures: 3, ClaimRadius: 1, Respawn: fsm.RespawnNone}, Seed: 1, Time: 1})
	if err != nil {
		panic(err)
	}
	return b
}

func hasHunt(n *Node, name string) (found bool) {
	n.FSM().View(func(s *fsm.State) {
		for _, h := range s.Hunts {
			found = found || h.Spec.Name == name
		}
	})
	return found
}

// waitFor polls cond until it holds: raft offers no event for another
// node's term, log or handshakes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// roles returns the leader and the two followers once the cluster is
// quiet: every node knows the leader and holds, and has applied, the
// leader's last entry (the no-op of its election included), so that no
// entry of the leader's own is on its way while the test forges one.
func (c *testCluster) roles(tb testing.TB) (leader, f1, f2 *Node) {
	leader = c.leader(tb, nil)
	waitFor(tb, "a quiet cluster", func() bool {
		last := leader.raft.LastIndex()
		if leader.raft.CommitIndex() != last {
			return false
		}
		for _, n := range c.nodes {
			if _, id := n.raft.LeaderWithID(); string(id) != leader.ID() || n.raft.LastIndex() != last || n.raft.AppliedIndex() != last {
				return false
			}
		}
		return true
	})
	var fs []*Node
	for _, n := range c.nodes {
		if n != leader {
			fs = append(fs, n)
		}
	}
	return leader, fs[0], fs[1]
}

// digests writes one entry through the leader, waits until every node has
// applied it, and returns each node's state digest at that same index.
func (c *testCluster) digests(tb testing.TB, leader *Node, name string) []string {
	tb.Helper()
	if _, err := leader.Apply(context.Background(), createHuntEntry(name)); err != nil {
		tb.Fatal(err)
	}
	// The FSM's own index: raft's AppliedIndex runs ahead of the FSM while
	// it applies a batch, and behind it on the leader for a moment after a
	// future returns.
	want, _ := leader.FSM().Digest()
	var out []string
	for _, n := range c.nodes {
		waitFor(tb, n.ID()+" to apply the leader's entry", func() bool { applied, _ := n.FSM().Digest(); return applied >= want })
		applied, sum := n.FSM().Digest()
		if applied != want {
			tb.Fatalf("%s applied %d, want %d (the cluster is not quiet)", n.ID(), applied, want)
		}
		out = append(out, fmt.Sprintf("%d/%x", applied, sum[:8]))
	}
	return out
}

func TestForgedRaftRPCsMoveAnInsecureCluster(t *testing.T) {
	c := startClusterWith(t, 3, 300*time.Millisecond, Config{})
	leader, f1, f2 := c.roles(t)
	forger := newForger(t, plainDial)

	if err := forgeCreateHunt(forger, leader, f1, "forged"); err != nil {
		t.Fatalf("forged AppendEntries on plain TCP: %v", err)
	}
	waitFor(t, "the follower to apply the forged entry", func() bool { return hasHunt(f1, "forged") })
	if hasHunt(leader, "forged") {
		t.Fatal("the forged entry reached the leader")
	}
	d := c.digests(t, leader, "legit")
	if d[0] == d[1] && d[1] == d[2] {
		t.Fatalf("digests equal after a forged entry: %v", d)
	}
	t.Logf("plain TCP: forged entry applied by %s; digests at the same index: %v", f1.ID(), d)

	term := f2.raft.CurrentTerm()
	if err := forgeTimeoutNow(forger, leader, f2); err != nil {
		t.Fatalf("forged TimeoutNow on plain TCP: %v", err)
	}
	waitFor(t, "the forged TimeoutNow to start an election", func() bool { return f2.raft.CurrentTerm() > term })
}

// recorder counts the log records whose message contains sub.
type recorder struct {
	sub string
	mu  sync.Mutex
	n   int
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	if strings.Contains(rec.Message, r.sub) {
		r.mu.Lock()
		r.n++
		r.mu.Unlock()
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// raftCert issues a coordinator raft certificate: both usages, the peer name.
func raftCert(tb testing.TB, ca *testpki.CA, name string) *testpki.Leaf {
	return ca.Issue(tb, name, []string{DefaultRaftPeerName}, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
}

// startTLSCluster starts n nodes with certificates from ca; refused
// handshakes are counted per node.
func startTLSCluster(tb testing.TB, n int, timeouts time.Duration, ca *testpki.CA, base Config) (*testCluster, []*recorder) {
	dir := tb.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	testpki.WriteFile(tb, caFile, ca.PEM())
	recs := make([]*recorder, n)
	c := startClusterWith(tb, n, timeouts, base, func(i int, cfg *Config) {
		name := fmt.Sprintf("n%d", i+1)
		cert, key := raftCert(tb, ca, name).WriteFiles(tb, dir, name)
		cfg.RaftTLS = &RaftTLS{CertFile: cert, KeyFile: key, CAFile: caFile}
		recs[i] = &recorder{sub: "refused at the TLS handshake"}
		cfg.Logger = slog.New(recs[i])
	})
	return c, recs
}

func TestForgedRaftRPCsRefusedByTLSCluster(t *testing.T) {
	ca := testpki.NewCA(t, "cluster CA")
	// Long timeouts: no election of its own while the test runs on a busy
	// machine, so an unchanged term means the forgery did nothing.
	c, recs := startTLSCluster(t, 3, 2*time.Second, ca, Config{})
	leader, f1, f2 := c.roles(t)
	term := leader.raft.CurrentTerm()
	before := c.digests(t, leader, "before")
	if before[0] != before[1] || before[1] != before[2] {
		t.Fatalf("digests differ before any forgery: %v", before)
	}

	other := testpki.NewCA(t, "another CA")
	forgers := []struct {
		name string
		dial func(string, time.Duration) (net.Conn, error)
	}{
		{"plain TCP", plainDial},
		{"TLS without a certificate", tlsDial(nil)},
		{"certificate from another CA", tlsDial(&raftCert(t, other, "n9").TLS)},
		{"cluster CA, not a coordinator certificate", tlsDial(&ca.Issue(t, "edge", nil, x509.ExtKeyUsageClientAuth).TLS)},
	}
	refused := 0
	for _, f := range forgers {
		tr := newForger(t, f.dial)
		if err := forgeCreateHunt(tr, leader, f1, "forged"); err == nil {
			t.Errorf("%s: forged AppendEntries accepted", f.name)
		} else {
			t.Logf("%s: AppendEntries: %v", f.name, err)
		}
		if err := forgeTimeoutNow(tr, leader, f2); err == nil {
			t.Errorf("%s: forged TimeoutNow accepted", f.name)
		} else {
			t.Logf("%s: TimeoutNow: %v", f.name, err)
		}
		refused += 2
		waitFor(t, f.name+": both connections refused at the handshake", func() bool {
			return recs[indexOf(c, f1)].count()+recs[indexOf(c, f2)].count() >= refused
		})
	}
	after := c.digests(t, leader, "after")
	if after[0] != after[1] || after[1] != after[2] {
		t.Fatalf("digests differ after the forgeries: %v", after)
	}
	for _, n := range c.nodes {
		if hasHunt(n, "forged") {
			t.Errorf("%s applied the forged entry", n.ID())
		}
		if got := n.raft.CurrentTerm(); got != term {
			t.Errorf("%s is at term %d, was %d", n.ID(), got, term)
		}
	}
	if !leader.IsLeader() {
		t.Error("the leadership moved")
	}
}

func indexOf(c *testCluster, n *Node) int {
	for i, m := range c.nodes {
		if m == n {
			return i
		}
	}
	panic("node not in cluster")
}

// A node without raft certificates refuses to open unless it opts in to
// plain TCP; a node with half of them, or unreadable ones, says which.
func TestOpenRefusesRaftWithoutTLS(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: dir, Bootstrap: true}); !errors.Is(err, ErrNoRaftTLS) {
		t.Fatalf("Open without raft TLS: %v, want ErrNoRaftTLS", err)
	}
	both := Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: dir, InsecureRaft: true, RaftTLS: &RaftTLS{CertFile: "c", KeyFile: "k", CAFile: "ca"}}
	if err := both.Validate(); err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Errorf("TLS and insecure both set: %v", err)
	}
	half := Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: dir, RaftTLS: &RaftTLS{CertFile: "c"}}
	if err := half.Validate(); err == nil || !strings.Contains(err.Error(), "key file") || !strings.Contains(err.Error(), "CA bundle file") {
		t.Errorf("half the TLS files: %v", err)
	}
	missing := Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: dir, RaftTLS: &RaftTLS{CertFile: "/nonexistent/c", KeyFile: "/nonexistent/k", CAFile: "/nonexistent/ca"}}
	if _, err := Open(missing); err == nil || !strings.Contains(err.Error(), "raft TLS") {
		t.Errorf("Open with missing certificate files: %v", err)
	}
}

// A node's raft certificate is replaced on disk while it runs: the next
// raft connection gets the new one, with no restart.
func TestRaftCertificateRotation(t *testing.T) {
	ca := testpki.NewCA(t, "cluster CA")
	c, _ := startTLSCluster(t, 1, 300*time.Millisecond, ca, Config{})
	n := c.leader(t, nil)
	client := raftCert(t, ca, "client")
	serverSerial := func() string {
		conn, err := tls.Dial("tcp", n.RaftAddr(), &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.Pool(),
			ServerName: DefaultRaftPeerName, Certificates: []tls.Certificate{client.TLS}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	old := serverSerial()
	next := raftCert(t, ca, "n1")
	testpki.WriteFile(t, n.cfg.RaftTLS.CertFile, next.CertPEM)
	testpki.WriteFile(t, n.cfg.RaftTLS.KeyFile, next.Key)
	// Files rewritten within the file system's timestamp granularity could
	// keep their times; the sizes may match too. Step the times forward.
	future := time.Now().Add(time.Minute)
	for _, f := range []string{n.cfg.RaftTLS.CertFile, n.cfg.RaftTLS.KeyFile} {
		if err := os.Chtimes(f, future, future); err != nil {
			t.Fatal(err)
		}
	}
	want := next.TLSLeaf(t).SerialNumber.String()
	if got := serverSerial(); got != want || got == old {
		t.Fatalf("after rotation the node presents serial %s, want %s (old %s)", got, want, old)
	}
}
