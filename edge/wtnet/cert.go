package wtnet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"time"
)

// DevCertValidity is the lifetime of a development certificate. Browsers
// accept a certificate pinned by serverCertificateHashes only if it is ECDSA
// and valid for at most 14 days.
const DevCertValidity = 13 * 24 * time.Hour

// DevCerts issues self-signed ECDSA P-256 certificates for development and
// replaces the current one a day before it expires. Its hash is what a page
// passes as serverCertificateHashes.
type DevCerts struct {
	hosts []string
	now   func() time.Time

	mu   sync.Mutex // guards cert, hash, notAfter
	cert *tls.Certificate
	hash [32]byte
	exp  time.Time
}

// NewDevCerts returns a certificate source for hosts (names or IPs).
func NewDevCerts(hosts ...string) *DevCerts {
	return &DevCerts{hosts: hosts, now: time.Now}
}

// GetCertificate implements tls.Config.GetCertificate.
func (d *DevCerts) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.rotateLocked(); err != nil {
		return nil, err
	}
	return d.cert, nil
}

// Hash is the SHA-256 of the current certificate (DER).
func (d *DevCerts) Hash() ([32]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.rotateLocked()
	return d.hash, err
}

// rotateLocked issues a certificate when there is none or the current one
// expires within a day.
func (d *DevCerts) rotateLocked() error {
	now := d.now()
	if d.cert != nil && now.Before(d.exp.Add(-24*time.Hour)) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "veltrix dev edge"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(DevCertValidity - time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range d.hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	d.cert = &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	d.hash, d.exp = sha256.Sum256(der), tmpl.NotAfter
	return nil
}
