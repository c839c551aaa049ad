// Package ringnet is the edge's WebSocket transport on io_uring: one ring
// per CPU (more where the connections need more direct-descriptor tables),
// each owned by a goroutine locked to its thread and pinned to a CPU, with
// its own SO_REUSEPORT listener, multishot accept into direct descriptors
// (the ring's fixed-file table: accepted sockets never enter the process's
// file table, so RLIMIT_NOFILE bounds a ring, not the process), multishot
// recv into a shared provided-buffer ring, and one coalesced SENDMSG in
// flight per connection over the core's shared CELL_UPDATE frames. There
// is no goroutine per connection and no buffer per idle connection:
// connection state is a pointer-free slot table with generational ids.
// HTTP requests that are not WebSocket upgrades are installed as ordinary
// fds and handed, with the bytes already read, to net/http through
// Listener, so one port serves everything. All system calls go through
// internal/uring.
package ringnet

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/session"
	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// Config configures a Server. Zero values mean defaults.
type Config struct {
	Listen string // address of the rings' SO_REUSEPORT listeners; required
	// Rings is how many rings run (pinned to the CPUs in turn); default: the
	// CPUs this process may use, or more where MaxConns needs more
	// direct-descriptor tables (Plan).
	Rings int
	// CheckOrigin decides whether a browser page of that Origin may connect;
	// nil allows requests without an Origin and those whose Origin host
	// equals the request's Host (as the netpoll transport).
	CheckOrigin  func(r *http.Request) bool
	HelloTimeout time.Duration // time to the first data frame (HELLO); default 10s
	// IdleTimeout is the time without any frame from the client (WebSocket
	// pings included) after which the connection is closed idle; default
	// 90s. It is a backstop: the core closes a session without a protocol
	// message for its own IdleTimeout (60s, SPEC.md §2.3) first, with an
	// ERROR idle before the close.
	IdleTimeout  time.Duration
	WriteTimeout time.Duration // time one send may stay in flight; default 10s
	Entries      uint32        // SQ entries per ring; default 1024 (CQ: 8×)
	Buffers      uint32        // provided buffers per ring (power of two); default 1024
	BufferSize   int           // bytes per provided buffer; default 2048
	// MaxConns is the most connections over all rings; more are answered
	// 503 and closed (Stats.Refused). Default: what the rings' tables hold
	// (Plan).
	MaxConns    int
	EventfdWake bool // wake rings with an eventfd even where MSG_RING works (the fallback, tested on any kernel)
	// MaxBacklog is how many bytes a client may leave unacknowledged in
	// its socket before output waits in the core (which drops frames and
	// closes it too_slow); output held back for WriteTimeout also closes it
	// too_slow, with its ERROR and close frame (the send buffer, fixed at
	// MaxBacklog + 512 KiB, keeps room for them). Default 256 KiB.
	MaxBacklog int
	// CloseLinger bounds how long a connection stays half-closed after its
	// close frame, draining input, so that closing it does not reset away
	// what the client has not read yet; default 1s.
	CloseLinger time.Duration
	Logger      *slog.Logger

	tableSlots int // tests: slots per ring's table instead of the soft RLIMIT_NOFILE
}

// Plan sizes the rings' direct-descriptor tables from the soft
// RLIMIT_NOFILE (read, never raised: the kernel caps each ring's table at
// it): each table has limit slots, of which Headroom are kept for answering
// connections over the limit. It returns the rings and connections to run
// with (zero: the defaults, see Config) and the connections one ring takes,
// or an error saying what would hold them.
func Plan(maxConns, rings int) (int, int, int, error) {
	return plan(maxConns, rings, uring.OpenFileLimit())
}

func plan(maxConns, rings, limit int) (int, int, int, error) {
	perRing := limit - Headroom(limit)
	switch {
	case maxConns < 0 || rings < 0:
		return 0, 0, 0, fmt.Errorf("ringnet: max-conns %d and rings %d must not be negative", maxConns, rings)
	case maxConns == 0 && rings == 0:
		rings = runtime.GOMAXPROCS(0)
		maxConns = rings * perRing
	case maxConns == 0:
		maxConns = rings * perRing
	case rings == 0:
		rings = max(runtime.GOMAXPROCS(0), (maxConns+perRing-1)/perRing)
	case rings*perRing < maxConns:
		return 0, 0, 0, fmt.Errorf("ringnet: %d rings cannot hold %d connections: a ring's direct-descriptor table is capped at the soft RLIMIT_NOFILE (%d, less %d headroom = %d connections); run at least %d rings, or raise the soft limit (ulimit -n) before starting",
			rings, maxConns, limit, Headroom(limit), perRing, (maxConns+perRing-1)/perRing)
	}
	if rings > 255 {
		return 0, 0, 0, fmt.Errorf("ringnet: %d rings (for %d connections at a soft RLIMIT_NOFILE of %d) is more than 255", rings, maxConns, limit)
	}
	return rings, maxConns, perRing, nil
}

