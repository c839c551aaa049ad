package ringnet

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
	"github.com/veltrix/veltrix/internal/testkit"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol/token"
)

// upgradeReq is a minimal WebSocket upgrade request for /ws.
const upgradeReq = "GET /ws HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// dialUpgrade opens a connection, sends an upgrade and returns it with the
// status line of the answer.
func dialUpgrade(t testing.TB, addr string) (net.Conn, string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second)) // a lost answer fails instead of hanging
	if _, err := io.WriteString(nc, upgradeReq); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		nc.Close()
		t.Fatalf("upgrade answer: %v", err)
	}
	return nc, resp.Status
}

// TestFullTableRefusesCleanly: one ring, MaxConns 2, a table of 10 slots
// (8 headroom). The third upgrade is answered 503 and counted (plain HTTP
// still goes to net/http); eight
// silent ones use up the headroom, so the next accept finds the table full
// (-ENFILE: counted, the kernel closes that connection) — and the accept
// comes back as soon as a slot is freed, without a stall.
func TestFullTableRefusesCleanly(t *testing.T) {
	_, srv, _, _ := keyed(t, Config{Rings: 1, MaxConns: 2, tableSlots: 10, HelloTimeout: time.Minute}, core.Config{})
	addr := srv.Addr().String()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })}
	go func() { _ = hs.Serve(srv.Listener()) }()
	t.Cleanup(func() { _ = hs.Close() })
	var ws []net.Conn
	for range 2 {
		nc, status := dialUpgrade(t, addr)
		defer nc.Close()
		if !strings.HasPrefix(status, "101") {
			t.Fatalf("connection within MaxConns: %s", status)
		}
		ws = append(ws, nc)
	}
	nc, status := dialUpgrade(t, addr)
	nc.Close()
	if !strings.HasPrefix(status, "503") || srv.Stats().Refused != 1 {
		t.Fatalf("connection over MaxConns: %s, refused %d; want 503, 1", status, srv.Stats().Refused)
	}
	testkit.Until(t, "the refused connection's slot freed", func() bool { return srv.Stats().Slots == 2 })
	var silent []net.Conn
	for range Headroom(10) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		silent = append(silent, nc)
	}
	testkit.Until(t, "the silent connections in the headroom", func() bool { return srv.Stats().Slots == srv.Stats().TableSlots })
	if st := srv.Stats(); st.TableFull != 0 || st.Refused != 1 {
		t.Fatalf("stats %+v: want a full table, no accept failed yet, one refusal", st)
	}
	lost, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer lost.Close()
	testkit.Until(t, "a full table counted", func() bool { return srv.Stats().TableFull == 1 })
	_ = lost.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := lost.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection a full table met is open")
	}
	// One silent client asks: 503, its slot freed, the accept re-armed.
	if _, err := io.WriteString(silent[0], upgradeReq); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(silent[0]), nil); err != nil || resp.StatusCode != 503 {
		t.Fatalf("a refused connection's request: %v, %v; want 503", resp, err)
	}
	nc, status = dialUpgrade(t, addr)
	nc.Close()
	if !strings.HasPrefix(status, "503") {
		t.Fatalf("after a slot was freed: %s; want the accept back (503: still 2 players)", status)
	}
	// A player leaves: the next one gets in.
	ws[0].Close()
	// Its admission is given back when its slot is released (after the
	// close's final completions), a little after the session ends.
	testkit.Until(t, "the player's slot released", func() bool { return srv.Conns() == 1 && srv.fds.Load() == 1 })
	nc, status = dialUpgrade(t, addr)
	defer nc.Close()
	if !strings.HasPrefix(status, "101") {
		t.Fatalf("after a player left: %s; want 101", status)
	}
	if st := srv.Stats(); st.TableFull != 1 || st.Refused != 3 {
		t.Fatalf("stats %+v: want 1 table_full, 3 refused", st)
	}
	// Full again (MaxConns players): plain HTTP still reaches net/http.
	resp, err := http.Get("http://" + addr + "/status")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("plain HTTP at MaxConns: %v, %v; want net/http's answer", resp, err)
	}
	resp.Body.Close()
}

