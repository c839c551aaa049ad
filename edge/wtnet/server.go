// Package wtnet is the edge's WebTransport transport (quic-go and
// webtransport-go). POSITIONs arrive and CELL_UPDATEs leave as datagrams —
// latest wins, several messages per datagram, never one split across two —
// and everything else travels on one bidirectional stream the client opens,
// as a sequence of length-prefixed protocol messages. Like wsnet it only
// moves bytes between the network and package core.
package wtnet

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/webtransport-go"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// Config configures a Server.
type Config struct {
	TLS          *tls.Config // certificates (e.g. DevCerts.GetCertificate); required
	CheckOrigin  func(*http.Request) bool
	Path         string        // default /wt
	HelloTimeout time.Duration // from session to HELLO on its stream; default 10s
	// WriteTimeout bounds one write of control messages on the stream: a
	// client that does not read its stream (QUIC flow control stops the
	// write) is closed too_slow after it; default 10s.
	WriteTimeout time.Duration
	Logger       *slog.Logger
}

// Stream limits (SPEC.md §3), stated to the client in the QUIC handshake: a
// QUIC connection carries one session, whose CONNECT request and single
// client-opened stream are its only bidirectional streams; unidirectional
// streams are HTTP/3's own (control and the two QPACK streams). A client
// cannot open more: the limits refuse them before they cost the edge
// anything.
const (
	maxBidiStreams = 2
	maxUniStreams  = 3
)

// Server serves WebTransport sessions over one UDP socket. It is the core's
// Notifier for its sessions.
type Server struct {
	cfg   Config
	core  *core.Core
	owner core.Owner
	wt    *webtransport.Server

	mu       sync.RWMutex // guards sessions and closing
	sessions map[core.SessionID]*session
	closing  bool // Shutdown began: no new sessions
	wg       sync.WaitGroup
}

// New returns a server; Attach the core, then Serve.
func New(cfg Config) *Server {
	if cfg.Path == "" {
		cfg.Path = "/wt"
	}
	if cfg.HelloTimeout == 0 {
		cfg.HelloTimeout = core.DefaultHelloTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = core.DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, sessions: map[core.SessionID]*session{}}
	mux := http.NewServeMux()
	mux.HandleFunc(cfg.Path, s.handle)
	h3 := &http3.Server{
		TLSConfig: http3.ConfigureTLSConfig(cfg.TLS),
		QUICConfig: &quic.Config{EnableDatagrams: true, MaxIdleTimeout: time.Minute, KeepAlivePeriod: 15 * time.Second,
			MaxIncomingStreams: maxBidiStreams, MaxIncomingUniStreams: maxUniStreams},
		Handler: mux,
	}
	webtransport.ConfigureHTTP3Server(h3)
	s.wt = &webtransport.Server{H3: h3, CheckOrigin: cfg.CheckOrigin}
	return s
}

// Attach sets the core the server feeds and registers the server as the
// owner of the sessions it opens.
func (s *Server) Attach(c *core.Core) { s.core, s.owner = c, c.Register(s) }

// WebTransport tells the core that this transport's sessions are
// WebTransport sessions: a REDIRECT names a WebTransport URL for them.
func (*Server) WebTransport() bool { return true }

// Serve serves sessions on conn until Close.
func (s *Server) Serve(conn net.PacketConn) error {
	err := s.wt.Serve(conn)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, quic.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends every session (shutting_down, counted in the core) and
// stops serving.
func (s *Server) Shutdown() error {
	s.mu.Lock()
	s.closing = true
	open := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		open = append(open, ss)
	}
	s.mu.Unlock()
	for _, ss := range open { // outside s.mu: counting takes the core's lock
		ss.end(protocol.CodeShuttingDown)
	}
	s.wg.Wait()
	return s.wt.Close()
}

// Ready implements core.Notifier.
func (s *Server) Ready(id core.SessionID, _ uint64) {
	if ss := s.lookup(id); ss != nil {
		select {
		case ss.wake <- struct{}{}:
		default:
		}
	}
}

// Hangup implements core.Notifier: the session flushes, then closes with
// code. The core has counted the close.
func (s *Server) Hangup(id core.SessionID, _ uint64, code protocol.Code) {
	if ss := s.lookup(id); ss != nil {
		ss.stopWith(code, false)
	}
}

func (s *Server) lookup(id core.SessionID) *session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[id]
}

// Sessions is the number of open sessions.
func (s *Server) Sessions() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	sess, err := s.wt.Upgrade(w, r)
	if err != nil {
		s.cfg.Logger.Debug("webtransport upgrade failed", "err", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ss := &session{srv: s, sess: sess, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	// Lock order: the core calls Ready/Close (which take s.mu) while it
	// holds its own lock, so s.mu is never held across a call into the core.
	ss.id = s.core.Open(s.owner, 0) // the map by id is the reference
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.core.CountClose(protocol.CodeShuttingDown)
		s.core.Closed(ss.id)
		_ = sess.CloseWithError(webtransport.SessionErrorCode(protocol.CodeShuttingDown), "shutting down")
		return
	}
	s.sessions[ss.id] = ss
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	ss.run(r.Context())
}
