package ringnet

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// TestUnparkSkipsStaleEntries: a connection parked on ENOBUFS is re-armed
// when buffers return only if it is still the same connection (same
// generation), still reading — or a WebSocket connection ending, whose input
// is drained — and its receive is not armed already: a second multishot
// recv on one socket would split its bytes.
func TestUnparkSkipsStaleEntries(t *testing.T) {
	runtime.LockOSThread() // the ring is SINGLE_ISSUER: this thread owns it
	defer runtime.UnlockOSThread()
	if _, err := uring.Probe(); err != nil {
		t.Fatalf("io_uring is required (the edge's ring transport): %v", err)
	}
	ur, err := uring.New(uring.Config{Entries: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer ur.Close()
	br, err := uring.NewBufRing(ur, 0, 8, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	r := &ring{ur: ur, bufs: br}
	r.conns = []conn{
		{fd: 100, gen: 3, state: stWS},                      // live, parked under gen 3: re-armed
		{fd: 101, gen: 5, state: stWS},                      // parked under gen 4: its slot was reused
		{fd: 102, gen: 1, state: stWS, flags: fRecv},        // armed again meanwhile
		{fd: 103, gen: 1, state: stFree},                    // ended
		{fd: 104, gen: 1, state: stWS, flags: fDying},       // closing
		{fd: 105, gen: 1, state: stHTTP, flags: fInputDone}, // input over (an HTTP hand-off)
		{fd: 106, gen: 1, state: stWS, flags: fInputDone},   // ending: drained until the close
	}
	r.parked = []parkedConn{{0, 3}, {1, 4}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {0, 3}, {6, 1}} // slot 0 twice
	r.unpark()
	if n := ur.Pending(); n != 2 {
		t.Errorf("%d receives armed, want 2 (slot 0, once, and slot 6)", n)
	}
	if r.conns[6].flags&fRecv == 0 {
		t.Error("an ending WebSocket connection was not re-armed to drain its input")
	}
	if r.conns[0].flags&fRecv == 0 || r.conns[0].inflight != 1 {
		t.Errorf("slot 0: flags %b inflight %d, want its recv armed", r.conns[0].flags, r.conns[0].inflight)
	}
	if r.conns[1].flags&fRecv != 0 || r.conns[2].inflight != 0 {
		t.Error("a stale or armed entry was armed")
	}
	if len(r.parked) != 0 {
		t.Errorf("%d entries still parked", len(r.parked))
	}
}

// TestFailedRingReleasesSessions: when a ring's loop fails (here its
// io_uring fd is replaced under it, so io_uring_enter fails), its sessions
// end in the core, its pins and leases are given back, and Shutdown returns
// instead of waiting for sessions that can no longer end.
func TestFailedRingReleasesSessions(t *testing.T) {
	c, srv, url, priv := keyed(t, Config{}, core.Config{})
	cl := dialWelcomed(t, url, priv, 1)
	if srv.Conns() != 1 {
		t.Fatalf("%d connections, want 1", srv.Conns())
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	// Every io_uring of the process is this server's (others are closed):
	// the fds are found in /proc rather than read from the rings, which
	// own them.
	fds, _ := os.ReadDir("/proc/self/fd")
	n := 0
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || l != "anon_inode:[io_uring]" {
			continue
		}
		if err := syscall.Dup3(int(devNull.Fd()), fd, syscall.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(srv.rings) {
		t.Fatalf("%d io_uring fds replaced, want %d", n, len(srv.rings))
	}
	// The client's next frame completes a recv, the ring wakes, and its
	// next io_uring_enter (on /dev/null now) fails.
	cl.send(t, protocol.AppendPing(nil, &protocol.Ping{Time: 1}))
	_ = cl.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := wsutil.ReadServerData(cl.nc); err != nil {
			if os.IsTimeout(err) {
				t.Fatal("the failed ring did not close its connection")
			}
			break
		}
	}

	done := make(chan struct{})
	go func() { srv.Shutdown(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		// Not t.Fatal: the cleanup's Shutdown would hang as well.
		panic("Shutdown hangs on the failed ring's sessions")
	}
	if n := srv.Conns(); n != 0 {
		t.Errorf("%d connections left, want 0", n)
	}
	if n := c.Snapshot().Closes[protocol.CodeInternal]; n != 1 {
		t.Errorf("Closes[internal] = %d, want 1 (the abandoned session)", n)
	}
}

// nopNotifier is a core.Notifier that only counts readiness.
type nopNotifier struct{}

func (nopNotifier) Ready(core.SessionID, uint64)                 {}
func (nopNotifier) Hangup(core.SessionID, uint64, protocol.Code) {}

// TestPullFitsOneSend: the core's queue holds maxPullFrames frames, so one
// Pull returns at most that many, and one send context holds them all even
// when each goes in a message of its own, with the raw bytes, the control
// messages and the close frame: addMessages never runs out of iovecs.
func TestPullFitsOneSend(t *testing.T) {
	pub, priv, _ := token.GenerateKey()
	c, err := core.New(core.Config{PublicKey: pub, Hunts: wstest.OneHunt{}, Radius: 3, SnapshotEvery: 1, SlowTicks: 1 << 20,
		PositionBudget: 1 << 30}) // 37 cells watched; no budget: the queue fills
	if err != nil {
		t.Fatal(err)
	}
	owner := c.Register(nopNotifier{})
	dam := geo.Point{Lat: 52.3730796, Lng: 4.8924534}
	var me core.SessionID
	for p := uint32(1); p <= 15*15; p++ { // players in every cell around the last one
		id := c.Open(owner, 0)
		tok, _ := token.Mint(priv, p, 7, "", time.Now(), time.Hour)
		lat, lng := geo.Point{Lat: dam.Lat + float64(p%15)*1e-3, Lng: dam.Lng + float64(p/15)*1.5e-3}.E7()
		if p == 15*15 {
			lat, lng = geo.Point{Lat: dam.Lat + 7e-3, Lng: dam.Lng + 10.5e-3}.E7()
		}
		frame := protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text(tok)})
		frame = protocol.AppendPosition(frame, &protocol.Position{Seq: 1, Lat: lat, Lng: lng, Time: uint64(time.Now().UnixMicro())})
		if err := c.Deliver(id, frame); err != nil {
			t.Fatal(err)
		}
		me = id
	}
	_, frames, lease := c.Pull(me, nil)
	c.Release(lease)
	for range 3 * maxPullFrames { // a snapshot every tick, never pulled
		c.Tick()
	}
	_, frames, lease = c.Pull(me, frames[:0])
	c.Release(lease)
	if len(frames) == 0 || len(frames) > maxPullFrames {
		t.Fatalf("a crowded area pulled %d frames, want 1 to maxPullFrames = %d (the core's queue length: update both)", len(frames), maxPullFrames)
	}

	// The worst case for the send context: each frame alone in a message.
	mem, err := uring.Arena(sendCtxSize)
	if err != nil {
		t.Fatal(err)
	}
	defer uring.FreeArena(mem)
	big := make([]byte, protocol.MaxWebSocketFrame/2+1)
	frames = frames[:0]
	for range maxPullFrames {
		frames = append(frames, big)
	}
	var r ring
	var rec sendRec
	defer rec.pin.Unpin()
	m := uring.NewMsg(mem[:slabOff])
	r.sw.b = mem[slabOff:slabOff]
	m.Add([]byte("raw bytes"))
	if !r.addMessages(&m, &rec, big, frames) {
		t.Fatal("the worst-case Pull does not fit one send")
	}
	if m.Room() < 1 {
		t.Fatal("no iovec left for the close frame")
	}
	if r.addMessages(&m, &rec, nil, append(frames, frames...)) {
		t.Error("twice the frames fit too: addMessages cannot report running out")
	}
}