// Headroom is how many of a table's limit slots are kept for connections
// over MaxConns, which are read, answered 503 and closed.
func Headroom(limit int) int { return max(8, min(256, limit/16)) }

func (c *Config) defaults() {
	if c.HelloTimeout == 0 {
		c.HelloTimeout = core.DefaultHelloTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = core.DefaultConnIdleTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = core.DefaultWriteTimeout
	}
	if c.Buffers == 0 {
		c.Buffers = 1024
	}
	if c.MaxBacklog <= 0 {
		c.MaxBacklog = core.DefaultMaxBacklog
	}
	if c.CloseLinger <= 0 {
		c.CloseLinger = core.DefaultCloseLinger
	}
	if c.BufferSize == 0 {
		c.BufferSize = 2048
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.CheckOrigin == nil {
		c.CheckOrigin = wsframe.SameOrigin
	}
}

// Server is the core's Notifier for connections on the rings: New
// registers it as their owner.
type Server struct {
	cfg   Config
	core  *core.Core
	owner core.Owner
	rings []*ring
	addr  *net.TCPAddr

	table   int // direct-descriptor slots per ring (the soft RLIMIT_NOFILE)
	perRing int // connections one ring admits (table less Headroom)

	started chan struct{} // closed by New once every ring is set up: the rings accept
	stopCh  chan struct{} // closed when the rings stop
	ln      *listener     // plain HTTP connections handed to net/http

	gate session.Gate // admits sessions until Shutdown, which waits for them (the rings list them: no map)

	rwg      sync.WaitGroup // ring goroutines
	fds      atomic.Int64   // connections admitted over all rings (≤ MaxConns)
	slots    atomic.Int64   // direct descriptors in use over all rings (admitted and refused)
	conns    atomic.Int64   // WebSocket sessions
	stopOnce sync.Once
}

// New starts one ring per listener of ls, feeding core c: the server
// registers as the owner of the sessions it opens, and the rings accept
// once every one is set up. New takes the listeners: the server closes
// them, or New does when it fails.
func New(c *core.Core, ls *Listeners) (*Server, error) {
	s := &Server{cfg: ls.cfg, core: c, addr: ls.addr, started: make(chan struct{}), stopCh: make(chan struct{}),
		table: ls.table, perRing: ls.perRing}
	s.owner = c.Register(s)
	s.ln = &listener{s: s, ch: make(chan net.Conn, 256), done: make(chan struct{})}
	errs := make(chan error, len(ls.fds))
	for i, fd := range ls.fds {
		r := newRing(s, i, fd)
		s.rings = append(s.rings, r)
		s.rwg.Add(1)
		go r.run(errs)
	}
	ls.fds = nil
	for range s.rings {
		if err := <-errs; err != nil {
			s.stop()
			return nil, err
		}
	}
	close(s.started)
	return s, nil
}

// Addr is the listeners' address.
func (s *Server) Addr() net.Addr { return s.addr }

// Listener yields the connections whose first request is not a WebSocket
// upgrade, with the bytes already read: serve it with net/http.
func (s *Server) Listener() net.Listener { return s.ln }

// ServeHTTP answers GET /ws requests that reach net/http: upgrades happen on
// the rings, so only a request that arrived after another on a kept-alive
// connection gets here.
func (s *Server) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Connection", "close")
	http.Error(w, "open a new connection for the WebSocket upgrade", http.StatusBadRequest)
}

// Ready implements core.Notifier (called with the core's lock held: it only
// queues to the owning ring). handle is the connection's sessionValue, given
// to Open: no lookup; the ring drops it if the connection's generation moved on.
func (s *Server) Ready(_ core.SessionID, handle uint64) { s.post(handle, msgReady, 0) }

