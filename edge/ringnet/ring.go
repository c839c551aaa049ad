package ringnet

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// Operations, the op byte of user_data (op:8 | gen:24 | slot:32).
const (
	opAccept uint8 = iota + 1
	opRecv
	opSend
	opCancel
	opClose
	opInstall  // FIXED_FD_INSTALL for the hand-off to net/http
	opOutQueue // SIOCOUTQ
)

// Inbox messages from other goroutines.
const (
	msgReady  uint8 = iota + 1
	msgClose        // Notifier.Hangup: the core counted the close
	msgEndAll       // Server.CloseAll: every session of the ring, counted by the ring
	msgStop
)

type msg struct {
	kind uint8
	code protocol.Code
	gen  uint32
	slot uint32
}

// ring is one io_uring, its listener and its connections, all owned by one
// goroutine (run). Others reach it only through post.
type ring struct {
	srv   *Server
	idx   int
	lfd   int // listener
	ur    *uring.Ring
	bufs  *uring.BufRing
	stats *uring.Stats

	inMu  sync.Mutex // guards inbox and dead; held only to append or swap
	inbox []msg
	dead  bool  // the ring ended: post drops messages
	work  []msg // the owner's copy of the inbox being processed

	// wakeMu guards wake: posters hold it shared while they call Wake (a
	// system call, outside inMu so that the woken ring does not block on
	// inMu), teardown exclusively to clear wake before closing the ring.
	wakeMu sync.RWMutex
	wake   *uring.Ring // nil until set up and after teardown

	conns   []conn       // the slot table: pointer-free
	free    []uint32     // free slots
	held    [][]byte     // partial-frame, fragment and output buffers, by handle (0: none)
	spare   [][]byte     // storage of freed handles, for reuse
	freeH   []uint32     // free handles
	parked  []parkedConn // connections whose recv stopped on ENOBUFS
	sends   sendPool
	cqes    []uring.CQE
	hr      wsframe.HeaderReader
	sw      slabWriter
	frames  [][]byte // Pull scratch
	cur     uint32   // the slot being fed (handler methods)
	now     int64    // monotonic ns, once per loop
	nextScn int64
	stopped bool
	accept  bool // the multishot accept is armed
	start   time.Time

	admitted   int  // connections in the table not refused
	acceptWait bool // the accept ended on a full table: re-armed when a slot frees

	noBufs, handoffs, handoffFailed, refused, tableFull, cancels atomic.Uint64
}

// parkedConn is a connection parked on ENOBUFS, by generational id: the
// slot may have been freed and reused by the time buffers return.
type parkedConn struct{ slot, gen uint32 }

func newRing(s *Server, idx, lfd int) *ring {
	return &ring{srv: s, idx: idx, lfd: lfd, conns: make([]conn, 0, 64), held: make([][]byte, 1),
		inbox: make([]msg, 0, 256), work: make([]msg, 0, 256),
		cqes: make([]uring.CQE, 0, 512), frames: make([][]byte, 0, 64), start: time.Now()}
}

// post queues m for the ring and wakes it if it sleeps. Never blocks.
func (r *ring) post(m msg) {
	r.inMu.Lock()
	if r.dead {
		r.inMu.Unlock()
		return
	}
	r.inbox = append(r.inbox, m)
	r.inMu.Unlock()
	r.wakeMu.RLock()
	if r.wake != nil {
		r.wake.Wake()
	}
	r.wakeMu.RUnlock()
}

// run is the ring's goroutine: pin, set up, then loop. Each iteration
// drains the inbox, prepares SQEs, submits and waits in one
// io_uring_enter, processes the completions, publishes recycled buffers.
func (r *ring) run(ready chan<- error) {
	defer r.srv.rwg.Done()
	if err := r.setup(); err != nil {
		uring.CloseFd(r.lfd)
		ready <- err
		return
	}
	ready <- nil
	defer r.teardown()
	select {
	case <-r.srv.started:
	case <-r.srv.stopCh:
		return
	}
	r.armAccept()
	for !r.stopped || r.live() > 0 {
		r.now = int64(time.Since(r.start))
		r.drainInbox()
		if r.now >= r.nextScn {
			r.scan()
		}
		wait := r.nextScn - r.now
		r.ur.Sleep()
		if r.inboxLen() > 0 {
			wait = 0
		}
		if err := r.ur.Submit(wait > 0, time.Duration(wait)); err != nil {
			r.srv.cfg.Logger.Error("ring stopped", "ring", r.idx, "err", err)
			return
		}
		r.reap()
	}
}

