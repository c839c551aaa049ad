package wsnet

import (
	"context"
	"crypto/ed25519"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// TestTransportClosesAreCounted: every close the transport decides itself
// (framing violations, the HELLO deadline, shutdown) is counted once in the
// core's Stats.Closes under its code; a close the core asked for is counted
// by the core alone, not twice.
func TestTransportClosesAreCounted(t *testing.T) {
	srv, c, hs, priv := serve(t, Config{HelloTimeout: 2 * time.Second}) // no step of a case races it on a busy machine; the silent case waits for it
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	header := func(nc net.Conn, h ws.Header) {
		if err := ws.WriteHeader(nc, h); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		act  func(nc net.Conn)
		want protocol.Code
	}{
		{"oversized frame", func(nc net.Conn) {
			header(nc, ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Length: protocol.MaxWebSocketFrame + 1})
		}, protocol.CodeMessageTooLarge},
		{"text frame", func(nc net.Conn) { _ = wsutil.WriteClientText(nc, []byte("hi")) }, protocol.CodeBadMessage},
		{"unmasked frame", func(nc net.Conn) {
			header(nc, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 0})
		}, protocol.CodeBadMessage},
		{"silent past the HELLO deadline", func(net.Conn) {}, protocol.CodeHelloRequired},
		{"bad token (closed by the core)", func(nc net.Conn) {
			_ = wsutil.WriteClientBinary(nc, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text("x.y.z")}))
		}, protocol.CodeUnauthorized},
	}
	for _, tc := range cases {
		before := c.Snapshot().Closes
		nc := dialWS(t, url)
		tc.act(nc)
		if got := readClose(t, nc); got != ws.StatusCode(tc.want.WebSocketCloseCode()) {
			t.Fatalf("%s: close code %d, want %d", tc.name, got, tc.want.WebSocketCloseCode())
		}
		// The count is taken before the close frame is written.
		after := c.Snapshot().Closes
		if d := after[tc.want] - before[tc.want]; d != 1 {
			t.Errorf("%s: Closes[%v] grew by %d, want 1 (%v → %v)", tc.name, tc.want, d, before, after)
		}
	}

	player := dialWS(t, url)
	tok, _ := token.Mint(priv, 1, 7, "", time.Now(), time.Hour)
	if err := wsutil.WriteClientBinary(player, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text(tok)})); err != nil {
		t.Fatal(err)
	}
	if data, err := wsutil.ReadServerBinary(player); err != nil || len(data) == 0 || protocol.Type(data[0]) != protocol.TypeWelcome {
		t.Fatalf("no WELCOME: %v %x", err, data)
	}
	before := c.Snapshot().Closes[protocol.CodeShuttingDown]
	srv.Shutdown() // returns once every connection ended
	if got := readClose(t, player); got != ws.StatusCode(protocol.CodeShuttingDown.WebSocketCloseCode()) {
		t.Errorf("shutdown: close code %d", got)
	}
	if d := c.Snapshot().Closes[protocol.CodeShuttingDown] - before; d != 1 {
		t.Errorf("shutdown of one connection counted %d shutting_down closes, want 1", d)
	}
}

// serve starts a server with cfg and a core on httptest; cleanup shuts
// both down. It returns the key that signs the core's tokens.
func serve(tb testing.TB, cfg Config) (*Server, *core.Core, *httptest.Server, ed25519.PrivateKey) {
	pub, priv, _ := token.GenerateKey()
	srv, c, hs := startServer(tb, false, cfg, core.Config{PublicKey: pub, Hunts: oneHunt{}})
	return srv, c, hs, priv
}

func dialWS(t *testing.T, url string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, _, _, err := ws.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second)) // a hung test fails instead of hanging
	return nc
}

// readClose reads until the server's close frame and returns its code.
func readClose(t *testing.T, nc net.Conn) ws.StatusCode {
	t.Helper()
	for {
		h, err := ws.ReadHeader(nc)
		if err != nil || h.Length > protocol.MaxWebSocketFrame {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(nc, payload); err != nil {
			t.Fatal(err)
		}
		if h.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(payload)
			return code
		}
	}
}
