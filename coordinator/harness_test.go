package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol/token"
)

// The cluster tests run real coordinator processes on loopback, with real
// raft logs on disk, and kill them with SIGKILL.

var coordinatorBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "veltrix-coordinator-bin")
	if err != nil {
		panic(err)
	}
	coordinatorBin = filepath.Join(dir, "veltrix-coordinator")
	args := []string{"build", "-o", coordinatorBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/veltrix-coordinator")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build veltrix-coordinator:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminToken = "test-admin-token"

// proc is one coordinator process and the addresses it keeps across restarts.
type proc struct {
	id, raft, api, dir string
	cmd                *exec.Cmd
	done               chan struct{}
	log                *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testCluster struct {
	t     testing.TB
	mu    sync.Mutex // guards procs[i].cmd: claim goroutines read it while the test kills
	procs []*proc
	key   string // signing key file
	http  *http.Client
}

// freeAddrs reserves n loopback ports.
func freeAddrs(t testing.TB, n int) []string {
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// newCluster starts n voters bootstrapped together.
func newCluster(t testing.TB, n int, extra ...string) *testCluster {
	c := &testCluster{t: t, http: &http.Client{Timeout: 30 * time.Second}} // a hang guard: a busy machine answers late
	_, priv, _ := token.GenerateKey()
	pem, _ := token.EncodePrivateKey(priv)
	c.key = filepath.Join(t.TempDir(), "token.key")
	if err := os.WriteFile(c.key, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := freeAddrs(t, 2*n)
	var peers []string
	for i := range n {
		p := &proc{id: fmt.Sprintf("c%d", i+1), raft: addrs[2*i], api: addrs[2*i+1], dir: t.TempDir()}
		c.procs = append(c.procs, p)
		peers = append(peers, p.id+"="+p.raft)
	}
	for i := range c.procs {
		c.start(i, append([]string{"-bootstrap", "-peers", strings.Join(peers, ",")}, extra...)...)
	}
	t.Cleanup(func() {
		for i, p := range c.procs {
			c.kill(i)
			if t.Failed() {
				t.Logf("log of %s:\n%s", p.id, lastLines(p.log.String(), 30))
			}
		}
	})
	return c
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (c *testCluster) start(i int, extra ...string) {
	p := c.procs[i]
	args := append([]string{"-id", p.id, "-raft-addr", p.raft, "-api-addr", p.api, "-data-dir", p.dir,
		"-admin-token", adminToken, "-signing-key", c.key, "-log-level", "warn",
		"-heartbeat-timeout", "200ms", "-election-timeout", "200ms", "-leader-lease-timeout", "150ms"}, extra...)
	if !slices.Contains(extra, "-raft-tls-cert") {
		args = append(args, "-insecure-raft") // loopback test clusters; raft_tls_test.go runs one over TLS
	}
	cmd := exec.Command(coordinatorBin, args...)
	if p.log == nil {
		p.log = &lockedBuffer{}
	}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	c.mu.Lock()
	p.cmd, p.done = cmd, done
	c.mu.Unlock()
}

// kill stops process i with SIGKILL: no shutdown, no flush.
func (c *testCluster) kill(i int) { c.signal(i, syscall.SIGKILL) }

// stop stops process i with SIGTERM.
func (c *testCluster) stop(i int) { c.signal(i, syscall.SIGTERM) }

func (c *testCluster) signal(i int, sig syscall.Signal) {
	c.mu.Lock()
	p := c.procs[i]
	cmd, done := p.cmd, p.done
	p.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	<-done
}

func (c *testCluster) url(i int) string { return "http://" + c.procs[i].api }

// call does an admin request against node i and decodes a JSON answer.
func (c *testCluster) call(ctx context.Context, i int, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(i)+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s on %s: %s: %s", method, path, c.procs[i].id, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// eventually polls cond every 20 ms until it holds or timeout passes. It
// waits on an observable condition of other processes, which offer no
// event to wait on; it never stands in for ordering inside this process.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

type clusterStatus struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Leader    string `json:"leader"`
	LeaderAPI string `json:"leader_api"`
	Servers   []struct {
		ID string `json:"id"`
	} `json:"servers"`
}

// leader waits until a running node leads and every running node knows it
// with its API address; it returns the leader's index.
func (c *testCluster) leader(timeout time.Duration) int {
	c.t.Helper()
	lead := -1
	eventually(c.t, timeout, "a leader known to every running node", func() bool {
		lead = -1
		for _, i := range c.running() {
			var st clusterStatus
			if _, err := c.call(context.Background(), i, "GET", "/v1/cluster", nil, &st); err != nil || st.Leader == "" || st.LeaderAPI == "" {
				return false
			}
			if st.State == "Leader" {
				lead = i
			}
		}
		return lead >= 0
	})
	return lead
}

func (c *testCluster) running() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for i, p := range c.procs {
		if p.cmd != nil {
			out = append(out, i)
		}
	}
	return out
}

// sameState waits until every running node has applied the same index with
// the same state digest.
func (c *testCluster) sameState(timeout time.Duration) {
	c.t.Helper()
	eventually(c.t, timeout, "identical replica states", func() bool {
		var first string
		for _, i := range c.running() {
			var d struct {
				Applied uint64 `json:"applied_index"`
				SHA     string `json:"sha256"`
			}
			if _, err := c.call(context.Background(), i, "GET", "/v1/cluster/state", nil, &d); err != nil {
				return false
			}
			got := fmt.Sprintf("%d/%s", d.Applied, d.SHA)
			if first == "" {
				first = got
			} else if got != first {
				return false
			}
		}
		return true
	})
}
