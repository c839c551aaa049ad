package wsnet

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
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

// zeroCopyServer serves srv's Listen on httptest with a mux whose /ws route
// fails the test: every upgrade must be taken by the zero-copy path. Other
// routes answer "plain".
func zeroCopyServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	pub, _, _ := token.GenerateKey()
	c, err := core.New(core.Config{PublicKey: pub, Hunts: oneHunt{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(c, cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the upgrade reached net/http")
		http.Error(w, "wrong path", http.StatusTeapot)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "plain") })
	hs := httptest.NewUnstartedServer(mux)
	hs.Listener = srv.Listen(hs.Listener)
	hs.Start()
	t.Cleanup(func() { srv.Shutdown(); hs.Close() })
	return srv, hs
}

// TestListenSortsConnections: /ws upgrades (with or without a query) are
// taken off the connection; everything else, including a path that only
// begins with /ws, reaches net/http unchanged.
func TestListenSortsConnections(t *testing.T) {
	srv, hs := zeroCopyServer(t, Config{})
	wsURL := "ws" + strings.TrimPrefix(hs.URL, "http")
	for _, path := range []string{"/ws", "/ws?hunt=7"} {
		// A session is behind the upgrade: a bad HELLO is answered by the
		// core with its close code.
		nc := dialWS(t, wsURL+path)
		if err := wsutil.WriteClientBinary(nc, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text("x.y.z")})); err != nil {
			t.Fatal(err)
		}
		if got := readClose(t, nc); got != ws.StatusCode(protocol.CodeUnauthorized.WebSocketCloseCode()) {
			t.Errorf("%s: close code %d, want unauthorized", path, got)
		}
	}
	if st := srv.core.Snapshot(); st.Closes[protocol.CodeUnauthorized] != 2 {
		t.Errorf("core closed %d sessions unauthorized, want 2", st.Closes[protocol.CodeUnauthorized])
	}
	for _, path := range []string{"/", "/wsx", "/healthz"} {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "plain" {
			t.Errorf("GET %s through the listener: %d %q", path, resp.StatusCode, b)
		}
	}
}

// TestZeroCopyUpgradeRejections: the zero-copy path applies the origin
// policy (403), refuses during shutdown (503), answers a malformed upgrade
// with 400, and closes a connection that sends nothing within
// HeaderTimeout.
func TestZeroCopyUpgradeRejections(t *testing.T) {
	srv, hs := zeroCopyServer(t, Config{HeaderTimeout: 2 * time.Second}) // no request races it on a busy machine; the half-open case waits for it
	addr := hs.Listener.Addr().String()
	status := func(req string) int {
		t.Helper()
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(nc, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("no HTTP answer to %q: %v", req, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	upgrade := func(extra string) string {
		return "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	}
	if got := status(upgrade("Origin: http://" + addr + "\r\n")); got != http.StatusSwitchingProtocols {
		t.Errorf("same-origin upgrade: %d", got)
	}
	if got := status(upgrade("Origin: https://evil.example\r\n")); got != http.StatusForbidden {
		t.Errorf("foreign origin: %d, want 403", got)
	}
	if got := status("GET /ws HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"); got != http.StatusBadRequest {
		t.Errorf("GET /ws without an upgrade: %d, want 400", got)
	}

	// Half-open: connected, nothing sent. The listener closes it.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("half-open connection: read %d, %v; want EOF from the server's close", n, err)
	}

	srv.Shutdown()
	if got := status(upgrade("")); got != http.StatusServiceUnavailable {
		t.Errorf("upgrade during shutdown: %d, want 503", got)
	}
}

// BenchmarkUpgrade compares one WebSocket handshake through net/http
// (ws.UpgradeHTTP after net/http parsed the request) with the zero-copy path
// (Listen: gobwas's Upgrader reads the request off the connection). The
// client side is the same raw request on a fresh loopback connection, so the
// allocations per op differ only by the server's path.
func BenchmarkUpgrade(b *testing.B) {
	for _, zeroCopy := range []bool{false, true} {
		b.Run(map[bool]string{false: "net-http", true: "zero-copy"}[zeroCopy], func(b *testing.B) {
			pub, _, _ := token.GenerateKey()
			_, _, hs := startServer(b, zeroCopy, Config{}, core.Config{PublicKey: pub, Hunts: oneHunt{}})
			addr := hs.Listener.Addr().String()
			req := []byte("GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
			resp := make([]byte, 512)
			ctx := context.Background()
			var d net.Dialer
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				nc, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := nc.Write(req); err != nil {
					b.Fatal(err)
				}
				if n, err := nc.Read(resp); err != nil || !strings.HasPrefix(string(resp[:n]), "HTTP/1.1 101") {
					b.Fatalf("handshake: %q %v", resp[:n], err)
				}
				_ = ws.WriteFrame(nc, ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))))
				nc.Close()
			}
		})
	}
}