func (r *ring) setup() error {
	if _, err := uring.PinThread(r.idx); err != nil {
		r.srv.cfg.Logger.Warn("ring not pinned", "ring", r.idx, "err", err)
	}
	ur, err := uring.New(uring.Config{Entries: r.srv.cfg.Entries, EventfdWake: r.srv.cfg.EventfdWake})
	if err != nil {
		return err
	}
	br, err := uring.NewBufRing(ur, 0, r.srv.cfg.Buffers, r.srv.cfg.BufferSize)
	if err != nil {
		ur.Close()
		return err
	}
	r.bufs, r.stats = br, &ur.Stats
	r.ur = ur
	if err := ur.RegisterFiles(uint32(r.srv.table)); err != nil {
		r.teardown()
		return err
	}
	if !ur.ArmWake() { // before others may Wake the ring: it sets up the eventfd
		r.teardown()
		return errors.New("ringnet: cannot arm the wake-up eventfd")
	}
	r.wakeMu.Lock()
	r.wake = ur
	r.wakeMu.Unlock()
	return nil
}

func (r *ring) teardown() {
	r.wakeMu.Lock()
	r.wake = nil
	r.wakeMu.Unlock()
	r.inMu.Lock()
	r.dead, r.inbox = true, nil
	r.inMu.Unlock()
	if r.lfd >= 0 {
		uring.CloseFd(r.lfd)
		r.lfd = -1
	}
	// Closing the ring cancels what is still in flight; only then may the
	// memory those requests point at go: send records unpinned, leases
	// released, sessions ended (Shutdown waits for them), arenas unmapped.
	if r.ur != nil {
		r.ur.Close()
	}
	for i := range r.conns {
		r.abandon(uint32(i))
	}
	r.sends.close()
	if r.bufs != nil {
		r.bufs.Close()
	}
}

func (r *ring) inboxLen() int {
	r.inMu.Lock()
	defer r.inMu.Unlock()
	return len(r.inbox)
}

// sqe returns a free SQE, submitting what is prepared when the SQ is full.
func (r *ring) sqe() *uring.SQE {
	for {
		if e := r.ur.SQE(); e != nil {
			return e
		}
		if err := r.ur.Submit(false, 0); err != nil {
			r.srv.cfg.Logger.Error("cannot submit", "ring", r.idx, "err", err)
		}
	}
}

func (r *ring) armAccept() {
	if r.stopped || r.accept || r.lfd < 0 {
		return
	}
	r.sqe().PrepAcceptMultishotDirect(r.lfd, uring.UserData(opAccept, 0, 0))
	r.accept = true
}

func (r *ring) drainInbox() {
	r.inMu.Lock()
	r.work, r.inbox = r.inbox, r.work[:0]
	r.inMu.Unlock()
	for _, m := range r.work {
		switch m.kind {
		case msgStop:
			r.stop()
			continue
		case msgEndAll:
			r.endAll(m.code)
			continue
		}
		if int(m.slot) >= len(r.conns) {
			continue
		}
		c := &r.conns[m.slot]
		if c.state != stWS || c.gen != m.gen {
			continue // the session ended; the id is stale
		}
		switch m.kind {
		case msgReady:
			c.flags |= fWantPull
			r.flush(m.slot)
		case msgClose:
			r.end(m.slot, m.code)
		}
	}
}

// endAll closes every WebSocket session of the ring with code (flushed
// first, counted once each: closeWith skips those already closing).
func (r *ring) endAll(code protocol.Code) {
	for i := range r.conns {
		if c := &r.conns[i]; c.state == stWS && c.sess != 0 {
			r.closeWith(uint32(i), code)
		}
	}
}

// stop: no more accepts; connections still open are killed.
func (r *ring) stop() {
	r.stopped = true
	if r.lfd >= 0 {
		if r.accept {
			r.sqe().PrepCancelFD(r.lfd, uring.UserData(opCancel, 0, ^uint32(0)))
		}
		uring.CloseFd(r.lfd)
		r.lfd = -1
	}
	for i := range r.conns {
		if r.countClose(uint32(i), protocol.CodeShuttingDown) {
			r.kill(uint32(i))
		}
	}
}

func (r *ring) live() int { return len(r.conns) - len(r.free) }

// reap processes every waiting completion, then gives the consumed
// buffers back with one store and re-arms parked receives.
func (r *ring) reap() {
	for r.ur.Ready() > 0 {
		r.cqes = r.ur.Reap(r.cqes[:0])
		for i := range r.cqes {
			r.complete(&r.cqes[i])
		}
	}
	if r.bufs.Publish() {
		r.unpark()
	}
}

