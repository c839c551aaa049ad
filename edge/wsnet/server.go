// Package wsnet is the edge's portable WebSocket transport on Go's own
// netpoller: gobwas/ws framing, one reader and one writer goroutine per
// connection. It is the baseline the io_uring rings are measured against and
// the fallback where io_uring is unavailable. It only moves bytes: every
// message goes to package core, and core's output comes back through Pull.
package wsnet

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/session"
	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/protocol"
)

// DefaultHeaderTimeout bounds reading an HTTP request's head, on the
// zero-copy upgrade path and (edge.Start) in net/http.
const DefaultHeaderTimeout = 10 * time.Second

// Config configures a Server. Zero values mean defaults.
type Config struct {
	// CheckOrigin decides whether a browser page of that Origin may connect;
	// nil allows requests without an Origin (non-browser clients) and those
	// whose Origin host equals the request's Host.
	CheckOrigin  func(r *http.Request) bool
	HelloTimeout time.Duration // time to the first frame (HELLO); default 10s
	// IdleTimeout is the time without any frame from the client (WebSocket
	// pings included) after which the connection is closed idle; default
	// 90s. It is a backstop: the core closes a session without a protocol
	// message for its own IdleTimeout (60s, SPEC.md §2.3) first, with an
	// ERROR idle before the close.
	IdleTimeout  time.Duration
	WriteTimeout time.Duration // time to write one batch; default 10s
	// HeaderTimeout bounds reading an upgrade request on the zero-copy path
	// (Listen); default 10s.
	HeaderTimeout time.Duration
	// MaxHeaderBytes bounds an upgrade request's head on the zero-copy path
	// (a longer one is answered 431, as net/http does); default 16 KiB, the
	// io_uring transport's bound.
	MaxHeaderBytes int
	// MaxBacklog is how many bytes a client may leave unacknowledged in its
	// socket before output waits in the core (which drops frames and closes
	// it too_slow); output held back for WriteTimeout also closes it
	// too_slow. Default 256 KiB. The socket's send buffer is sized so that
	// the backlog, one more batch, the final ERROR and the close frame
	// always fit: a close is never cut short by a full buffer.
	MaxBacklog int
	// CloseLinger bounds how long a closed connection keeps reading (and
	// discarding) what the client still sends, so that closing the socket
	// does not reset it before the client read the final ERROR and close
	// frame; default 1s.
	CloseLinger time.Duration
	Logger      *slog.Logger
}

// Server accepts WebSocket connections and attaches them to a core. It is
// the core's Notifier for its sessions: New registers it as their owner.
type Server struct {
	cfg   Config
	core  *core.Core
	owner core.Owner
	conns session.Registry[*conn] // a connection is listed until its close frame is out
}

// New returns a server feeding core c, registered with it as the owner of
// the sessions it opens.
func New(c *core.Core, cfg Config) *Server {
	if cfg.HelloTimeout == 0 {
		cfg.HelloTimeout = core.DefaultHelloTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = core.DefaultConnIdleTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = core.DefaultWriteTimeout
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = wsframe.MaxHead
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = core.DefaultMaxBacklog
	}
	if cfg.CloseLinger <= 0 {
		cfg.CloseLinger = core.DefaultCloseLinger
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CheckOrigin == nil {
		cfg.CheckOrigin = wsframe.SameOrigin
	}
	s := &Server{cfg: cfg, core: c}
	s.owner = c.Register(s)
	return s
}

// ServeHTTP upgrades the request to a WebSocket connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, why := s.refusal(r); status != 0 {
		http.Error(w, why, status)
		return
	}
	nc, rw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		// gobwas hijacks before validating: it has written the rejection
		// to the hijacked connection, which is ours to close (found by
		// FuzzHandshake: it leaked).
		if nc != nil {
			nc.Close()
		}
		return
	}
	var br *bufio.Reader
	if rw != nil {
		br = rw.Reader
	}
	s.attach(nc, br)
}

// refusal is the HTTP status and reason an upgrade request is refused with
// (a foreign origin, shutdown), or 0 when it may proceed.
func (s *Server) refusal(r *http.Request) (int, string) {
	return wsframe.Refusal(s.cfg.CheckOrigin(r), s.conns.Closing())
}

// attach opens a session for an upgraded connection; br holds what was read
// past the upgrade request, if anything.
func (s *Server) attach(nc net.Conn, br *bufio.Reader) {
	c := &conn{srv: s, nc: nc, in: readerOf(nc, br), wake: make(chan struct{}, 1), ending: session.NewEnding(s.core), readDone: make(chan struct{})}
	c.sizeSendBuffer()
	c.id = s.core.Open(s.owner, 0) // the registry by id is the reference
	if !s.conns.Admit(c.id, c) {   // Shutdown began
		s.core.Closed(c.id)
		nc.Close()
		return
	}
	go c.readLoop()
	go c.writeLoop()
}

func readerOf(nc net.Conn, br *bufio.Reader) io.Reader {
	if br != nil && br.Buffered() > 0 {
		return io.MultiReader(io.LimitReader(br, int64(br.Buffered())), nc)
	}
	return nc
}

// Ready implements core.Notifier.
func (s *Server) Ready(id core.SessionID, _ uint64) {
	if c, ok := s.conns.Get(id); ok {
		c.signal()
	}
}

// Hangup implements core.Notifier: the writer flushes, then closes with
// code. The core has counted the close.
func (s *Server) Hangup(id core.SessionID, _ uint64, code protocol.Code) {
	if c, ok := s.conns.Get(id); ok {
		c.ending.Asked(code)
	}
}

// CloseAll closes every open connection with code (they flush first) and
// counts each close in the core.
func (s *Server) CloseAll(code protocol.Code) { s.conns.CloseAll(code) }

// Shutdown refuses new connections, closes every open one with
// shutting_down (players reconnect elsewhere) and waits for them to end.
func (s *Server) Shutdown() { s.conns.Shutdown() }

// Conns is the number of open connections.
func (s *Server) Conns() int { return s.conns.Len() }
