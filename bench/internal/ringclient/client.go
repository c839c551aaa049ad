// Package ringclient is the load generator's WebSocket client on io_uring
// direct descriptors (internal/uring): each connection is a slot of a
// ring's fixed-file table — SOCKET direct, BIND to a loopback source, CONNECT
// and the upgrade request with HELLO behind it as one linked chain — so a
// worker process holds far more players than RLIMIT_NOFILE, with no
// goroutine per player. Receives are multishot into a shared provided-buffer
// ring; frames are handed to the player undecoded on the ring's goroutine;
// sends from any goroutine are queued to the ring, which keeps one SEND in
// flight per connection from a per-slot off-heap buffer.
package ringclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// Handle names a connection: ring:8 | gen:24 | slot:32.
type Handle uint64

// Conn is what a connection reports, on the ring's goroutine.
type Conn struct {
	// Open is called once: the session is up (WELCOME; frames carrying
	// more messages after it go to Frame) or it failed.
	Open func(h Handle, err error)
	// Frame receives each binary message after WELCOME (bytes valid during
	// the call).
	Frame func(payload []byte)
	// Closed is called once if an open connection ends by itself.
	Closed func(err error)
	// Due, with Config.Period, is called once per period (from a random
	// phase) while the session is open: it appends the protocol messages
	// to send now to b (nothing: none) and returns it. The ring sends what
	// every connection due in one iteration gives as one batch of SENDs.
	Due func(b []byte) []byte
}

// Config sizes an Engine.
type Config struct {
	Server     [4]byte // the edge's IPv4 address
	Port       int
	Host, Path string // of the upgrade request
	Conns      int    // connections at most (sizes the rings)
	Buffers    uint32 // provided receive buffers per ring; default 4096
	BufferSize int    // default 4096
	KeepAlive  time.Duration
	// Period is how often Conn.Due is called on each open connection
	// (0: never).
	Period time.Duration
}

// sendSlot is the off-heap send buffer of one slot (upgrade + HELLO fit).
const sendSlot = 2048

var (
	// ErrClosed: the engine stopped.
	ErrClosed = errors.New("ringclient: closed")
	errEOF    = errors.New("ringclient: connection closed by the edge")
)

// Engine runs the rings.
type Engine struct {
	cfg   Config
	rings []*ring
	wg    sync.WaitGroup
}

