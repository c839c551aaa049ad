package cluster

import (
	"strings"
	"testing"
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
	good := Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: t.TempDir()}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := good.withDefaults(); d.LogStore != "bolt" || d.MaxClaimBatch != 1024 || d.ApplyTimeout == 0 {
		t.Errorf("defaults %+v", d)
	}
}

// A second node on a data directory in use fails with a clear error (and
// does not crash).
func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	n, err := Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: dir, Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	_, err = Open(Config{ID: "a", RaftAddr: "127.0.0.1:0", DataDir: dir, Bootstrap: true})
	if err == nil || !strings.Contains(err.Error(), "another coordinator") {
		t.Fatalf("second node on the same directory: %v", err)
	}
}
