package ringnet

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/internal/testkit"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv("RINGNET_HOLD_ADDR"); addr != "" {
		holdClients(addr) // a child process of BenchmarkIdleConnMemory
		return
	}
	if os.Getenv(childEnv) != "" {
		os.Exit(lowLimitServer()) // a child process of TestBeyondTheSoftLimit
	}
	os.Exit(m.Run())
}

// benchClient is a raw WebSocket client whose reads and writes allocate
// nothing: the allocations counted are the server's.
type benchClient struct {
	nc   net.Conn
	out  []byte
	in   []byte
	hbuf [ws.MaxHeaderSize]byte
	w    clientWriter
}

func dialWelcomed(tb testing.TB, url string, priv ed25519.PrivateKey, player uint32) *benchClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, _, _, err := ws.Dial(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	c := &benchClient{nc: nc, in: make([]byte, 1<<16)}
	tok, _ := token.Mint(priv, player, 7, "", time.Now(), time.Hour)
	c.send(tb, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Kind: protocol.KindBot, Hunt: 7, Token: protocol.Text(tok)}))
	if typ := c.read(tb); typ != protocol.TypeWelcome {
		tb.Fatalf("got %v, want WELCOME", typ)
	}
	return c
}

func (c *benchClient) send(tb testing.TB, msg []byte) { c.sendFrames(tb, msg, false) }

// sendFrames writes msg as a binary frame, followed, with ping, by a
// WebSocket ping in the same write.
func (c *benchClient) sendFrames(tb testing.TB, msg []byte, ping bool) {
	c.w.b = c.out[:0]
	c.out = appendClientFrame(&c.w, ws.OpBinary, msg)
	if ping {
		c.out = appendClientFrame(&c.w, ws.OpPing, nil)
	}
	if _, err := c.nc.Write(c.out); err != nil {
		tb.Fatal(err)
	}
}

// clientWriter appends a client's frames to b (through hdr: no allocation).
type clientWriter struct {
	b   []byte
	hdr [ws.MaxHeaderSize]byte
}

func (w *clientWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func appendClientFrame(w *clientWriter, op ws.OpCode, msg []byte) []byte {
	h := ws.Header{Fin: true, OpCode: op, Masked: true, Mask: [4]byte{9, 8, 7, 6}, Length: int64(len(msg))}
	_ = ws.WriteHeaderBuffer(w, h, w.hdr[:])
	start := len(w.b)
	w.b = append(w.b, msg...)
	ws.Cipher(w.b[start:], h.Mask, 0)
	return w.b
}

// typePong marks a WebSocket pong frame in read's result.
const typePong = protocol.Type(255)

// read reads one server frame and returns the type of its last message.
func (c *benchClient) read(tb testing.TB) protocol.Type {
	h, err := ws.ReadHeaderBuffer(c.nc, c.hbuf[:])
	if err != nil {
		tb.Fatal(err)
	}
	p := c.in[:h.Length]
	if _, err := io.ReadFull(c.nc, p); err != nil {
		tb.Fatal(err)
	}
	if h.OpCode == ws.OpPong {
		return typePong
	}
	var last protocol.Type
	for len(p) > 0 {
		t, _, rest, err := protocol.Split(p)
		if err != nil {
			tb.Fatal(err)
		}
		if os.Getenv("RINGNET_BENCH_DEBUG") != "" {
			println("got", t.String())
		}
		last, p = t, rest
	}
	return last
}

func benchCore(tb testing.TB) (*core.Core, *Server, ed25519.PrivateKey) {
	pub, priv, _ := token.GenerateKey()
	c, srv := start(tb, wstest.Options{}, core.Config{PublicKey: pub, Hunts: wstest.OneHunt{}, PositionRate: 1e9, PositionBurst: 1e9, MessageRate: 1e9, MessageBurst: 1e9, MaxSpeed: 1e6, SnapshotEvery: 1 << 30,
		PositionBudget: 1 << 30}) // ticks as fast as the loop goes: the default 8 KiB/s would cut the CELL_UPDATEs read
	return c, srv, priv
}

// hotPath sets up a ring server, a core and two welcomed neighbours, warms
// the path up (buffers, send contexts, arenas) and returns one round:
// a POSITION from player A (recv → unmask → core.Deliver), a tick, and the
// CELL_UPDATE delivered to A and to its neighbour B (core.Pull → one
// SENDMSG over the shared frame → Release).
func hotPath(tb testing.TB) func() {
	c, srv, priv := benchCore(tb)
	url := "ws://" + srv.Addr().String() + "/ws"
	a, nb := dialWelcomed(tb, url, priv, 1), dialWelcomed(tb, url, priv, 2)
	lat, lng := geo.Point{Lat: 52.3730796, Lng: 4.8924534}.E7()
	var pos []byte
	i := 0
	step := func() {
		i++
		pos = protocol.AppendPosition(pos[:0], &protocol.Position{Seq: uint32(i), Lat: lat + int32(i%2), Lng: lng, Time: uint64(i)})
		a.sendFrames(tb, pos, true) // the pong says the POSITION was delivered
		for a.read(tb) != typePong {
		}
		c.Tick()
		for _, cl := range []*benchClient{a, nb} {
			for cl.read(tb) != protocol.TypeCellUpdate {
			}
		}
	}
	nb.sendFrames(tb, protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: lat + 5, Lng: lng, Time: 1}), true)
	for nb.read(tb) != typePong {
	}
	for range 500 {
		step()
	}
	return step
}

