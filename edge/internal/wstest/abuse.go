package wstest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// waitFor polls cond (an observable condition, not a timing guess) until
// it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// testPingFlood: a client floods PINGs and reads nothing. The flood is
// rate_limited (non-fatal, excess dropped) and, once the PONGs it let
// through fill the client's socket past the backlog bound, the client is
// too_slow. When it reads at last it finds the rate_limited ERROR, the
// too_slow ERROR and a close frame — not a connection cut mid-stream.
func testPingFlood(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{WriteTimeout: 300 * time.Millisecond, MaxBacklog: 16 << 10, CloseLinger: 10 * time.Second},
		func(c *core.Config) { c.MessageRate, c.MessageBurst = 20000, 500 })
	nc := e.dial()
	e.hello(nc, 1)
	_ = nc.SetDeadline(time.Time{})
	var frame []byte
	for i := range 200 {
		frame = protocol.AppendPing(frame, &protocol.Ping{Time: uint64(i)})
	}
	stop, flooded := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(flooded)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if ws.WriteFrame(nc, ws.MaskFrameInPlace(ws.NewBinaryFrame(append([]byte(nil), frame...)))) != nil {
				return
			}
		}
	}()
	waitFor(t, "the flooder to be closed too_slow", func() bool { return e.core.Snapshot().Closes[protocol.CodeTooSlow] > 0 })
	close(stop)
	<-flooded
	if e.core.Snapshot().Drops[core.DropMessageFlood] == 0 {
		t.Error("no message of the flood was dropped (no message_flood drops)")
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	code, errs := closeAndErrors(t, nc)
	if code != ws.StatusCode(protocol.CodeTooSlow.WebSocketCloseCode()) {
		t.Errorf("close code %d, want %d (too_slow)", code, protocol.CodeTooSlow.WebSocketCloseCode())
	}
	if len(errs) < 2 || errs[0] != protocol.CodeRateLimited || !lastIs(errs, protocol.CodeTooSlow) {
		t.Errorf("ERRORs %v, want rate_limited first and too_slow last", errs)
	}
}

// testOversizedHead: an upgrade request with megabytes of headers is
// answered 431 (as net/http answers any request), never upgraded.
func testOversizedHead(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{})
	addr := strings.TrimSuffix(strings.TrimPrefix(e.url, "ws://"), "/ws")
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
// (docs/operations.md), then the close frame, and returns once they ended.
func testShutdown(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{})
	if e.srv.Shutdown == nil {
		t.Fatal("the transport under test must expose Shutdown (wstest.Transport.Shutdown)")
	}
	a, b := e.dial(), e.dial()
	e.hello(a, 1)
	e.hello(b, 2)
	done := make(chan struct{})
	go func() { defer close(done); e.srv.Shutdown() }()
	for _, nc := range []net.Conn{a, b} {
		code, errs := closeAndErrors(t, nc)
		if code != ws.StatusCode(protocol.CodeShuttingDown.WebSocketCloseCode()) || !lastIs(errs, protocol.CodeShuttingDown) {
			t.Errorf("close %d after ERRORs %v, want ERROR shutting_down, then close %d", code, errs, protocol.CodeShuttingDown.WebSocketCloseCode())
		}
		nc.Close() // as a client does after the close frame
	}
	<-done
	if n := e.core.Snapshot().Closes[protocol.CodeShuttingDown]; n != 2 {
		t.Errorf("Closes[shutting_down] %d, want 2", n)
	}
}
