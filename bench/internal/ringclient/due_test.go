package ringclient

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// Each entry of a wheel fires once per period, in the bucket of its phase
// (so that n entries leave n/buckets at a time, not all at once), and a
// ring that falls more than a period behind fires each bucket once.
func TestWheel(t *testing.T) {
	w := newWheel(100*time.Millisecond, 0)
	if len(w.buckets) != 10 || !w.on() {
		t.Fatalf("%d buckets, want 10", len(w.buckets))
	}
	const n = 1000
	for i := range n {
		w.add(uint32(i), 7, uint64(i))
	}
	fired := make([]int, n)
	most := 0
	fire := func(now int64) {
		for b := w.due(now); b != nil; b = w.due(now) {
			most = max(most, len(*b))
			for _, e := range *b {
				if e>>32 != 7 {
					t.Fatalf("entry %#x lost its generation", e)
				}
				fired[uint32(e)]++
			}
		}
	}
	for now := int64(0); now < int64(time.Second); now += int64(time.Millisecond) {
		fire(now)
	}
	for i, f := range fired {
		if f != 10 {
			t.Fatalf("entry %d fired %d times in 10 periods, want 10", i, f)
		}
	}
	if most != n/10 {
		t.Fatalf("a bucket held %d entries, want %d (spread evenly)", most, n/10)
	}
	clear(fired)
	fire(int64(time.Minute)) // a minute late: each once
	for i, f := range fired {
		if f != 1 {
			t.Fatalf("late: entry %d fired %d times, want 1", i, f)
		}
	}
	if d := w.deadline(int64(2 * time.Minute)); d <= int64(time.Minute) || d > int64(time.Minute+wheelTick) {
		t.Fatalf("next bucket at %v, want within a tick after the last fired", time.Duration(d))
	}
	if off := newWheel(0, 0); off.on() || off.due(int64(time.Hour)) != nil || off.deadline(5) != 5 {
		t.Fatal("a wheel without a period schedules")
	}
}

// With Config.Period, every open connection's Due is called each period
// on its ring, in order, and what it gives reaches the edge (the stub
// echoes it).
func TestDueEachPeriod(t *testing.T) {
	const n = 30
	e, hello := stubEngine(t, n, Config{Buffers: 64, BufferSize: 512, Period: 20 * time.Millisecond})
	recs := make([]*recorder, n)
	var calls [n]atomic.Int64
	for i := range recs {
		recs[i] = newRecorder()
		c := recs[i].conn()
		c.Due = func(b []byte) []byte {
			k := calls[i].Add(1)
			return protocol.AppendPing(b, &protocol.Ping{Time: uint64(k)})
		}
		e.Dial(i, [4]byte{127, 0, 0, 1}, hello, c)
	}
	for i, r := range recs {
		fs := r.waitFrames(t, 1+5) // the PONG after WELCOME, then 5 echoed PINGs
		var p protocol.Ping
		for k, f := range fs[1:6] {
			if _, body, _, err := protocol.Split(f); err != nil || p.Decode(body) != nil || p.Time != uint64(k+1) {
				t.Fatalf("connection %d: echo %d is %v (%v), want PING %d", i, k, p, err, k+1)
			}
		}
	}
}

// The ring's hot path allocates nothing: a due connection's message
// framed into a SEND, and a frame received and handed to the player.
func TestHotPathAllocs(t *testing.T) {
	r := testRing(t, 64)
	pos := protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 1, Lng: 2, Time: 3})
	frames := 0
	r.conns = []conn{{state: stOpen, cb: Conn{
		Due:   func(b []byte) []byte { return append(b, pos...) },
		Frame: func([]byte) { frames++ },
	}}}
	send := func() {
		if !r.fire(0, 0) {
			t.Fatal("an open connection left the wheel")
		}
		c := &r.conns[0]
		c.sending, c.inflight = false, 0 // slot 0 holds no socket: the SEND fails, unseen
		_ = r.ur.Submit(false, 0)
		r.cqes = r.ur.Reap(r.cqes[:0])
	}
	send() // buffers grow once
	if a := testing.AllocsPerRun(1000, send); a != 0 {
		t.Errorf("a send allocates %.1f times", a)
	}
	in := append([]byte{0x82, byte(len(pos))}, pos...) // a server frame: final, unmasked
	if a := testing.AllocsPerRun(1000, func() { r.input(0, in) }); a != 0 || frames != 1001 {
		t.Errorf("a receive allocates %.1f times (%d frames)", a, frames)
	}
}

// The connections due in one iteration go out as one batch: fireDue only
// prepares their SENDs (no io_uring_enter), the ring's next enter submits
// them all.
func TestDueBatch(t *testing.T) {
	r := testRing(t, 256)
	r.wheel = newWheel(time.Second, 0)
	const n = 200
	due := Conn{Due: func(b []byte) []byte { return protocol.AppendPing(b, &protocol.Ping{}) }}
	for i := range n {
		r.conns = append(r.conns, conn{state: stOpen, cb: due})
		r.wheel.add(uint32(i), 0, uint64(i%2)) // two buckets, 10 ms apart
	}
	enters, before := r.ur.Stats.Enters.Load(), r.ur.Pending()
	r.now = int64(wheelTick) // both buckets due
	r.fireDue()
	if got := r.ur.Pending() - before; got != n || r.ur.Stats.Enters.Load() != enters {
		t.Fatalf("%d SENDs prepared, %d enters: want %d in one batch, none entered", got, r.ur.Stats.Enters.Load()-enters, n)
	}
	r.fireDue()
	if got := r.ur.Pending() - before; got != n {
		t.Fatalf("fired again in the same period: %d SENDs", got)
	}
}

// testRing opens a ring of table slots on the test's thread, locked to it
// until the test ends (the ring is this thread's: SINGLE_ISSUER).
func testRing(t *testing.T, table int) *ring {
	runtime.LockOSThread()
	e := &Engine{cfg: Config{Buffers: 16, BufferSize: 512, Period: time.Second}}
	r := &ring{e: e, table: table, cqes: make([]uring.CQE, 0, table)}
	if err := r.open(); err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.teardown()
		runtime.UnlockOSThread()
	})
	return r
}

// With far fewer provided buffers than connections receiving at once,
// receives stop on ENOBUFS and are parked; every parked receive is armed
// again once buffers are back, even when the ENOBUFS completion comes
// after the last buffer was given back (nothing else would publish
// buffers then): every connection still gets all its echoes.
func TestParkedReceivesResume(t *testing.T) {
	const n, rounds = 40, 20
	e, hello := stubEngine(t, n, Config{Buffers: 2, BufferSize: 256})
	recs := make([]*recorder, n)
	for i := range recs {
		recs[i] = newRecorder()
		e.Dial(i, [4]byte{127, 0, 0, 1}, hello, recs[i].conn())
	}
	big := protocol.AppendPing(nil, &protocol.Ping{Time: 42})
	big = append(big, make([]byte, 2000)...) // several buffers per echo
	for _, r := range recs {
		wait(t, r.opened, "open")
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	for range rounds {
		for _, r := range recs {
			if err := e.Send(r.h, big); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range recs {
		r.waitFrames(t, 1+rounds)
	}
}
