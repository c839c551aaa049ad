// Package certfile serves a TLS certificate, its key and a CA bundle from
// PEM files and follows the files as operators rotate them: every call
// stats the files and re-reads them when one changed (modification time or
// size), so a new certificate takes effect at the next TLS handshake, with
// no restart and no signal. A rotation that leaves the files inconsistent
// for a moment (the certificate written, its key not yet) keeps the last
// good pair and retries at the next handshake.
//
// The coordinator's raft transport (coordinator/cluster) and the edge's
// client to the coordinator API (edge/cmd/veltrix-edge) use it.
package certfile

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files names the PEM files of a Source. Cert and Key go together; CA is a
// bundle of one or more CA certificates. Either half may be empty.
type Files struct {
	Cert, Key, CA string
}

// stamp identifies one version of a file.
type stamp struct {
	mod  time.Time
	size int64
}

func stat(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{fi.ModTime(), fi.Size()}, nil
}

// Source is a certificate and a CA pool loaded from Files, reloaded when
// the files change. It is safe for concurrent use.
type Source struct {
	files Files
	log   *slog.Logger

	mu        sync.Mutex // guards the following fields
	pairStamp [2]stamp
	caStamp   stamp
	cert      *tls.Certificate
	roots     *x509.CertPool
	reloads   uint64
}

// Load reads f, failing if any named file is missing or malformed. log
// (nil: discard) hears of later reloads and of reloads that failed.
func Load(f Files, log *slog.Logger) (*Source, error) {
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("a certificate and its key go together: give both files or neither")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{files: f, log: log}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadPairLocked(); err != nil {
		return nil, err
	}
	if err := s.reloadCALocked(); err != nil {
		return nil, err
	}
	s.reloads = 0
	return s, nil
}

// Certificate returns the current certificate (nil when Files has none),
// re-reading the pair first if either file changed.
func (s *Source) Certificate() *tls.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadPairLocked(); err != nil {
		s.log.Warn("cannot reload the TLS certificate; keeping the previous one", "cert", s.files.Cert, "err", err)
	}
	return s.cert
}

// Roots returns the current CA pool (nil when Files has no CA), re-reading
// the bundle first if it changed.
func (s *Source) Roots() *x509.CertPool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadCALocked(); err != nil {
		s.log.Warn("cannot reload the CA bundle; keeping the previous one", "ca", s.files.CA, "err", err)
	}
	return s.roots
}

// Reloads counts the reloads since Load that changed the certificate or
// the pool.
func (s *Source) Reloads() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloads
}

func (s *Source) reloadPairLocked() error {
	if s.files.Cert == "" {
		return nil
	}
	var st [2]stamp
	var err error
	if st[0], err = stat(s.files.Cert); err != nil {
		return err
	}
	if st[1], err = stat(s.files.Key); err != nil {
		return err
	}
	if s.cert != nil && st == s.pairStamp {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(s.files.Cert, s.files.Key)
	if err != nil {
		return fmt.Errorf("cannot load the certificate %s and key %s: %w", s.files.Cert, s.files.Key, err)
	}
	if s.cert != nil {
		s.log.Info("TLS certificate reloaded", "cert", s.files.Cert)
	}
	s.cert, s.pairStamp = &cert, st
	s.reloads++
	return nil
}

func (s *Source) reloadCALocked() error {
	if s.files.CA == "" {
		return nil
	}
	st, err := stat(s.files.CA)
	if err != nil {
		return err
	}
	if s.roots != nil && st == s.caStamp {
		return nil
	}
	pem, err := os.ReadFile(s.files.CA)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no PEM certificates in the CA bundle %s", s.files.CA)
	}
	if s.roots != nil {
		s.log.Info("CA bundle reloaded", "ca", s.files.CA)
	}
	s.roots, s.caStamp = pool, st
	s.reloads++
	return nil
}

// ClientConfig returns a TLS 1.3 client configuration that presents the
// current certificate (if any; re-read at each handshake) and trusts the CA
// bundle as loaded now (the system roots when Files has none).
func (s *Source) ClientConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: s.Roots()}
	if s.files.Cert != "" {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return s.Certificate(), nil }
	}
	return c
}
