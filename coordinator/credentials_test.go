package coordinator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/api"
)

// TestEdgeTokenEqualToAdminTokenRefused: the binary refuses to start when
// -edge-token is the admin token (issue 12 item 14; it used to default to
// it), or when the credentials file gives an edge the admin token.
func TestEdgeTokenEqualToAdminTokenRefused(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "edges")
	if err := os.WriteFile(creds, []byte("e1 "+api.HashToken(adminToken)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, flags := range [][]string{{"-edge-token", adminToken}, {"-edge-credentials", creds}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		addrs := freeAddrs(t, 2)
		cmd := exec.CommandContext(ctx, coordinatorBin, append([]string{"-id", "c1", "-bootstrap", "-raft-addr", addrs[0], "-api-addr", addrs[1],
			"-data-dir", t.TempDir(), "-admin-token", adminToken, "-insecure-raft"}, flags...)...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), "admin token") {
			t.Errorf("%v: exit %v, output %q; want a refusal naming the admin token", flags, err, out)
		}
	}
}

// TestEdgeCredentialsReloadOnSIGHUP rotates an edge's token in the
// credentials file of a running node: after SIGHUP the new token works and,
// once its line is gone, the old one does not.
func TestEdgeCredentialsReloadOnSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edges")
	write := func(lines ...string) {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("edge-a " + api.HashToken("old-token"))
	c := newCluster(t, 1, "-edge-credentials", path)
	c.leader(15 * time.Second)
	whoami := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", c.url(0)+"/v1/edge/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var id api.Identity
		_ = json.NewDecoder(resp.Body).Decode(&id)
		return resp.StatusCode, id.Edge
	}
	if code, id := whoami("old-token"); code != http.StatusOK || id != "edge-a" {
		t.Fatalf("old token: %d %q", code, id)
	}
	hup := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if err := c.procs[0].cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	write("edge-a "+api.HashToken("old-token"), "edge-a "+api.HashToken("new-token"))
	hup()
	eventually(t, 10*time.Second, "the new token accepted", func() bool { code, id := whoami("new-token"); return code == http.StatusOK && id == "edge-a" })
	write("edge-a " + api.HashToken("new-token"))
	hup()
	eventually(t, 10*time.Second, "the old token refused", func() bool { code, _ := whoami("old-token"); return code == http.StatusUnauthorized })
	if code, _ := whoami("new-token"); code != http.StatusOK {
		t.Errorf("new token after rotation: %d", code)
	}
}
