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
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/webtransport-go"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/session"
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
	cfg      Config
	core     *core.Core
	owner    core.Owner
	wt       *webtransport.Server
	sessions session.Registry[*wtSession]
}

// New returns a server feeding core c, registered with it as the owner of
// the sessions it opens; then Serve.
func New(c *core.Core, cfg Config) *Server {
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
	s := &Server{cfg: cfg, core: c}
	s.owner = c.Register(s)
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

// Shutdown ends every session (shutting_down, counted in the core), waits
// for them, and stops serving.
func (s *Server) Shutdown() error {
	s.sessions.Shutdown()
	return s.wt.Close()
}

// CloseAll ends every open session with code (each flushes first, and is
// told why with an ERROR on its stream) and counts each close in the core.
func (s *Server) CloseAll(code protocol.Code) { s.sessions.CloseAll(code) }

// Ready implements core.Notifier.
func (s *Server) Ready(id core.SessionID, _ uint64) {
	if ss, ok := s.sessions.Get(id); ok {
		ss.signal()
	}
}

// Hangup implements core.Notifier: the session flushes, then closes with
// code. The core has counted the close.
func (s *Server) Hangup(id core.SessionID, _ uint64, code protocol.Code) {
	if ss, ok := s.sessions.Get(id); ok {
		ss.ending.Asked(code)
	}
}

// Sessions is the number of open sessions.
func (s *Server) Sessions() int { return s.sessions.Len() }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	sess, err := s.wt.Upgrade(w, r)
	if err != nil {
		s.cfg.Logger.Debug("webtransport upgrade failed", "err", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ss := &wtSession{srv: s, sess: sess, wake: make(chan struct{}, 1), ending: session.NewEnding(s.core)}
	ss.id = s.core.Open(s.owner, 0)   // the registry by id is the reference
	if !s.sessions.Admit(ss.id, ss) { // Shutdown began
		s.core.CountClose(protocol.CodeShuttingDown)
		s.core.Closed(ss.id)
		_ = sess.CloseWithError(webtransport.SessionErrorCode(protocol.CodeShuttingDown), "shutting down")
		return
	}
	defer s.sessions.Done(ss.id)
	ss.run(r.Context())
}
