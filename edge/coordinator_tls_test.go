package edge_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/certfile"
	"github.com/veltrix/veltrix/coordinator/certfile/testpki"
	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol/token"
)

// An edge follows a coordinator that serves its API over mutual TLS: it
// trusts the coordinator's CA and presents its client certificate, both
// from files as -coordinator-ca, -coordinator-cert and -coordinator-key
// name them. Without the client certificate it cannot start.
func TestEdgeFollowsCoordinatorOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, "api CA")
	caFile := filepath.Join(dir, "ca.crt")
	testpki.WriteFile(t, caFile, ca.PEM())
	_, priv, _ := token.GenerateKey()
	c, err := coordinator.Start(coordinator.Config{
		Listen:  "127.0.0.1:0",
		Cluster: cluster.Config{ID: "tls", RaftAddr: "127.0.0.1:0", DataDir: t.TempDir(), Bootstrap: true, InsecureRaft: true},
		API:     api.Config{AdminToken: admin, SigningKey: priv},
		TLS: &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{ca.Issue(t, "coordinator", nil, x509.ExtKeyUsageServerAuth).TLS},
			ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if !strings.HasPrefix(c.URL(), "https://") {
		t.Fatalf("coordinator at %s", c.URL())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}

	start := func(files certfile.Files) (*edge.Edge, error) {
		src, err := certfile.Load(files, nil)
		if err != nil {
			t.Fatal(err)
		}
		return edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{c.URL()}, EdgeToken: admin,
			CoordinatorTLS: src.ClientConfig(), Transport: "netpoll", DisableWT: true})
	}
	if e, err := start(certfile.Files{CA: caFile}); err == nil {
		e.Close()
		t.Fatal("an edge without a client certificate started against a mutual-TLS coordinator")
	}

	cert, key := ca.Issue(t, "edge", nil, x509.ExtKeyUsageClientAuth).WriteFiles(t, dir, "edge")
	e, err := start(certfile.Files{Cert: cert, Key: key, CA: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	rep := e.Link.Replica()
	for {
		ch := rep.Changed()
		if rep.Staleness() >= 0 { // heard from the coordinator's event stream
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the edge never heard the coordinator's event stream over mutual TLS")
		}
	}
}