// unpark re-arms the receives that stopped on ENOBUFS, skipping parked
// entries whose connection ended (its slot may be reused: a new
// generation) or whose receive is armed again already.
func (r *ring) unpark() {
	for _, p := range r.parked {
		if c := &r.conns[p.slot]; c.gen == p.gen && c.flags&fRecv == 0 && r.draining(c) {
			r.armRecv(p.slot)
		}
	}
	r.parked = r.parked[:0]
}

func (r *ring) complete(e *uring.CQE) {
	if e.UserData == uring.WakeData {
		if !r.ur.ArmWake() {
			r.srv.cfg.Logger.Error("cannot re-arm the wake-up", "ring", r.idx)
		}
		return
	}
	op, gen, slot := uring.SplitUserData(e.UserData)
	if op == opAccept {
		r.accepted(e)
		return
	}
	if int(slot) >= len(r.conns) || r.conns[slot].gen&0xffffff != gen {
		if bid, ok := e.Buffer(); ok {
			r.bufs.Recycle(bid)
		}
		return // the listener's cancel, or a stale completion
	}
	c := &r.conns[slot]
	switch op {
	case opRecv:
		r.received(slot, e)
	case opSend:
		c.inflight--
		r.sent(slot, e.Res)
	case opCancel:
		c.inflight--
	case opClose:
		c.inflight--
		r.release(slot)
		return
	case opInstall:
		c.inflight--
		r.installed(slot, e.Res)
		return
	case opOutQueue:
		c.inflight--
		r.outQueue(slot, e.Res)
	}
	r.maybeClose(slot)
}

// accepted takes a connection the multishot accept put in a free slot of
// the ring's direct-descriptor table. Over MaxConns (or this ring's share)
// it still reads the request: an upgrade is answered 503 and closed, plain
// HTTP handed to net/http as always; the table keeps headroom for them. A full table (-ENFILE: the headroom is used up) ends
// the accept, the kernel closes that connection, and the accept is re-armed
// as soon as a slot is freed (release), or at the next scan.
func (r *ring) accepted(e *uring.CQE) {
	if !e.More() {
		r.accept = false
		switch {
		case e.Res == uring.ENFILE:
			r.tableFull.Add(1)
			r.acceptWait = true
		case e.Res < 0 && !r.stopped:
			r.srv.cfg.Logger.Warn("accept failed; retrying at the next scan", "ring", r.idx, "errno", -e.Res)
			r.nextScn = r.now + int64(100*time.Millisecond)
		default:
			r.armAccept()
		}
	}
	if e.Res < 0 {
		return
	}
	ci := r.alloc(int(e.Res))
	r.srv.slots.Add(1)
	c := &r.conns[ci]
	c.deadline = r.now + int64(r.srv.cfg.HelloTimeout)
	if r.stopped || r.admitted >= r.srv.perRing || !r.srv.admit() {
		c.flags |= fRefused // counted when its upgrade is answered 503
	} else {
		r.admitted++
	}
	r.armRecv(ci)
}

// armRecv arms connection ci's multishot receive, unless it is armed: two
// on one socket would split its bytes between them.
func (r *ring) armRecv(ci uint32) {
	c := &r.conns[ci]
	if c.flags&fRecv != 0 {
		return
	}
	e := r.sqe()
	if c.state == stHTTP {
		// One receive at a time until the first request's head shows
		// what it is: a hand-off to net/http then finds no receive to
		// cancel, and installs the fd at once, a ring iteration sooner.
		e.PrepRecvOnce(int(c.fd), r.bufs.Group(), uring.UserData(opRecv, c.gen, ci))
	} else {
		e.PrepRecvMultishot(int(c.fd), r.bufs.Group(), uring.UserData(opRecv, c.gen, ci))
	}
	e.Fixed()
	c.flags |= fRecv
	c.inflight++
}

