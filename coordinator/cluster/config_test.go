package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

func TestParsePeers(t *testing.T) {
	ps, err := ParsePeers("c1=127.0.0.1:7000, c2=127.0.0.1:7001,")
	if err != nil || len(ps) != 2 || ps[1] != (Peer{ID: "c2", Addr: "127.0.0.1:7001"}) {
		t.Fatalf("ParsePeers = %v, %v", ps, err)
	}
	for _, bad := range []string{"c1", "=127.0.0.1:1", "c1="} {
		if _, err := ParsePeers(bad); err == nil {
			t.Errorf("ParsePeers(%q) accepted", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	err := (&Config{RaftAddr: "nope", LogStore: "rocks", Peers: []Peer{{ID: "x", Addr: "bad"}}}).Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"node id", "raft address", "data directory", "log store", "peer x"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !errors.Is(err, ErrNoRaftTLS) {
		t.Errorf("error %q: a config with neither raft TLS nor InsecureRaft is accepted", err)
	}
	good := Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: t.TempDir()}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := good.withDefaults(); d.MaxClaimBatch != 1024 || d.ApplyTimeout == 0 {
		t.Errorf("defaults %+v", d)
	}
}

// A given raft transport needs neither TLS nor the plain-TCP opt-in, takes
// peers in its own address form, and refuses the fields it makes unused.
func TestConfigValidateGivenTransport(t *testing.T) {
	_, tr := raft.NewInmemTransport("mem-a")
	mem := Config{ID: "a", DataDir: t.TempDir(), Transport: tr, Peers: []Peer{{ID: "a", Addr: "mem-a"}, {ID: "b", Addr: "mem-b"}}}
	if err := mem.Validate(); err != nil {
		t.Fatalf("config with an in-memory transport: %v", err)
	}
	for name, set := range map[string]func(*Config){
		"raft address":  func(c *Config) { c.RaftAddr = "127.0.0.1:0" },
		"raft TLS":      func(c *Config) { c.RaftTLS = &RaftTLS{CertFile: "c", KeyFile: "k", CAFile: "ca"} },
		"insecure raft": func(c *Config) { c.InsecureRaft = true },
	} {
		t.Run(name, func(t *testing.T) {
			c := mem
			set(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "must be empty") {
				t.Errorf("transport and %s: %v", name, err)
			}
		})
	}
}

// A second node on a data directory in use fails with a clear error (and
// does not crash).
func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	n, err := Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: dir, Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	_, err = Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: dir, Bootstrap: true})
	if err == nil || !strings.Contains(err.Error(), "another coordinator") {
		t.Fatalf("second node on the same directory: %v", err)
	}
}

// A data directory written by one log store is refused by the other, with
// the flag that opens it (taking it for an empty log would make the node
// forget its term and vote); without a store named, a node opens the one
// the directory holds, and wal for a new directory.
func TestDataDirOfTheOtherStore(t *testing.T) {
	for _, kinds := range [][2]string{{"bolt", "wal"}, {"wal", "bolt"}} {
		dir := t.TempDir()
		n, err := Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: dir, Bootstrap: true, LogStore: kinds[0]})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: dir, LogStore: kinds[1]})
		if err == nil || !strings.Contains(err.Error(), "-log-store="+kinds[0]) {
			t.Fatalf("%s directory opened as %s: %v", kinds[0], kinds[1], err)
		}
		for _, kind := range []string{kinds[0], ""} { // its own store, named or by default
			n, err = Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: dir, LogStore: kind})
			if err != nil {
				t.Fatalf("reopening the %s directory with -log-store=%q: %v", kinds[0], kind, err)
			}
			if got := n.Status().LogStore; got != kinds[0] {
				t.Errorf("%s directory opened with -log-store=%q uses %s", kinds[0], kind, got)
			}
			n.Close()
		}
	}
	n, err := Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", InsecureRaft: true, DataDir: t.TempDir(), Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := n.Status().LogStore; got != "wal" {
		t.Errorf("a new data directory uses %s, want wal", got)
	}
}
