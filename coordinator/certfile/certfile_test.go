package certfile

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/certfile/testpki"
)

// touch steps a file's times forward: a rewrite within the file system's
// timestamp granularity, at the same size, would otherwise look unchanged.
func touch(t *testing.T, path string, d time.Duration) {
	t.Helper()
	at := time.Now().Add(d)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func leafDER(s *Source) []byte { return s.Certificate().Certificate[0] }

func TestReloadOnChange(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, "ca1")
	first := ca.Issue(t, "a", nil, x509.ExtKeyUsageClientAuth)
	certPath, keyPath := first.WriteFiles(t, dir, "node")
	caPath := filepath.Join(dir, "ca.crt")
	testpki.WriteFile(t, caPath, ca.PEM())
	s, err := Load(Files{Cert: certPath, Key: keyPath, CA: caPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(leafDER(s), first.TLS.Certificate[0]) || s.Reloads() != 0 {
		t.Fatal("Load did not load the first certificate")
	}

	// Unchanged files are not re-read.
	s.Certificate()
	s.Roots()
	if s.Reloads() != 0 {
		t.Fatalf("%d reloads of unchanged files", s.Reloads())
	}

	// Half a rotation: the new certificate, the old key. The old pair stays.
	second := ca.Issue(t, "a", nil, x509.ExtKeyUsageClientAuth)
	testpki.WriteFile(t, certPath, second.CertPEM)
	touch(t, certPath, time.Minute)
	if !bytes.Equal(leafDER(s), first.TLS.Certificate[0]) {
		t.Fatal("a mismatched certificate and key replaced the good pair")
	}

	// The key follows: the new pair is served.
	testpki.WriteFile(t, keyPath, second.Key)
	touch(t, keyPath, time.Minute)
	if !bytes.Equal(leafDER(s), second.TLS.Certificate[0]) {
		t.Fatal("the rotated pair is not served")
	}

	// A new CA bundle (old and new CA) replaces the pool.
	ca2 := testpki.NewCA(t, "ca2")
	testpki.WriteFile(t, caPath, append(ca.PEM(), ca2.PEM()...))
	touch(t, caPath, 2*time.Minute)
	third := ca2.Issue(t, "b", nil, x509.ExtKeyUsageClientAuth)
	if _, err := third.TLSLeaf(t).Verify(x509.VerifyOptions{Roots: s.Roots(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("the rotated CA bundle is not trusted: %v", err)
	}

	// A bundle that is not PEM keeps the previous pool.
	testpki.WriteFile(t, caPath, []byte("garbage"))
	touch(t, caPath, 3*time.Minute)
	if s.Roots() == nil {
		t.Fatal("a broken CA bundle emptied the pool")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	testpki.WriteFile(t, garbage, []byte("not PEM"))
	for name, f := range map[string]Files{
		"cert without key": {Cert: garbage},
		"missing files":    {Cert: filepath.Join(dir, "none.crt"), Key: filepath.Join(dir, "none.key")},
		"garbage pair":     {Cert: garbage, Key: garbage},
		"garbage CA":       {CA: garbage},
	} {
		if _, err := Load(f, nil); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