// New starts ceil(Conns / (soft RLIMIT_NOFILE − 16)) rings.
func New(cfg Config) (*Engine, error) {
	if _, err := uring.Probe(); err != nil {
		return nil, err
	}
	if cfg.Buffers == 0 {
		cfg.Buffers = 4096
	}
	if cfg.BufferSize == 0 {
		cfg.BufferSize = 4096
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 20 * time.Second
	}
	limit := uring.OpenFileLimit()
	per := limit - 16
	n := max(1, (cfg.Conns+per-1)/per)
	if n > 255 {
		return nil, fmt.Errorf("ringclient: %d connections need %d rings at a soft RLIMIT_NOFILE of %d", cfg.Conns, n, limit)
	}
	e := &Engine{cfg: cfg}
	errs := make(chan error, n)
	for i := range n {
		r := &ring{e: e, idx: i, table: limit}
		e.rings = append(e.rings, r)
		e.wg.Add(1)
		go r.run(errs)
	}
	var err error
	for range n {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close stops the rings; their connections are closed with them.
func (e *Engine) Close() {
	for _, r := range e.rings {
		r.post(cmd{kind: cmdStop})
	}
	e.wg.Wait()
}

// Dial connects connection id (spread over the rings by id) from local,
// sending the upgrade, then hello (one protocol message: HELLO) once the
// 101 arrived.
func (e *Engine) Dial(id int, local [4]byte, hello []byte, c Conn) {
	r := e.rings[id%len(e.rings)]
	r.post(cmd{kind: cmdDial, local: local, conn: c, data: hello})
}

// Send queues one protocol message (or several) as a binary WebSocket
// message on h; it is dropped if h is closed.
func (e *Engine) Send(h Handle, msg []byte) error {
	ri := int(h >> 56)
	if ri >= len(e.rings) {
		return ErrClosed
	}
	return e.rings[ri].send(uint32(h>>32)&0xffffff, uint32(h), msg)
}

// Close ends connection h.
func (e *Engine) CloseConn(h Handle) {
	if ri := int(h >> 56); ri < len(e.rings) {
		e.rings[ri].post(cmd{kind: cmdClose, gen: uint32(h>>32) & 0xffffff, slot: uint32(h)})
	}
}

const (
	cmdDial uint8 = iota + 1
	cmdSend
	cmdClose
	cmdStop
)

type cmd struct {
	kind      uint8
	gen, slot uint32
	off, n    int // cmdSend: bytes in the inbox buffer
	local     [4]byte
	conn      Conn
	data      []byte
}

// busyBatch completions reaped in an iteration mark the ring busy: the
// next enter runs up to half the ring's provided buffers' worth of
// completions without waiting (enter). Not all of them: receives beyond
// the buffers would stop on ENOBUFS, to be parked and re-armed.
const busyBatch = 20

// chainLen is the SQEs of a dial: socket, TCP_NODELAY, bind, connect,
// the upgrade request.
const chainLen = 5

// Operations in user_data.
const (
	opChain uint8 = iota + 1 // socket, nodelay, bind, connect, first send
	opRecv
	opSend
	opCancel
	opClose
)

const (
	stFree uint8 = iota
	stConnecting
	stHead  // waiting for the 101
	stHello // waiting for WELCOME
	stOpen
)

type conn struct {
	gen      uint32
	state    uint8
	dying    bool
	sending  bool
	recv     bool
	closing  bool
	inflight int
	err      error
	cb       Conn
	pending  []byte // framed output not yet in a send
	part     []byte // input not yet parsed
	lastSend int64
}

type ring struct {
	e     *Engine
	idx   int
	table int
	ur    *uring.Ring
	bufs  *uring.BufRing
	arena []byte // sendSlot bytes per slot, then a sockaddr per slot (+ the server's)

	inMu   sync.Mutex
	inbox  []cmd
	inbuf  []byte
	dead   bool
	work   []cmd
	workb  []byte
	conns  []conn
	free   []uint32
	parked []uint32
	noBufs atomic.Uint64
	cqes   []uring.CQE
	last   *uring.SQE
	wheel  wheel  // the connections with a Due, by phase
	msg    []byte // what Due gave, reused
	start  time.Time
	now    int64
	stop   bool
}

func (r *ring) post(c cmd) {
	r.inMu.Lock()
	if r.dead {
		r.inMu.Unlock()
		return
	}
	r.inbox = append(r.inbox, c)
	r.ur.Wake() // under inMu: teardown marks the ring dead under it before closing it
	r.inMu.Unlock()
}

// send frames msg as a masked binary message (mask key 0) into the inbox.
func (r *ring) send(gen, slot uint32, msg []byte) error {
	r.inMu.Lock()
	if r.dead {
		r.inMu.Unlock()
		return ErrClosed
	}
	off := len(r.inbuf)
	r.inbuf = appendFrame(r.inbuf, 0x82, msg)
	r.inbox = append(r.inbox, cmd{kind: cmdSend, gen: gen, slot: slot, off: off, n: len(r.inbuf) - off})
	r.ur.Wake()
	r.inMu.Unlock()
	return nil
}

// appendFrame appends a client frame (FIN, opcode in b0) masked with key 0.
func appendFrame(b []byte, b0 byte, payload []byte) []byte {
	switch n := len(payload); {
	case n < 126:
		b = append(b, b0, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, b0, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, b0, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, 0, 0, 0, 0)
	return append(b, payload...)
}

func (r *ring) run(ready chan<- error) {
	defer r.e.wg.Done()
	runtime.LockOSThread() // SINGLE_ISSUER|DEFER_TASKRUN: this thread owns the ring
	if err := r.open(); err != nil {
		r.dead = true
		if r.ur != nil {
			r.ur.Close()
		}
		ready <- err
		return
	}
	r.cqes = make([]uring.CQE, 0, 1024)
	r.start = time.Now()
	r.wheel = newWheel(r.e.cfg.Period, 0)
	ready <- nil
	defer r.teardown()
	nextScan, busy := int64(0), false
	for !r.stop {
		r.now = int64(time.Since(r.start))
		if r.drain(); r.stop {
			break
		}
		r.fireDue()
		if r.now >= nextScan {
			r.keepAlive()
			nextScan = r.now + int64(time.Second)
		}
		r.ur.Sleep()
		if err := r.enter(nextScan, busy); err != nil {
			return
		}
		busy = r.reap() >= busyBatch
	}
}

// open creates the ring on this thread: its fixed-file table, provided
// buffers, the off-heap send and address arena and the wake-up.
func (r *ring) open() error {
	ur, err := uring.New(uring.Config{Entries: 4096})
	if err != nil {
		return err
	}
	r.ur = ur
	if err = ur.RegisterFiles(uint32(r.table)); err == nil {
		r.bufs, err = uring.NewBufRing(ur, 0, r.e.cfg.Buffers, r.e.cfg.BufferSize)
	}
	if err == nil {
		r.arena, err = uring.Arena((r.table + 1) * (sendSlot + uring.SockaddrInet4Size))
	}
	if err == nil && !ur.ArmWake() {
		err = errors.New("ringclient: cannot arm the wake-up")
	}
	return err
}

func (r *ring) teardown() {
	r.inMu.Lock()
	r.dead = true
	r.inMu.Unlock()
	r.ur.Close() // closes the table's sockets
	r.bufs.Close()
	uring.FreeArena(r.arena)
}

// sqe returns a free SQE. A full SQ is submitted first unless the last
// SQE prepared is linked to the next (the chain must go in together: the
// SQ has room for a whole chain, see dial).
func (r *ring) sqe() *uring.SQE {
	for {
		if e := r.ur.SQE(); e != nil {
			r.last = e
			return e
		}
		_ = r.ur.Submit(false, 0)
	}
}

// link chains the last SQE prepared to the next.
func (r *ring) link() { r.last.Link() }

func (r *ring) drain() {
	r.inMu.Lock()
	r.work, r.inbox = r.inbox, r.work[:0]
	r.workb, r.inbuf = r.inbuf, r.workb[:0]
	r.inMu.Unlock()
	for _, m := range r.work {
		switch m.kind {
		case cmdStop:
			r.stop = true
		case cmdDial:
			r.dial(m)
		case cmdSend, cmdClose:
			if int(m.slot) >= len(r.conns) || r.conns[m.slot].gen != m.gen || r.conns[m.slot].dying {
				continue
			}
			if m.kind == cmdClose {
				r.kill(m.slot, nil)
				continue
			}
			c := &r.conns[m.slot]
			c.pending = append(c.pending, r.workb[m.off:m.off+m.n]...)
			r.flush(m.slot)
		}
	}
	clear(r.work) // drop the callbacks
}

func (r *ring) sendBuf(ci uint32) []byte {
	off := int(ci) * sendSlot
	return r.arena[off : off+sendSlot : off+sendSlot]
}

func (r *ring) sockaddr(ci uint32) []byte {
	off := (r.table+1)*sendSlot + int(ci)*uring.SockaddrInet4Size
	return r.arena[off : off+uring.SockaddrInet4Size]
}

func (r *ring) handle(ci uint32) Handle {
	return Handle(uint64(r.idx)<<56 | uint64(r.conns[ci].gen)<<32 | uint64(ci))
}

func (r *ring) dial(m cmd) {
	var ci uint32
	switch n := len(r.free); {
	case n > 0:
		ci = r.free[n-1]
		r.free = r.free[:n-1]
	case len(r.conns) < r.table-1: // the last slot's sockaddr room holds the server's
		r.conns = append(r.conns, conn{})
		ci = uint32(len(r.conns) - 1)
	default:
		m.conn.Open(0, fmt.Errorf("ringclient: ring %d full (%d connections)", r.idx, len(r.conns)))
		return
	}
	c := &r.conns[ci]
	*c = conn{gen: c.gen, state: stConnecting, cb: m.conn, lastSend: r.now, pending: c.pending[:0], part: c.part[:0]}
	req := fmt.Appendf(r.sendBuf(ci)[:0], "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", r.e.cfg.Path, r.e.cfg.Host)
	// HELLO waits for the 101: a server may drop bytes that follow the
	// upgrade request in its buffer (gobwas/ws's Upgrade on a net.Conn does).
	c.pending = appendFrame(c.pending, 0x82, m.data)
	if len(req) > sendSlot {
		c.state = stFree
		r.free = append(r.free, ci)
		m.conn.Open(0, fmt.Errorf("ringclient: upgrade and HELLO take %d bytes, more than %d", len(req), sendSlot))
		return
	}
	local, server := r.sockaddr(ci), r.sockaddr(uint32(r.table))
	ln := uring.PutSockaddrInet4(local, m.local, 0)
	if r.ur.Pending()+chainLen > 4096 { // the chain goes into one submission
		_ = r.ur.Submit(false, 0)
	}
	uring.PutSockaddrInet4(server, r.e.cfg.Server, r.e.cfg.Port)
	ud := uring.UserData(opChain, c.gen, ci)
	r.sqe().PrepSocketDirect(int(ci), ud)
	r.link()
	r.sqe().PrepNoDelay(int(ci), ud) // positions leave at once, as from net.Dial's sockets
	r.link()
	r.sqe().PrepBind(int(ci), unsafe.Pointer(&local[0]), ln, ud)
	r.link()
	r.sqe().PrepConnect(int(ci), unsafe.Pointer(&server[0]), ln, ud)
	r.link()
	r.sqe().PrepSend(int(ci), unsafe.Pointer(&req[0]), len(req), uring.MsgWaitAll|uring.MsgNoSignal, ud)
	c.inflight = chainLen
	c.sending = true
}

func (r *ring) armRecv(ci uint32) {
	c := &r.conns[ci]
	e := r.sqe()
	e.PrepRecvMultishot(int(ci), r.bufs.Group(), uring.UserData(opRecv, c.gen, ci))
	e.Fixed()
	c.recv = true
	c.inflight++
}

// flush starts ci's next send from its pending output.
func (r *ring) flush(ci uint32) {
	c := &r.conns[ci]
	if c.sending || c.dying || len(c.pending) == 0 || c.state < stHello {
		return
	}
	buf := r.sendBuf(ci)
	n := copy(buf, c.pending)
	c.pending = c.pending[:copy(c.pending, c.pending[n:])]
	r.sqe().PrepSend(int(ci), unsafe.Pointer(&buf[0]), n, uring.MsgWaitAll|uring.MsgNoSignal, uring.UserData(opSend, c.gen, ci))
	c.sending = true
	c.inflight++
	c.lastSend = r.now
}

// keepAlive sends a PING on connections that sent nothing for KeepAlive
// (the edge closes a session idle after 60 s without a message).
func (r *ring) keepAlive() {
	var ping [16]byte
	msg := protocol.AppendPing(ping[:0], &protocol.Ping{})
	for i := range r.conns {
		if c := &r.conns[i]; c.state == stOpen && !c.dying && r.now-c.lastSend > int64(r.e.cfg.KeepAlive) {
			c.pending = appendFrame(c.pending, 0x82, msg)
			c.lastSend = r.now
			r.flush(uint32(i))
		}
	}
}

// kill ends ci: Open reports err if the session never opened, Closed if
// it did; cancel, final completions, CLOSE, then the slot is free.
func (r *ring) kill(ci uint32, err error) {
	c := &r.conns[ci]
	if c.dying || c.state == stFree {
		return
	}
	c.dying = true
	switch {
	case c.state < stOpen:
		c.cb.Open(0, err)
	case c.cb.Closed != nil && err != nil:
		c.cb.Closed(err)
	}
	c = &r.conns[ci]
	if c.inflight > 0 {
		r.sqe().PrepCancelFixed(int(ci), uring.UserData(opCancel, c.gen, ci))
		c.inflight++
	}
	r.maybeClose(ci)
}

func (r *ring) maybeClose(ci uint32) {
	c := &r.conns[ci]
	if !c.dying || c.inflight > 0 || c.closing {
		return
	}
	c.closing = true
	r.sqe().PrepCloseDirect(int(ci), uring.UserData(opClose, c.gen, ci))
}

func (r *ring) release(ci uint32) {
	c := &r.conns[ci]
	*c = conn{gen: (c.gen + 1) & 0xffffff, pending: c.pending[:0], part: c.part[:0]}
	r.free = append(r.free, ci)
}