// childEnv makes the test binary a ringnet server under a soft
// RLIMIT_NOFILE of 1,024 (TestMain).
const childEnv = "VELTRIX_RINGNET_LOWLIMIT_CHILD"

// beyondLimit is how many connections TestBeyondTheSoftLimit holds under a
// soft limit of lowLimit.
const (
	beyondLimit = 3000
	lowLimit    = 1024
)

// lowLimitServer lowers the soft limit, serves until stdin closes, and
// answers GET /stats (through the hand-off to net/http) with its open
// WebSocket connections, rings and open ordinary fds.
func lowLimitServer() int {
	if err := uring.LowerOpenFileLimit(lowLimit); err != nil {
		fmt.Println("setrlimit:", err)
		return 1
	}
	ls, err := Listen(Config{Listen: "127.0.0.1:0", MaxConns: beyondLimit + 8, HelloTimeout: 5 * time.Minute, IdleTimeout: 5 * time.Minute})
	if err != nil {
		fmt.Println("ringnet:", err)
		return 1
	}
	pub, _, _ := token.GenerateKey()
	c, err := core.New(core.Config{PublicKey: pub, Hunts: wstest.OneHunt{}})
	if err != nil {
		ls.Close()
		fmt.Println("core:", err)
		return 1
	}
	srv, err := New(c, ls)
	if err != nil {
		fmt.Println("ringnet:", err)
		return 1
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fds, _ := uring.OpenFds()
		fmt.Fprintf(w, "conns %d rings %d fds %d limit %d\n", srv.Conns(), srv.Stats().Rings, fds, uring.OpenFileLimit())
	})}
	go func() { _ = hs.Serve(srv.Listener()) }()
	fmt.Println("listening", srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Shutdown()
	return 0
}

// TestBeyondTheSoftLimit: a server process whose soft RLIMIT_NOFILE is
// 1,024 holds 3,000 WebSocket connections on direct descriptors (Plan gave
// it 4 rings of 1,024 slots), with a handful of ordinary fds, and still
// hands plain HTTP to net/http.
func TestBeyondTheSoftLimit(t *testing.T) {
	child := testkit.Child(t, childEnv+"=1")
	t.Cleanup(func() {
		if err := child.Close(); err != nil {
			t.Errorf("server process: %v", err)
		}
	})
	out := child.Out
	line, err := out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("server process said %q, %v", line, err)
	}
	conns := make([]net.Conn, beyondLimit)
	var wg sync.WaitGroup
	errs := make(chan string, beyondLimit)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < beyondLimit; i += 8 {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err.Error()
					return
				}
				conns[i] = nc
				_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
				if _, err := io.WriteString(nc, upgradeReq); err != nil {
					errs <- err.Error()
					return
				}
				if resp, err := http.ReadResponse(bufio.NewReader(nc), nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
					errs <- fmt.Sprintf("connection %d: %v, %v", i, resp, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	t.Cleanup(func() {
		for _, nc := range conns {
			if nc != nil {
				nc.Close()
			}
		}
	})
	for e := range errs {
		t.Fatal(e)
	}
	resp, err := http.Get("http://" + addr + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var n, rings, fds, limit int
	if _, err := fmt.Sscanf(string(b), "conns %d rings %d fds %d limit %d", &n, &rings, &fds, &limit); err != nil {
		t.Fatalf("stats %q: %v", b, err)
	}
	if n != beyondLimit || limit != lowLimit || rings < (beyondLimit+lowLimit-1)/(lowLimit-Headroom(lowLimit)) || fds > 100 {
		t.Fatalf("server: %d connections, %d rings, %d open fds under a soft limit of %d; want %d connections beyond the limit, on few fds",
			n, rings, fds, limit, beyondLimit)
	}
}
