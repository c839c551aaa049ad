package wstest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/internal/testkit"
	"github.com/veltrix/veltrix/protocol"
)

// flood sends c batches of 200 PINGs, reading nothing, until stop is
// closed or a send fails (the connection ended); done is closed then. It
// never touches the test: a send that blocks ends with the connection.
func flood(c Client, stop <-chan struct{}) (done <-chan struct{}) {
	var batch []byte
	for i := range 200 {
		batch = protocol.AppendPing(batch, &protocol.Ping{Time: uint64(i)})
	}
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c.Send(batch) != nil {
				return
			}
		}
	}()
	return flooded
}

// testPingFlood: a client floods PINGs and reads nothing. The flood is
// rate_limited (non-fatal, excess dropped) and, once the PONGs it let
// through fill the client's buffers, the client is too_slow. When it reads
// at last it finds the rate_limited ERROR, the too_slow ERROR and the
// close — not a connection cut mid-stream — where the transport keeps room
// for them (Caps.TooSlowError); a stuck WebTransport stream ends with the
// session's code alone.
func testPingFlood(t *testing.T, s suite) {
	e := newEdge(t, s, Options{WriteTimeout: 300 * time.Millisecond, MaxBacklog: 16 << 10, CloseLinger: 10 * time.Second},
		func(c *core.Config) { c.MessageRate, c.MessageBurst = 20000, 500 })
	c := e.dial()
	e.hello(c, 1)
	stop := make(chan struct{})
	flooded := flood(c, stop)
	testkit.Until(t, "the flooder to be closed too_slow", func() bool { return e.core.Snapshot().Closes[protocol.CodeTooSlow] > 0 })
	close(stop)
	<-flooded
	if e.core.Snapshot().Drops[core.DropMessageFlood] == 0 {
		t.Error("no message of the flood was dropped (no message_flood drops)")
	}
	code, errs := closeAndErrors(t, c)
	if code != protocol.CodeTooSlow {
		t.Errorf("closed %v, want too_slow", code)
	}
	if e.kind.Caps().TooSlowError && (len(errs) < 2 || errs[0] != protocol.CodeRateLimited || !lastIs(errs, protocol.CodeTooSlow)) {
		t.Errorf("ERRORs %v, want rate_limited first and too_slow last", errs)
	}
}

// testOversizedHead: an upgrade request with megabytes of headers is
// answered 431 (as net/http answers any request), never upgraded.
func testOversizedHead(t *testing.T, s suite) {
	e := newEdge(t, s, Options{})
	addr := strings.TrimSuffix(strings.TrimPrefix(e.srv.URL, "ws://"), "/ws")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { // writes until the edge stops reading
		fmt.Fprintf(nc, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", addr)
		pad := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
		for range 16 << 10 { // 16 MB of headers
			if _, err := nc.Write([]byte(pad)); err != nil {
				return
			}
		}
		_, _ = nc.Write([]byte("\r\n"))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("no answer to 16 MB of headers: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("16 MB of headers answered %s, want 431", resp.Status)
	}
}

// testShutdown: Shutdown tells every player shutting_down with an ERROR
// (docs/operations.md), then the close, and returns once they ended — also
// when a client has stopped reading and its connection is stuck (its
// writer blocked on a full socket or stream): the write deadline frees it.
func testShutdown(t *testing.T, s suite) {
	e := newEdge(t, s, Options{WriteTimeout: time.Second}, func(c *core.Config) { c.MessageRate, c.MessageBurst = 1e9, 1e9 })
	if e.srv.Shutdown == nil {
		t.Fatal("the transport under test must expose Shutdown (wstest.Transport.Shutdown)")
	}
	a, b, stuck := e.dial(), e.dial(), e.dial()
	e.hello(a, 1)
	e.hello(b, 2)
	e.hello(stuck, 3)
	stop := make(chan struct{})
	defer close(stop)
	flood(stuck, stop) // PONGs it never reads fill its buffers
	testkit.Until(t, "the client that does not read to be closed too_slow", func() bool { return e.core.Snapshot().Closes[protocol.CodeTooSlow] > 0 })
	done := make(chan struct{})
	go func() { defer close(done); e.srv.Shutdown() }()
	for _, c := range []Client{a, b} {
		code, errs := closeAndErrors(t, c)
		if code != protocol.CodeShuttingDown || !lastIs(errs, protocol.CodeShuttingDown) {
			t.Errorf("closed %v after ERRORs %v, want ERROR shutting_down, then the close", code, errs)
		}
		c.Close() // as a client does after the close
	}
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	select {
	case <-done:
	case <-guard.C:
		t.Fatalf("Shutdown did not return within %v: it waits on the client that does not read", hangGuard)
	}
	if n := e.core.Snapshot().Closes[protocol.CodeShuttingDown]; n != 2 {
		t.Errorf("Closes[shutting_down] %d, want 2", n)
	}
}
