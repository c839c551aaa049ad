package ringclient

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/veltrix/veltrix/internal/testkit"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// childEnv makes the test binary a client under a soft RLIMIT_NOFILE of
// lowLimit, connecting manyConns players to the address it holds.
const (
	childEnv  = "VELTRIX_RINGCLIENT_CHILD"
	lowLimit  = 1024
	manyConns = 3000
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(childEnv); addr != "" {
		os.Exit(lowLimitClient(addr))
	}
	os.Exit(m.Run())
}

// lowLimitClient opens manyConns sessions and says how many opened, with
// how many ordinary fds and rings; then it waits for stdin to close.
func lowLimitClient(addr string) int {
	if err := uring.LowerOpenFileLimit(lowLimit); err != nil {
		fmt.Println("setrlimit:", err)
		return 1
	}
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	e, err := New(Config{Server: [4]byte(ta.IP.To4()), Port: ta.Port, Host: addr, Path: "/ws", Conns: manyConns})
	if err != nil {
		fmt.Println("engine:", err)
		return 1
	}
	defer e.Close()
	hello := protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Hunt: 1, Token: protocol.Text("t")})
	var ok, failed atomic.Int64
	done := make(chan struct{}, manyConns)
	for i := range manyConns {
		e.Dial(i, [4]byte{127, 0, 0, byte(2 + i%8)}, hello, Conn{
			Open: func(_ Handle, err error) {
				if err != nil {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
				done <- struct{}{}
			},
			Frame: func([]byte) {},
		})
	}
	for range manyConns {
		<-done
	}
	fds, _ := uring.OpenFds()
	fmt.Printf("opened %d failed %d fds %d rings %d limit %d\n", ok.Load(), failed.Load(), fds, len(e.rings), uring.OpenFileLimit())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestBeyondTheSoftLimit: a client process whose soft RLIMIT_NOFILE is
// 1,024 holds 3,000 sessions with the stub (here, on ordinary fds) on
// direct descriptors: 3 rings, a handful of ordinary fds.
func TestBeyondTheSoftLimit(t *testing.T) {
	addr := edgeStub(t)
	child := testkit.Child(t, childEnv+"="+addr.String())
	defer func() {
		if err := child.Close(); err != nil {
			t.Errorf("client process: %v", err)
		}
	}()
	line, err := child.Out.ReadString('\n')
	var opened, failed, fds, rings, limit int
	if _, serr := fmt.Sscanf(strings.TrimSpace(line), "opened %d failed %d fds %d rings %d limit %d", &opened, &failed, &fds, &rings, &limit); serr != nil {
		t.Fatalf("client said %q (%v, %v)", line, err, serr)
	}
	if opened != manyConns || failed != 0 || limit != lowLimit || rings != 3 || fds > 100 {
		t.Fatalf("client: %d opened, %d failed, %d fds, %d rings under a soft limit of %d; want %d sessions beyond the limit on few fds",
			opened, failed, fds, rings, limit, manyConns)
	}
}
