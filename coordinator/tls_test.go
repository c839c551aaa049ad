package coordinator_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/certfile/testpki"
	"github.com/veltrix/veltrix/coordinator/cluster"
)

func TestMutualTLS(t *testing.T) {
	ca := testpki.NewCA(t, "veltrix test CA")
	srvCert := ca.Issue(t, "coordinator", nil, x509.ExtKeyUsageServerAuth).TLS
	c, err := coordinator.Start(coordinator.Config{
		Listen:  "127.0.0.1:0",
		Cluster: cluster.Config{ID: "tls", RaftAddr: "127.0.0.1:0", DataDir: t.TempDir(), Bootstrap: true, InsecureRaft: true},
		API:     api.Config{AdminToken: "t"},
		TLS: &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: ca.Pool(),
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	get := func(certs []tls.Certificate) (*http.Response, error) {
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: certs}}}
		return cl.Get(c.URL() + "/healthz")
	}
	if resp, err := get(nil); err == nil {
		resp.Body.Close()
		t.Fatal("a client without a certificate was served")
	}
	clientCert := ca.Issue(t, "edge", nil, x509.ExtKeyUsageClientAuth).TLS
	resp, err := get([]tls.Certificate{clientCert})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || c.URL()[:8] != "https://" {
		t.Fatalf("with a client certificate: %s at %s", resp.Status, c.URL())
	}
}
