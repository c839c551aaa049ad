package wsframe

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

const upgradeHead = "GET /ws HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// gatherHead feeds data to ParseHead as the ring does: the bytes gathered
// so far, after each recv (a cut), until a verdict other than HeadMore.
func gatherHead(data []byte, cuts ...int) (Verdict, *http.Request, int) {
	for _, cut := range append(cuts, len(data)) {
		if v, req, n := ParseHead(data[:cut]); v != HeadMore {
			return v, req, n
		}
	}
	return HeadMore, nil, 0
}

// TestParseHead: what the ring answers itself and what goes to net/http.
func TestParseHead(t *testing.T) {
	frame := clientFrame(0x2, true, []byte("hello"))
	cases := []struct {
		name string
		in   string
		want Verdict
	}{
		{"upgrade", upgradeHead, HeadUpgrade},
		{"upgrade with a query", strings.Replace(upgradeHead, "/ws ", "/ws?hunt=7 ", 1), HeadUpgrade},
		{"upgrade and a first frame", upgradeHead + string(frame), HeadUpgrade},
		{"upgrade, head incomplete", upgradeHead[:len(upgradeHead)-1], HeadMore},
		{"first bytes", "GET /w", HeadMore},
		{"another path", "GET / HTTP/1.1\r\nHost: edge\r\n\r\n", HeadHandoff},
		{"another path, first bytes", "GET /wsx", HeadHandoff},
		{"a path that decodes to /ws", "GET /%77s HTTP/1.1\r\nHost: edge\r\n\r\n", HeadHandoff},
		{"POST", "POST /ws HTTP/1.1\r\n", HeadHandoff},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01", HeadHandoff},
		{"bad head", "GET /ws HTTP/1.1\r\nno colon\r\n\r\n", HeadHandoff},
		{"huge head", "GET /ws HTTP/1.1\r\nX: " + strings.Repeat("a", MaxHead) + "\r\n\r\n", HeadHandoff},
		{"huge head, incomplete", "GET /ws HTTP/1.1\r\nX: " + strings.Repeat("a", MaxHead), HeadHandoff},
	}
	for _, c := range cases {
		v, req, n := ParseHead([]byte(c.in))
		if v != c.want {
			t.Errorf("%s: verdict %d, want %d", c.name, v, c.want)
		}
		if v == HeadUpgrade && (req.URL.Path != "/ws" || c.in[:n] != upgradeHead && !strings.HasSuffix(c.in[:n], "\r\n\r\n")) {
			t.Errorf("%s: path %q, head of %d bytes", c.name, req.URL.Path, n)
		}
	}
	if _, _, n := ParseHead([]byte(upgradeHead + string(frame))); n != len(upgradeHead) {
		t.Errorf("pipelined frame: head of %d bytes, want %d", n, len(upgradeHead))
	}
}

// FuzzParseHead: ParseHead never panics, never keeps waiting beyond MaxHead
// bytes, returns a head within the bytes it was given, and decides the
// same whatever the recv boundaries (each cut point, and byte by byte).
func FuzzParseHead(f *testing.F) {
	f.Add([]byte(upgradeHead), 10)
	f.Add([]byte(upgradeHead+string(clientFrame(0x2, true, []byte("pipelined")))), 100)
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /ws HTTP/1.1\r\n\r\n"), 3)
	f.Add([]byte("\x00\xff garbage \r\n\r\n"), 1)
	f.Add([]byte("GET /ws HTTP/1.1\r\nX: "+strings.Repeat("a", MaxHead+10)+"\r\n\r\n"), MaxHead)
	f.Add([]byte("GET /ws?"+strings.Repeat("q", 100)+" HTTP/1.1\r\nHost: x\r\n\r\n"), 7)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if len(data) > 4*MaxHead {
			return // the verdict comes by MaxHead+1 bytes: longer adds nothing
		}
		v, req, n := ParseHead(data)
		switch v {
		case HeadMore:
			if len(data) > MaxHead {
				t.Fatalf("still waiting after %d bytes", len(data))
			}
		case HeadUpgrade:
			if n <= 0 || n > len(data) || n > MaxHead || !bytes.HasSuffix(data[:n], []byte("\r\n\r\n")) {
				t.Fatalf("head of %d bytes in %d", n, len(data))
			}
			if req == nil || req.Method != http.MethodGet || req.URL.Path != "/ws" {
				t.Fatalf("upgrade verdict for %+v", req)
			}
		case HeadHandoff:
		default:
			t.Fatalf("verdict %d", v)
		}
		if len(data) > 0 {
			cut = int(uint(cut) % uint(len(data)))
			if got, _, gn := gatherHead(data, cut); got != v || gn != n {
				t.Fatalf("cut at %d: verdict %d (head %d), whole: %d (head %d)", cut, got, gn, v, n)
			}
		}
		if len(data) <= 512 { // byte by byte, as slow clients send
			cuts := make([]int, len(data))
			for i := range cuts {
				cuts[i] = i
			}
			if got, _, gn := gatherHead(data, cuts...); got != v || gn != n {
				t.Fatalf("byte by byte: verdict %d (head %d), whole: %d (head %d)", got, gn, v, n)
			}
		}
	})
}