// BenchmarkRingHotPath: one op is one hotPath round. The ring's path
// allocates nothing (TestRingHotPathAllocs).
func BenchmarkRingHotPath(b *testing.B) {
	step := hotPath(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
}

const holdN = 2000

// BenchmarkIdleConnMemory opens holdN welcomed connections from a child
// process (so the clients' memory is not counted) and reports the edge
// process's Go heap per idle connection (ring slot, core session, session
// map) — the shared provided buffers and rings are fixed, reported apart.
func BenchmarkIdleConnMemory(b *testing.B) {
	for range b.N {
		heap, srv := idleConnHeap(b)
		b.ReportMetric(heap, "heap-B/conn")
		b.ReportMetric(float64(unsafe.Sizeof(conn{})), "slot-B/conn")
		b.ReportMetric(float64(srv.cfg.Buffers)*float64(srv.cfg.BufferSize)*float64(len(srv.rings))/holdN, "shared-buf-B/conn")
	}
}

// TestIdleConnHeapUnderGoal (issue 16: edge heap ≤ 1 KiB per idle
// connection): holdN welcomed, idle connections cost the edge process at
// most idleConnGoal bytes of live heap each (the ring's slot, the core's
// session and whatever else a connection keeps), measured after a GC as
// BenchmarkIdleConnMemory does. Before (a 32-frame queue in every core
// slot, a map entry per session in the transport) it was 1,193 B.
func TestIdleConnHeapUnderGoal(t *testing.T) {
	if heap, _ := idleConnHeap(t); heap > idleConnGoal {
		t.Errorf("%.0f B of heap per idle connection, want at most %d", heap, idleConnGoal)
	}
}

// idleConnGoal is the most heap an idle connection may cost, leaving room
// under the 1 KiB goal for the garbage between two GCs.
const idleConnGoal = 768

// idleConnHeap opens holdN welcomed connections from a child process (so
// the clients' memory is not counted) and returns the edge side's live
// heap per connection, after a GC, and the server.
func idleConnHeap(tb testing.TB) (float64, *Server) {
	_, srv, priv := benchCore(tb)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	child := testkit.Child(tb, "RINGNET_HOLD_ADDR="+srv.Addr().String(), "RINGNET_HOLD_KEY="+hex.EncodeToString(priv))
	defer child.Close()
	line, err := child.Out.ReadString('\n')
	if err != nil || line != "ready\n" {
		tb.Fatalf("client process: %q %v", line, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if srv.Conns() != holdN {
		tb.Fatalf("%d connections open, want %d", srv.Conns(), holdN)
	}
	return float64(after.HeapAlloc-before.HeapAlloc) / holdN, srv
}

// holdClients (child process) opens holdN welcomed connections, says
// "ready", and holds them until stdin closes.
func holdClients(addr string) {
	key, _ := hex.DecodeString(os.Getenv("RINGNET_HOLD_KEY"))
	var conns []net.Conn
	for i := range holdN {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		nc, _, _, err := ws.Dial(ctx, "ws://"+addr+"/ws")
		cancel()
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		conns = append(conns, nc)
		tok, _ := token.Mint(ed25519.PrivateKey(key), uint32(i+1), 7, "", time.Now(), time.Hour)
		c := &benchClient{nc: nc, in: make([]byte, 4096)}
		c.send(panicTB{}, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Kind: protocol.KindBot, Hunt: 7, Token: protocol.Text(tok)}))
		c.read(panicTB{})
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = strconv.Itoa(len(conns))
}

type panicTB struct{ testing.TB }

func (panicTB) Helper()               {}
func (panicTB) Fatal(args ...any)     { panic(fmt.Sprint(args...)) }
func (panicTB) Fatalf(string, ...any) { panic("fatal") }

// BenchmarkGCPauseIdleConns: the stop-the-world pauses of forced GCs in an
// edge process whose rings hold holdN idle connections (their locked
// threads asleep in io_uring_enter), from runtime/metrics
// /sched/pauses/total/gc:seconds at its own resolution: the p99 and max
// bucket upper bounds over 200 GCs. What a busy machine adds (the OS not
// running a thread that must stop) is not in it.
func BenchmarkGCPauseIdleConns(b *testing.B) {
	for range b.N {
		_, srv := idleConnHeap(b)
		before := gcPauses()
		for range 200 {
			runtime.GC()
		}
		p99, top := pauseQuantiles(before, gcPauses(), 0.99)
		b.ReportMetric(p99*1e6, "pause-p99-µs")
		b.ReportMetric(top*1e6, "pause-max-µs")
		runtime.KeepAlive(srv)
	}
}

func gcPauses() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// pauseQuantiles is the q quantile and the max of the pauses counted in
// after and not in before, as bucket upper bounds.
func pauseQuantiles(before, after *metrics.Float64Histogram, q float64) (float64, float64) {
	var total uint64
	for i := range after.Counts {
		total += after.Counts[i] - before.Counts[i]
	}
	var seen uint64
	quant, top := 0.0, 0.0
	for i := range after.Counts {
		n := after.Counts[i] - before.Counts[i]
		if n == 0 {
			continue
		}
		seen += n
		if quant == 0 && float64(seen) >= q*float64(total) {
			quant = after.Buckets[i+1]
		}
		top = after.Buckets[i+1]
	}
	return quant, top
}
