package main

import (
	"log/slog"
	"strings"
	"testing"
)

// Without raft certificates the node refuses to start, naming the flags,
// unless -insecure-raft is given; the certificates also come from the
// environment.
func TestRaftTLSFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	o, err := parseFlags([]string{"-data-dir", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.config(log)
	if err == nil {
		t.Fatal("a node without raft certificates would start")
	}
	for _, want := range []string{"-raft-tls-cert", "-raft-tls-key", "-raft-tls-ca", "VELTRIX_RAFT_TLS_CERT", "-insecure-raft"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}

	o, _ = parseFlags([]string{"-data-dir", t.TempDir(), "-insecure-raft"})
	cfg, err := o.config(log)
	if err != nil || !cfg.Cluster.InsecureRaft || cfg.Cluster.RaftTLS != nil {
		t.Fatalf("-insecure-raft: %v, %+v", err, cfg)
	}

	o, _ = parseFlags([]string{"-data-dir", t.TempDir(), "-insecure-raft", "-raft-tls-ca", "ca.pem"})
	if _, err := o.config(log); err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Errorf("-insecure-raft with a raft CA: %v", err)
	}

	t.Setenv("VELTRIX_RAFT_TLS_CERT", "node.crt")
	t.Setenv("VELTRIX_RAFT_TLS_KEY", "node.key")
	t.Setenv("VELTRIX_RAFT_TLS_CA", "ca.crt")
	o, _ = parseFlags([]string{"-data-dir", t.TempDir()})
	cfg, err = o.config(log)
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Cluster.RaftTLS; r == nil || r.CertFile != "node.crt" || r.KeyFile != "node.key" || r.CAFile != "ca.crt" || r.PeerName != "veltrix-raft" || cfg.Cluster.InsecureRaft {
		t.Errorf("raft TLS from the environment: %+v", r)
	}
}