func (r *ring) received(ci uint32, e *uring.CQE) {
	c := &r.conns[ci]
	if !e.More() {
		c.inflight--
		c.flags &^= fRecv
	}
	bid, hasBuf := e.Buffer()
	switch {
	case e.Res > 0 && hasBuf:
		// A connection on its way to net/http keeps every byte read until
		// the hand-off: they are the rest of its request.
		if c.flags&(fInputDone|fDying) == 0 || c.flags&fHandoff != 0 {
			r.input(ci, r.bufs.Buf(bid, int(e.Res)))
		}
		r.bufs.Recycle(bid)
		if c := &r.conns[ci]; c.flags&fRecv == 0 && r.draining(c) {
			r.armRecv(ci) // multishot ended without an error (e.g. CQ pressure)
		}
		return
	case hasBuf:
		r.bufs.Recycle(bid)
	}
	switch {
	case e.Res <= 0 && c.flags&fLinger != 0: // the client closed (or failed) after our close frame
		r.kill(ci)
	case e.Res == uring.ENOBUFS: // already negative, as CQE results are
		r.noBufs.Add(1)
		r.parked = append(r.parked, parkedConn{slot: ci, gen: c.gen}) // not EOF: re-armed when buffers return
	case e.Res == 0 && c.state == stWS: // EOF: the client is gone
		c.flags |= fInputDone
		r.end(ci, protocol.CodeNormal)
	case e.Res == 0 && c.state == stHTTP:
		r.kill(ci)
	case e.Res < 0 && c.flags&(fDying|fHandoff) == 0:
		r.kill(ci)
	}
}

// draining reports whether c's receive should stay armed: while it reads,
// and — input ignored — while a WebSocket connection ends, so that what the
// client still sends is drained rather than left to reset the close away.
func (r *ring) draining(c *conn) bool {
	return c.state != stFree && c.flags&fDying == 0 && (c.flags&fInputDone == 0 || c.state == stWS)
}

// scan enforces deadlines (HELLO, idle, write, handshake) over the slot
// table; it runs at a fraction of the shortest timeout.
func (r *ring) scan() {
	cfg := &r.srv.cfg
	r.nextScn = r.now + int64(min(max(min(cfg.HelloTimeout, cfg.IdleTimeout, cfg.WriteTimeout)/4, 10*time.Millisecond), time.Second))
	if !r.acceptWait { // re-arming on a full table would only cost the kernel one more pending connection
		r.armAccept()
	}
	if len(r.parked) > 0 { // buffers came back without a completion to publish them
		r.unpark()
	}
	for i := range r.conns {
		c := &r.conns[i]
		if c.state == stFree || c.flags&fDying != 0 {
			continue
		}
		switch {
		case c.flags&fLinger != 0:
			if r.now > c.deadline {
				r.kill(uint32(i))
			}
		case c.flags&fHeld != 0 && c.flags&fSending == 0:
			if r.now-c.sendAt > int64(cfg.WriteTimeout) {
				r.closeWith(uint32(i), protocol.CodeTooSlow)
			} else {
				c.flags |= fWantPull
				r.flush(uint32(i)) // asks the kernel again
			}
		case c.flags&fSending != 0 && r.now-c.sendAt > int64(cfg.WriteTimeout):
			// The client stopped reading: no close frame can reach it.
			r.countClose(uint32(i), protocol.CodeTooSlow)
			r.kill(uint32(i))
		case c.deadline != 0 && r.now > c.deadline && c.state == stHTTP:
			r.kill(uint32(i)) // no session yet: nothing to count
		case c.deadline != 0 && r.now > c.deadline && c.flags&fEnding == 0:
			c.deadline = 0
			code := protocol.CodeIdle // never normal (SPEC.md §2.3)
			if c.flags&fGotData == 0 {
				code = protocol.CodeHelloRequired
			}
			r.closeWith(uint32(i), code)
		}
	}
}

// release frees slot ci after its fd was closed and every request on it
// completed: the session ends in the core and the slot's generation moves
// on, so late ids and completions miss.
func (r *ring) release(ci uint32) {
	c := &r.conns[ci]
	if c.fd >= 0 {
		r.srv.slots.Add(-1)
		if c.flags&fRefused == 0 {
			r.srv.fds.Add(-1)
			r.admitted--
		}
	}
	if r.acceptWait { // a slot is free again
		r.acceptWait = false
		r.armAccept()
	}
	r.putHandle(c.part)
	r.putHandle(c.frag)
	r.putHandle(c.out)
	sess, ws, lingered := c.sess, c.state == stWS, c.flags&fLinger != 0
	gen := c.gen + 1
	*c = conn{gen: gen & 0xffffff, fd: -1}
	r.free = append(r.free, ci)
	if ws && sess != 0 {
		r.srv.core.Closed(sess)
		r.srv.unregister(!lingered)
	}
}

func (r *ring) sessionValue(ci uint32) uint64 {
	return uint64(r.idx)<<56 | uint64(r.conns[ci].gen&0xffffff)<<32 | uint64(ci)
}
