package wsnet

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol/token"
)

// FuzzHandshake sends arbitrary bytes as the start of a connection — HTTP
// upgrade requests, half-open handshakes, oversized heads, frames — to live
// servers, through net/http and through the zero-copy path (Listen). They
// must answer or close each connection, and keep accepting new ones.
func FuzzHandshake(f *testing.F) {
	cfg := Config{HelloTimeout: 100 * time.Millisecond, IdleTimeout: 100 * time.Millisecond, MaxHeaderBytes: 1 << 10}
	_, _, hs, _ := serve(f, cfg)
	pub, _, _ := token.GenerateKey()
	_, _, zc := startServer(f, true, cfg, core.Config{PublicKey: pub, Hunts: oneHunt{}})
	addrs := []string{strings.TrimPrefix(hs.URL, "http://"), strings.TrimPrefix(zc.URL, "http://")}
	upgrade := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	f.Add([]byte(upgrade))
	f.Add([]byte(upgrade + "\x82\xfe\xff\xff\x00\x00\x00\x00"))      // a frame header announcing 64 KiB
	f.Add([]byte(upgrade + "\x81\x80\x01\x02\x03\x04"))              // an empty masked text frame
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket")) // cut short
	f.Add([]byte("\x00\x01\x02"))
	f.Add([]byte("GET /ws HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 2<<10) + "\r\n\r\n")) // a head over MaxHeaderBytes: 431
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, addr := range addrs {
			handshake(t, addr, data)
		}
	})
}

// handshake sends data as the start of a connection to addr and reads until
// the server closes it.
func handshake(t *testing.T, addr string, data []byte) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("the server stopped accepting: %v", err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	_, _ = nc.Write(data)
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	if _, err := io.Copy(io.Discard, nc); err != nil {
		var ne net.Error
		if errorsAs(err, &ne) && ne.Timeout() {
			t.Fatal("the server neither answered nor closed a connection within 30 s")
		}
	}
}

func errorsAs(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}
