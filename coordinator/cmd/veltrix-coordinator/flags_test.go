package main

import (
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/cluster"
)

// configFrom parses args and builds the node's configuration from them,
// as run does.
func configFrom(t *testing.T, args ...string) (*coordinator.Config, error) {
	t.Helper()
	o, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	return o.config(slog.New(slog.DiscardHandler))
}

// With no flags but -insecure-raft, a node gets the documented defaults,
// and its admin token and signing key are generated into the data
// directory once and reused on the next start.
func TestFlagDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg, err := configFrom(t, "-insecure-raft", "-data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	c, a := cfg.Cluster, cfg.API
	if cfg.Listen != "127.0.0.1:8080" || c.ID != "c1" || c.RaftAddr != "127.0.0.1:7000" || c.APIAddr != "" || c.DataDir != dir {
		t.Errorf("addresses: listen %q, id %q, raft %q, advertise %q, data %q", cfg.Listen, c.ID, c.RaftAddr, c.APIAddr, c.DataDir)
	}
	if c.Bootstrap || len(c.Peers) != 0 || c.LogStore != "" {
		t.Errorf("cluster: bootstrap %v, peers %v, log store %q", c.Bootstrap, c.Peers, c.LogStore)
	}
	if c.HeartbeatTimeout != 300*time.Millisecond || c.ElectionTimeout != 300*time.Millisecond || c.LeaderLeaseTimeout != 250*time.Millisecond {
		t.Errorf("raft timeouts: %v %v %v", c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout)
	}
	if c.SnapshotThreshold != 8192 || c.MaxInflightEntries != 2 {
		t.Errorf("snapshot threshold %d, in flight %d", c.SnapshotThreshold, c.MaxInflightEntries)
	}
	if a.LoadTTL != 30*time.Second || a.MaxPlayersPerEdge != 200_000 || a.MaxEdges != 1024 {
		t.Errorf("api limits: ttl %v, players %d, edges %d", a.LoadTTL, a.MaxPlayersPerEdge, a.MaxEdges)
	}
	if a.EdgeToken != "" || a.EdgeCredentials != nil || cfg.TLS != nil || a.Forward != nil {
		t.Errorf("edge token %q, credentials %v, TLS %v, forward %v: none asked for", a.EdgeToken, a.EdgeCredentials, cfg.TLS, a.Forward)
	}
	if len(a.AdminToken) < 32 || a.SigningKey == nil {
		t.Fatalf("generated admin token %q, signing key %v", a.AdminToken, a.SigningKey != nil)
	}
	for _, f := range []string{"admin-token", "token.key", "token.pub"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	again, err := configFrom(t, "-insecure-raft", "-data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.API.AdminToken != a.AdminToken || !again.API.SigningKey.Equal(a.SigningKey) {
		t.Error("a restart generated a new admin token or signing key instead of reading the stored ones")
	}
}

// Without -data-dir the node keeps its data in ./data/<id>.
func TestFlagDataDirFollowsID(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := configFrom(t, "-insecure-raft", "-id", "c7")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cluster.DataDir != filepath.Join("data", "c7") {
		t.Errorf("data dir %q", cfg.Cluster.DataDir)
	}
	if _, err := os.Stat(filepath.Join("data", "c7", "admin-token")); err != nil {
		t.Errorf("admin token not in data/c7: %v", err)
	}
}

// Every flag is mirrored by VELTRIX_<FLAG>; a flag on the command line wins
// over its variable.
func TestFlagEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("VELTRIX_INSECURE_RAFT", "true")
	t.Setenv("VELTRIX_DATA_DIR", dir)
	t.Setenv("VELTRIX_ID", "c2")
	t.Setenv("VELTRIX_API_ADDR", "127.0.0.1:9999")
	t.Setenv("VELTRIX_HEARTBEAT_TIMEOUT", "1s")
	t.Setenv("VELTRIX_MAX_EDGES", "5")
	t.Setenv("VELTRIX_PEERS", "c1=127.0.0.1:7001,c2=127.0.0.1:7002")
	t.Setenv("VELTRIX_ADMIN_TOKEN", "admin-from-env")
	cfg, err := configFrom(t, "-max-edges", "7")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Cluster
	if !c.InsecureRaft || c.DataDir != dir || c.ID != "c2" || cfg.Listen != "127.0.0.1:9999" || c.HeartbeatTimeout != time.Second {
		t.Errorf("from the environment: insecure %v, data %q, id %q, listen %q, heartbeat %v", c.InsecureRaft, c.DataDir, c.ID, cfg.Listen, c.HeartbeatTimeout)
	}
	want := []cluster.Peer{{ID: "c1", Addr: "127.0.0.1:7001"}, {ID: "c2", Addr: "127.0.0.1:7002"}}
	if !slices.Equal(c.Peers, want) {
		t.Errorf("peers %v, want %v", c.Peers, want)
	}
	if cfg.API.AdminToken != "admin-from-env" {
		t.Errorf("admin token %q", cfg.API.AdminToken)
	}
	if cfg.API.MaxEdges != 7 {
		t.Errorf("-max-edges 7 with VELTRIX_MAX_EDGES=5 gave %d: the flag must win", cfg.API.MaxEdges)
	}
}

// Bad values, from the command line or the environment, are refused with
// an error that names where they came from; -h is flag.ErrHelp.
func TestFlagBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // in the error
	}{
		{name: "unknown flag", args: []string{"-no-such-flag"}, want: "no-such-flag"},
		{name: "bad duration flag", args: []string{"-heartbeat-timeout", "fast"}, want: "heartbeat-timeout"},
		{name: "bad integer flag", args: []string{"-max-edges", "many"}, want: "max-edges"},
		{name: "negative snapshot threshold", args: []string{"-snapshot-threshold", "-1"}, want: "snapshot-threshold"},
		{name: "bad duration in environment", env: map[string]string{"VELTRIX_LOAD_TTL": "soon"}, want: `VELTRIX_LOAD_TTL="soon"`},
		{name: "bad bool in environment", env: map[string]string{"VELTRIX_BOOTSTRAP": "perhaps"}, want: "VELTRIX_BOOTSTRAP"},
		{name: "two bad variables", env: map[string]string{"VELTRIX_MAX_EDGES": "x", "VELTRIX_ELECTION_TIMEOUT": "y"}, want: "VELTRIX_MAX_EDGES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := parseFlags(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
			for k := range tc.env {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		if _, err := parseFlags([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("-h: %v", err)
		}
	})
}

// Settings that parse but cannot make a safe node are refused before
// anything starts.
func TestFlagRefusals(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "malformed peers", args: []string{"-peers", "c1=127.0.0.1:7001,c2"}, want: "-peers"},
		{name: "peer without address", args: []string{"-peers", "c1="}, want: "-peers"},
		{name: "edge token equal to admin token", args: []string{"-admin-token", "same", "-edge-token", "same"}, want: "must differ"},
		{name: "missing edge credentials", args: []string{"-edge-credentials", missing}, want: "missing"},
		{name: "missing TLS certificate", args: []string{"-tls-cert", missing, "-tls-key", missing}, want: "TLS certificate"},
		{name: "missing signing key", args: []string{"-signing-key", missing}, want: "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-insecure-raft", "-data-dir", t.TempDir()}, tc.args...)
			if _, err := configFrom(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
