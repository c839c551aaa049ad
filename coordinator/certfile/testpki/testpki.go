// Package testpki issues throwaway CAs and certificates for tests: raft
// and API mutual TLS, forgers with certificates from another CA. Only
// tests import it.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

var serial atomic.Int64

// CA is a self-signed certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA returns a fresh CA named name.
func NewCA(tb testing.TB, name string) *CA {
	tb.Helper()
	tmpl := template(name)
	tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	key, der := sign(tb, tmpl, nil, nil)
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, key: key}
}

func template(name string) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
}

// sign makes a key and signs tmpl with it by parent (nil: self-signed).
func sign(tb testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		tb.Fatal(err)
	}
	return key, der
}

// Pool is a pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// PEM is the CA certificate in PEM.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Leaf is an issued certificate and its key.
type Leaf struct {
	TLS          tls.Certificate
	CertPEM, Key []byte // PEM
}

// Issue signs a certificate for name with the DNS names and key usages
// given, valid for 127.0.0.1 too.
func (ca *CA) Issue(tb testing.TB, name string, dns []string, usages ...x509.ExtKeyUsage) *Leaf {
	tb.Helper()
	tmpl := template(name)
	tmpl.KeyUsage, tmpl.ExtKeyUsage, tmpl.DNSNames = x509.KeyUsageDigitalSignature, usages, dns
	tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	key, der := sign(tb, tmpl, ca.Cert, ca.key)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return &Leaf{
		TLS:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}
}

// WriteFiles writes the leaf's certificate and key as <dir>/<prefix>.crt
// and .key and returns their paths.
func (l *Leaf) WriteFiles(tb testing.TB, dir, prefix string) (cert, key string) {
	tb.Helper()
	cert, key = filepath.Join(dir, prefix+".crt"), filepath.Join(dir, prefix+".key")
	WriteFile(tb, cert, l.CertPEM)
	WriteFile(tb, key, l.Key)
	return cert, key
}

// WriteFile writes b to path (mode 0600), failing the test on error.
func WriteFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// TLSLeaf is the parsed leaf certificate.
func (l *Leaf) TLSLeaf(tb testing.TB) *x509.Certificate {
	tb.Helper()
	c, err := x509.ParseCertificate(l.TLS.Certificate[0])
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
