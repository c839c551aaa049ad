package coordinator_test

import (
	"crypto/x509"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/certfile/testpki"
	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/coordinator/fsm"
)

// The binary refuses to start without raft certificates, naming the flags.
func TestBinaryRefusesPlainRaft(t *testing.T) {
	cmd := exec.Command(coordinatorBin, "-data-dir", t.TempDir(), "-raft-addr", "127.0.0.1:0", "-api-addr", "127.0.0.1:0", "-bootstrap")
	cmd.Env = []string{} // no VELTRIX_* from the test's environment
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, output %s", err, out)
	}
	for _, want := range []string{"-raft-tls-cert", "-raft-tls-key", "-raft-tls-ca", "-insecure-raft"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q does not name %s", out, want)
		}
	}
}

// Three processes of the binary elect a leader and replicate over raft
// mutual TLS, with the certificates named by flags.
func TestProcessClusterOverRaftTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, "raft CA")
	caFile := filepath.Join(dir, "ca.crt")
	testpki.WriteFile(t, caFile, ca.PEM())
	cert, key := ca.Issue(t, "coordinator", []string{cluster.DefaultRaftPeerName},
		x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth).WriteFiles(t, dir, "raft")
	c := newCluster(t, 3, "-raft-tls-cert", cert, "-raft-tls-key", key, "-raft-tls-ca", caFile)
	lead := c.leader(15 * time.Second)
	c.createHunt(lead, 5, fsm.RespawnNone)
	c.sameState(15 * time.Second)
	for _, p := range c.procs {
		if strings.Contains(p.log.String(), "refused at the TLS handshake") {
			t.Errorf("%s refused a peer: %s", p.id, lastLines(p.log.String(), 5))
		}
	}
}
