package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/certfile"
)

// DefaultRaftPeerName is the DNS name (subject alternative name) every
// coordinator's raft certificate carries unless RaftTLS.PeerName says
// otherwise.
const DefaultRaftPeerName = "veltrix-raft"

// ErrNoRaftTLS: the config has neither raft certificates nor an explicit
// opt-in to plain TCP.
var ErrNoRaftTLS = errors.New("the raft transport has no TLS certificates and plain TCP was not asked for")

// RaftTLS names the PEM files that secure the raft transport with mutual
// TLS 1.3. Each side of every raft connection verifies the other's
// certificate: signed by a CA in CAFile, for the other role (server auth
// for the node dialled, client auth for the node dialling) and naming
// PeerName among its DNS names. A certificate from the same CA without the
// name (an edge's client certificate, say) is refused. The files are
// re-read when they change (package certfile): a rotated certificate or CA
// bundle is used from the next raft connection on, with no restart.
type RaftTLS struct {
	CertFile, KeyFile string // this node's certificate (chain) and key
	CAFile            string // CA bundle that signs every coordinator's raft certificate
	PeerName          string // default DefaultRaftPeerName
}

func (t *RaftTLS) validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"certificate", t.CertFile}, {"key", t.KeyFile}, {"CA bundle", t.CAFile}} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("raft TLS %s file is required", f.name))
		}
	}
	return errors.Join(errs...)
}

const (
	transportMaxPool = 8               // pooled connections per peer
	transportTimeout = 5 * time.Second // I/O deadline of one RPC
	handshakeTimeout = 5 * time.Second // a peer that does not finish its TLS handshake in time is dropped
)

// newTransport listens on c.RaftAddr for raft: mutual TLS by default,
// plain TCP when c.InsecureRaft.
func newTransport(c *Config, advertise net.Addr) (*raft.NetworkTransport, error) {
	if c.InsecureRaft {
		return raft.NewTCPTransport(c.RaftAddr, advertise, transportMaxPool, transportTimeout, c.RaftLog)
	}
	t := *c.RaftTLS
	if t.PeerName == "" {
		t.PeerName = DefaultRaftPeerName
	}
	certs, err := certfile.Load(certfile.Files{Cert: t.CertFile, Key: t.KeyFile, CA: t.CAFile}, c.Logger)
	if err != nil {
		return nil, fmt.Errorf("raft TLS: %w", err)
	}
	ln, err := net.Listen("tcp", c.RaftAddr)
	if err != nil {
		return nil, err
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	if a, ok := advertise.(*net.TCPAddr); !ok || a.IP == nil || a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("raft address %s cannot be advertised to peers", advertise)
	}
	s := newTLSStream(ln, advertise, certs, t.PeerName, c.Logger)
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: s, MaxPool: transportMaxPool, Timeout: transportTimeout,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "raft-net", Output: c.RaftLog, Level: hclog.DefaultLevel}),
	}), nil
}

// tlsStream is a raft.StreamLayer over mutual TLS. Accept hands raft only
// connections whose handshake succeeded: acceptLoop handshakes each
// incoming connection in its own goroutine (under handshakeTimeout, so a
// peer that stalls holds up no one else) and drops the ones that fail,
// before raft reads a byte from them.
type tlsStream struct {
	ln        net.Listener
	advertise net.Addr
	certs     *certfile.Source
	peerName  string
	log       *slog.Logger

	ready chan net.Conn   // handshaken connections for Accept
	ctx   context.Context // cancelled by Close: ends acceptLoop and the handshakes
	stop  context.CancelFunc
	once  sync.Once
	wg    sync.WaitGroup // acceptLoop and the handshakes in progress
}

func newTLSStream(ln net.Listener, advertise net.Addr, certs *certfile.Source, peerName string, log *slog.Logger) *tlsStream {
	s := &tlsStream{ln: ln, advertise: advertise, certs: certs, peerName: peerName, log: log, ready: make(chan net.Conn)}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

func (s *tlsStream) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			// Out of file descriptors and the like: back off, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Error("raft listener cannot accept", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go s.handshake(conn)
	}
}

func (s *tlsStream) handshake(conn net.Conn) {
	defer s.wg.Done()
	tc := tls.Server(conn, s.serverConfig())
	ctx, cancel := context.WithTimeout(s.ctx, handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Warn("raft connection refused at the TLS handshake", "remote", conn.RemoteAddr().String(), "err", err)
		}
		conn.Close()
		return
	}
	select {
	case s.ready <- tc:
	case <-s.ctx.Done():
		tc.Close()
	}
}

// serverConfig is a fresh config with the current certificate and CA pool
// (certfile re-reads them when they changed).
func (s *tlsStream) serverConfig() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		Certificates:     []tls.Certificate{*s.certs.Certificate()},
		ClientAuth:       tls.RequireAndVerifyClientCert, // chain to ClientCAs, client auth usage
		ClientCAs:        s.certs.Roots(),
		VerifyConnection: s.verifyPeerName,
	}
}

func (s *tlsStream) clientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{*s.certs.Certificate()},
		RootCAs:      s.certs.Roots(),
		ServerName:   s.peerName, // chain to RootCAs, server auth usage, and the name
	}
}

// verifyPeerName checks that a client's certificate (already verified
// against the CA) is a coordinator's: it names the peer name.
func (s *tlsStream) verifyPeerName(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("no client certificate")
	}
	if err := cs.PeerCertificates[0].VerifyHostname(s.peerName); err != nil {
		return fmt.Errorf("not a coordinator raft certificate: %w", err)
	}
	return nil
}

// Dial connects to a peer and completes the handshake within timeout.
func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: s.clientConfig()}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, "tcp", string(addr))
}

// Accept returns the next connection whose handshake succeeded.
func (s *tlsStream) Accept() (net.Conn, error) {
	select {
	case c := <-s.ready:
		return c, nil
	case <-s.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close stops accepting and waits for the handshakes in progress.
func (s *tlsStream) Close() error {
	var err error
	s.once.Do(func() {
		s.stop()
		err = s.ln.Close()
		s.wg.Wait()
	})
	return err
}

// Addr is the address peers reach this node at.
func (s *tlsStream) Addr() net.Addr { return s.advertise }