// Hangup implements core.Notifier: the ring flushes, then closes with code.
func (s *Server) Hangup(_ core.SessionID, handle uint64, code protocol.Code) {
	s.post(handle, msgClose, code)
}

// post queues a message for the connection v (ring:8 | gen:24 | slot:32).
func (s *Server) post(v uint64, kind uint8, code protocol.Code) {
	s.rings[v>>56].post(msg{kind: kind, code: code, gen: uint32(v>>32) & 0xffffff, slot: uint32(v)})
}

// CloseAll closes every open WebSocket connection with code (they flush
// first); each close is counted in the core under code. Each ring walks
// its own slots: there is no list of sessions to keep per connection.
func (s *Server) CloseAll(code protocol.Code) {
	for _, r := range s.rings {
		r.post(msg{kind: msgEndAll, code: code})
	}
}

// Shutdown refuses new connections, closes every open one with
// shutting_down, waits for them to end, and stops the rings.
func (s *Server) Shutdown() {
	s.gate.Close()
	s.CloseAll(protocol.CodeShuttingDown)
	s.gate.Wait()
	s.stop()
}

func (s *Server) stop() {
	s.stopOnce.Do(func() {
		close(s.stopCh)
		for _, r := range s.rings {
			r.post(msg{kind: msgStop})
		}
		s.rwg.Wait()
		_ = s.ln.Close()
	})
}

// Conns is the number of open WebSocket connections.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// register admits a new session; false once shutting down.
func (s *Server) register() bool {
	if !s.gate.Admit() {
		return false
	}
	s.conns.Add(1)
	return true
}

// unregister says an admitted session ended; counted is false when the
// connection already left the open count (it lingered after its close).
func (s *Server) unregister(counted bool) {
	if counted {
		s.conns.Add(-1)
	}
	s.gate.Done()
}

// admit counts one more connection unless MaxConns are in.
func (s *Server) admit() bool {
	for {
		n := s.fds.Load()
		if n >= int64(s.cfg.MaxConns) {
			return false
		}
		if s.fds.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Stats sums the rings' counters.
type Stats struct {
	Rings                                       int
	Submissions, Completions, Enters, Overflows uint64
	Busy, Interrupts, Wakeups                   uint64
	NoBufs                                      uint64 // ENOBUFS parks of a multishot recv
	Handoffs                                    uint64 // plain HTTP connections handed to net/http
	HandoffFailed                               uint64 // hand-offs that found no free fd (EMFILE): closed
	Refused                                     uint64 // upgrades over MaxConns (or a ring's share): answered 503 and closed
	Cancels                                     uint64 // closes that had to cancel a request in flight first (a receive, a send)
	TableFull                                   uint64 // accepts that found a ring's table full (ENFILE, headroom used up): that connection closed by the kernel
	MaxConns, TableSlots                        int    // the limit, and the direct-descriptor slots per ring
	Slots                                       int    // direct descriptors in use over all rings
}

// Stats returns the rings' counters.
func (s *Server) Stats() Stats {
	st := Stats{Rings: len(s.rings), MaxConns: s.cfg.MaxConns, TableSlots: s.table, Slots: int(s.slots.Load())}
	for _, r := range s.rings {
		u := r.stats
		if u == nil {
			continue
		}
		st.Submissions += u.Submissions.Load()
		st.Completions += u.Completions.Load()
		st.Enters += u.Enters.Load()
		st.Overflows += u.Overflows.Load()
		st.Busy += u.Busy.Load()
		st.Interrupts += u.Interrupts.Load()
		st.Wakeups += u.Wakeups.Load()
		st.NoBufs += r.noBufs.Load()
		st.Handoffs += r.handoffs.Load()
		st.Refused += r.refused.Load()
		st.HandoffFailed += r.handoffFailed.Load()
		st.TableFull += r.tableFull.Load()
		st.Cancels += r.cancels.Load()
	}
	return st
}

// listener hands plain HTTP connections to net/http.
type listener struct {
	s    *Server
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *listener) Addr() net.Addr { return l.s.addr }

// offer queues c for Accept without blocking; false if net/http is behind.
func (l *listener) offer(c net.Conn) bool {
	select {
	case <-l.done:
		return false
	default:
	}
	select {
	case l.ch <- c:
		return true
	default:
		return false
	}
}

// prefixConn replays the bytes the ring read before the hand-off.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
