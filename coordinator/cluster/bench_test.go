package cluster

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/certfile/testpki"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/geo"
)

// BenchmarkLogStore compares the two durable raft log stores on this
// machine: raft appends batches of entries and fsyncs each batch.
func BenchmarkLogStore(b *testing.B) {
	for _, kind := range []string{"bolt", "wal"} {
		for _, batch := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", kind, batch), func(b *testing.B) {
				st, _, err := openLogStore(kind, b.TempDir(), newWALMetrics(), discardLog)
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				data := make([]byte, 512) // a batch of ~12 claims
				logs := make([]*raft.Log, batch)
				idx := uint64(0)
				b.ReportAllocs()
				b.SetBytes(int64(batch * len(data)))
				for b.Loop() {
					for i := range logs {
						idx++
						logs[i] = &raft.Log{Index: idx, Term: 1, Type: raft.LogCommand, Data: data}
					}
					if err := st.StoreLogs(logs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}

// testCluster is n in-process nodes on loopback TCP with real disk logs.
type testCluster struct {
	nodes []*Node
}

func freePorts(tb testing.TB, n int) []string {
	var ls []net.Listener
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

func startCluster(tb testing.TB, n int, timeouts time.Duration, store string) *testCluster {
	return startClusterWith(tb, n, timeouts, Config{LogStore: store})
}

// startClusterWith starts n nodes configured as base plus their identities,
// then as each of perNode says.
func startClusterWith(tb testing.TB, n int, timeouts time.Duration, base Config, perNode ...func(i int, c *Config)) *testCluster {
	addrs := freePorts(tb, n)
	var peers []Peer
	for i, a := range addrs {
		peers = append(peers, Peer{ID: fmt.Sprintf("n%d", i+1), Addr: a})
	}
	c := &testCluster{}
	for i := range n {
		cfg := base
		cfg.ID, cfg.RaftAddr, cfg.DataDir, cfg.Bootstrap, cfg.Peers = peers[i].ID, addrs[i], tb.TempDir(), true, peers
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = timeouts, timeouts, timeouts*3/4
		for _, f := range perNode {
			f(i, &cfg)
		}
		cfg.InsecureRaft = cfg.RaftTLS == nil // the raft TLS tests and benchmarks set RaftTLS
		node, err := Open(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		c.nodes = append(c.nodes, node)
	}
	tb.Cleanup(func() {
		for _, n := range c.nodes {
			n.Close()
		}
	})
	return c
}

// leader waits for a leader among the nodes that are not closed.
func (c *testCluster) leader(tb testing.TB, skip *Node) *Node {
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond) // raft offers no "leader elected" event across nodes
	defer tick.Stop()
	for time.Now().Before(deadline) {
		for _, n := range c.nodes {
			if n != skip && n.IsLeader() {
				return n
			}
		}
		<-tick.C
	}
	tb.Fatal("no leader")
	return nil
}

// settled waits until every node has applied everything the leader has
// applied, so that a benchmark does not time the followers still placing a
// large hunt's treasures (hundreds of milliseconds of CPU each).
func (c *testCluster) settled(tb testing.TB, leader *Node) {
	want := leader.Status().AppliedIndex
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond) // raft offers no "applied" event to wait on
	defer tick.Stop()
	for _, n := range c.nodes {
		for n.Status().AppliedIndex < want {
			if time.Now().After(deadline) {
				tb.Fatalf("node %s applied %d of %d entries", n.ID(), n.Status().AppliedIndex, want)
			}
			<-tick.C
		}
	}
}

// huntWithTreasures creates and starts a hunt with many treasures on leader.
func huntWithTreasures(tb testing.TB, leader *Node, n int) (uint32, []fsm.Treasure) {
	ctx := context.Background()
	area := geo.Polygon{Outer: []geo.Point{{Lat: 52.30, Lng: 4.80}, {Lat: 52.30, Lng: 5.00}, {Lat: 52.42, Lng: 5.00}, {Lat: 52.42, Lng: 4.80}}}
	entry, _ := fsm.Encode(&fsm.CreateHunt{Spec: fsm.HuntSpec{Name: "bench", Area: area, Resolution: 11, Treasures: n, ClaimRadius: 1, Respawn: fsm.RespawnNone}, Seed: 1, Time: 1})
	res, err := leader.Apply(ctx, entry)
	if err != nil || res.(*fsm.CreateResult).Err != nil {
		tb.Fatal(err, res)
	}
	id := res.(*fsm.CreateResult).Hunt
	start, _ := fsm.EncodeTransition(fsm.KindStartHunt, fsm.HuntTransition{Hunt: id, Time: 2})
	if _, err := leader.Apply(ctx, start); err != nil {
		tb.Fatal(err)
	}
	var ts []fsm.Treasure
	leader.FSM().View(func(s *fsm.State) {
		for _, t := range s.Hunts[id].Treasures {
			ts = append(ts, t)
		}
	})
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	return id, ts
}

// BenchmarkClusterClaims measures committed claims per second on a 3-node
// loopback cluster: 256 concurrent submitters, each claim one request, as
// edges send them; the node batches them into log entries. It reports
// claims/s and the latency percentiles of a claim (submit → outcome).
func BenchmarkClusterClaims(b *testing.B) {
	perStore(b, func(b *testing.B, store string) { benchClusterClaims(b, Config{LogStore: store}) })
}

// perStore runs f once per log store, side by side.
func perStore(b *testing.B, f func(*testing.B, string)) {
	for _, store := range []string{"bolt", "wal"} {
		b.Run(store, func(b *testing.B) { f(b, store) })
	}
}

func benchClusterClaims(b *testing.B, base Config) {
	c := startClusterWith(b, 3, 300*time.Millisecond, base)
	leader := c.leader(b, nil)
	hunt, ts := huntWithTreasures(b, leader, 20000)
	c.settled(b, leader)
	hist := hdrhistogram.New(1, 10_000_000, 3) // µs
	var mu sync.Mutex
	var req atomic.Uint64
	b.SetParallelism(512) // × GOMAXPROCS submitters
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := hdrhistogram.New(1, 10_000_000, 3)
		for pb.Next() {
			r := req.Add(1)
			t := ts[int(r)%len(ts)]
			start := time.Now()
			_, err := leader.SubmitClaims(context.Background(), []fsm.Claim{{Edge: "bench", Request: r, Hunt: hunt, Treasure: t.ID, Player: uint32(r%1000 + 1), Cell: t.Cell}})
			if err != nil {
				b.Error(err)
				return
			}
			local.RecordValue(time.Since(start).Microseconds())
		}
		mu.Lock()
		hist.Merge(local)
		mu.Unlock()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	b.ReportMetric(float64(hist.ValueAtQuantile(50))/1000, "p50-ms")
	b.ReportMetric(float64(hist.ValueAtQuantile(99))/1000, "p99-ms")
}

// BenchmarkClusterClaimsPaced offers 5,000 claims/s (paced, open loop) for
// each b.N round of one second and reports the claim latency percentiles.
func BenchmarkClusterClaimsPaced(b *testing.B) {
	perStore(b, func(b *testing.B, store string) { benchClusterClaimsPaced(b, Config{LogStore: store}) })
}

// BenchmarkClaimsInflight runs BenchmarkClusterClaimsPaced (latency at
// 5,000 claims/s) and BenchmarkClusterClaims (throughput) on the shipped
// store with different bounds on the entries in flight, side by side: the
// figures that chose the MaxInflightEntries default. Select one kind with
// -bench=ClaimsInflight/paced or /closed.
func BenchmarkClaimsInflight(b *testing.B) {
	for _, kind := range claimBenchKinds {
		b.Run(kind.name, func(b *testing.B) {
			for _, k := range []int{1, 2, 3, 16} {
				b.Run(fmt.Sprintf("inflight=%d", k), func(b *testing.B) { kind.f(b, Config{MaxInflightEntries: k}) })
			}
		})
	}
}

// claimBenchKinds are the two claim benchmarks that other benchmarks vary
// one setting of: latency at a paced load, and closed-loop throughput.
var claimBenchKinds = []struct {
	name string
	f    func(*testing.B, Config)
}{{"paced", benchClusterClaimsPaced}, {"closed", benchClusterClaims}}

// BenchmarkRaftTransport runs BenchmarkClusterClaimsPaced (latency at
// 5,000 claims/s) and BenchmarkClusterClaims (throughput) on the shipped
// store over both raft transports: plain TCP (-insecure-raft) and mutual
// TLS 1.3 (every node with a certificate of one CA). The two alternate for
// transportRounds rounds (round=1/tcp, round=1/mtls, round=2/tcp, …; -count
// would run all of one before the other), so both see the same machine.
// Select one kind with -bench=RaftTransport/paced or /closed.
func BenchmarkRaftTransport(b *testing.B) {
	ca := testpki.NewCA(b, "bench raft CA")
	dir := b.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	testpki.WriteFile(b, caFile, ca.PEM())
	cert, key := raftCert(b, ca, "node").WriteFiles(b, dir, "node")
	transports := []struct {
		name string
		base Config
	}{{"tcp", Config{}}, {"mtls", Config{RaftTLS: &RaftTLS{CertFile: cert, KeyFile: key, CAFile: caFile}}}}
	for _, kind := range claimBenchKinds {
		b.Run(kind.name, func(b *testing.B) {
			for round := range transportRounds {
				for _, tr := range transports {
					b.Run(fmt.Sprintf("round=%d/%s", round+1, tr.name), func(b *testing.B) { kind.f(b, tr.base) })
				}
			}
		})
	}
}

// transportRounds is how many times BenchmarkRaftTransport alternates the
// two transports.
const transportRounds = 5

func benchClusterClaimsPaced(b *testing.B, base Config) {
	const rate = 5000
	c := startClusterWith(b, 3, 300*time.Millisecond, base)
	leader := c.leader(b, nil)
	hunt, ts := huntWithTreasures(b, leader, 20000)
	c.settled(b, leader)
	hist := hdrhistogram.New(1, 10_000_000, 3) // from when each claim was due
	svc := hdrhistogram.New(1, 10_000_000, 3)  // from when SubmitClaims was called
	var mu sync.Mutex
	var wg sync.WaitGroup
	var r uint64
	pace := time.NewTimer(0)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for i := range rate {
			due := start.Add(time.Duration(i) * time.Second / rate)
			if d := time.Until(due); d > 0 { // pace the offered load (open loop)
				pace.Reset(d)
				<-pace.C
			}
			r++
			t := ts[int(r)%len(ts)]
			wg.Add(1)
			go func(r uint64) {
				defer wg.Done()
				called := time.Now()
				_, err := leader.SubmitClaims(context.Background(), []fsm.Claim{{Edge: "paced", Request: r, Hunt: hunt, Treasure: t.ID, Player: 1, Cell: t.Cell}})
				lat := time.Since(due).Microseconds() // from when it was due: no coordinated omission
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					b.Error(err)
				}
				hist.RecordValue(lat)
				svc.RecordValue(time.Since(called).Microseconds())
			}(r)
		}
	}
	wg.Wait()
	b.ReportMetric(rate, "offered-claims/s")
	b.ReportMetric(float64(hist.ValueAtQuantile(50))/1000, "p50-ms")
	b.ReportMetric(float64(hist.ValueAtQuantile(99))/1000, "p99-ms")
	b.ReportMetric(float64(hist.ValueAtQuantile(99.9))/1000, "p999-ms")
	b.ReportMetric(float64(svc.ValueAtQuantile(99))/1000, "call-p99-ms")
}

// BenchmarkFailover kills the leader of a 3-node cluster (closes it without
// stepping down gracefully is not possible in-process; Close shuts raft
// down, which followers see as silence) and measures the time until the
// first write commits on the new leader, with the shipped timeouts.
func BenchmarkFailover(b *testing.B) {
	var total time.Duration
	for range b.N {
		b.StopTimer()
		c := startCluster(b, 3, 300*time.Millisecond, "")
		old := c.leader(b, nil)
		hunt, ts := huntWithTreasures(b, old, 10)
		b.StartTimer()
		start := time.Now()
		old.Close()
		for req := uint64(1); ; req++ {
			n := c.leader(b, old)
			_, err := n.SubmitClaims(context.Background(), []fsm.Claim{{Edge: "f", Request: req, Hunt: hunt, Treasure: ts[0].ID, Player: 1, Cell: ts[0].Cell}})
			if err == nil {
				break
			}
		}
		total += time.Since(start)
		b.StopTimer()
		for _, n := range c.nodes {
			n.Close()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "failover-ms")
}
