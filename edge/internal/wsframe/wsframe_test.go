package wsframe

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/protocol"
)

// checkBefore is the header check as both transports wrote it before this
// package (edge/wsnet and edge/ringnet, one copy each): Check must agree
// with it.
func checkBefore(h ws.Header, inFrag bool, pending int) (protocol.Code, bool) {
	switch {
	case !h.Masked || h.Rsv != 0:
		return protocol.CodeBadMessage, false
	case h.OpCode == ws.OpText:
		return protocol.CodeBadMessage, false
	case h.OpCode.IsControl() && (h.Length > 125 || !h.Fin):
		return protocol.CodeBadMessage, false
	case h.OpCode == ws.OpContinuation && !inFrag, h.OpCode == ws.OpBinary && inFrag:
		return protocol.CodeBadMessage, false
	case h.Length+int64(pending) > protocol.MaxWebSocketFrame:
		return protocol.CodeMessageTooLarge, false
	case h.OpCode.IsReserved():
		return protocol.CodeBadMessage, false
	}
	return 0, true
}

// agrees reports whether Check gives checkBefore's answer. The one
// difference is on purpose: a frame with a reserved opcode is bad_message
// (ws.CheckHeader looks at the opcode first), where the old order called
// it message_too_large when it was also over the size limit.
func agrees(h ws.Header, inFrag bool, pending int) bool {
	code, ok := Check(h, inFrag, pending)
	was, wasOK := checkBefore(h, inFrag, pending)
	if h.OpCode.IsReserved() && was == protocol.CodeMessageTooLarge {
		was = protocol.CodeBadMessage
	}
	return code == was && ok == wasOK
}

// TestCheck: each rule of SPEC.md §3, and agreement with the old check
// over every opcode, flag and boundary length.
func TestCheck(t *testing.T) {
	ok := ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Length: 10}
	cases := []struct {
		name    string
		edit    func(h *ws.Header)
		inFrag  bool
		pending int
		want    protocol.Code
	}{
		{"binary", func(*ws.Header) {}, false, 0, 0},
		{"unmasked", func(h *ws.Header) { h.Masked = false }, false, 0, protocol.CodeBadMessage},
		{"rsv", func(h *ws.Header) { h.Rsv = 4 }, false, 0, protocol.CodeBadMessage},
		{"text", func(h *ws.Header) { h.OpCode = ws.OpText }, false, 0, protocol.CodeBadMessage},
		{"long ping", func(h *ws.Header) { h.OpCode, h.Length = ws.OpPing, 126 }, false, 0, protocol.CodeBadMessage},
		{"fragmented ping", func(h *ws.Header) { h.OpCode, h.Fin = ws.OpPing, false }, false, 0, protocol.CodeBadMessage},
		{"stray continuation", func(h *ws.Header) { h.OpCode = ws.OpContinuation }, false, 0, protocol.CodeBadMessage},
		{"binary inside a message", func(*ws.Header) {}, true, 5, protocol.CodeBadMessage},
		{"continuation", func(h *ws.Header) { h.OpCode = ws.OpContinuation }, true, 5, 0},
		{"too large", func(h *ws.Header) { h.Length = protocol.MaxWebSocketFrame + 1 }, false, 0, protocol.CodeMessageTooLarge},
		{"at the limit", func(h *ws.Header) { h.OpCode, h.Length = ws.OpContinuation, 6 }, true, protocol.MaxWebSocketFrame - 6, 0},
		{"fragments too large", func(h *ws.Header) { h.OpCode = ws.OpContinuation }, true, protocol.MaxWebSocketFrame - 9, protocol.CodeMessageTooLarge},
		{"reserved opcode", func(h *ws.Header) { h.OpCode = 0x3 }, false, 0, protocol.CodeBadMessage},
		{"reserved and too large", func(h *ws.Header) { h.OpCode, h.Length = 0x3, 1<<20 }, false, 0, protocol.CodeBadMessage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := ok
			c.edit(&h)
			if code, pass := Check(h, c.inFrag, c.pending); code != c.want || pass != (c.want == 0) {
				t.Errorf("Check = %v, %v; want %v", code, pass, c.want)
			}
		})
	}
	for op := range ws.OpCode(16) {
		for _, n := range []int64{0, 125, 126, protocol.MaxWebSocketFrame, protocol.MaxWebSocketFrame + 1} {
			for bits := range 16 {
				h := ws.Header{OpCode: op, Length: n, Fin: bits&1 != 0, Masked: bits&2 != 0, Rsv: byte(bits>>2&1) << 2}
				if !agrees(h, bits&8 != 0, 100) {
					t.Errorf("%+v, inFrag %v: Check and the old check differ", h, bits&8 != 0)
				}
			}
		}
	}
}

// FuzzCheck: Check never panics and agrees with the old check.
func FuzzCheck(f *testing.F) {
	f.Add(byte(0x82), byte(0x80), int64(10), false, 0)
	f.Add(byte(0x03), byte(0x80), int64(1<<20), true, 100)
	f.Fuzz(func(t *testing.T, b0, b1 byte, n int64, inFrag bool, pending int) {
		if n < 0 || pending < 0 || pending > protocol.MaxWebSocketFrame {
			return // ws.ReadHeader refuses negative lengths; pending is what Check let through
		}
		h := ws.Header{Fin: b0&0x80 != 0, Rsv: b0 >> 4 & 7, OpCode: ws.OpCode(b0 & 0xf), Masked: b1&0x80 != 0, Length: n}
		if !agrees(h, inFrag, pending) {
			t.Fatalf("%+v, inFrag %v, pending %d: Check and the old check differ", h, inFrag, pending)
		}
	})
}

// TestAppendHeader: the encoder writes what gobwas/ws writes for a final,
// unmasked server frame, at every length boundary.
func TestAppendHeader(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 0xffff, 0x10000, 1 << 20} {
		var want bytes.Buffer
		if err := ws.WriteHeader(&want, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(n)}); err != nil {
			t.Fatal(err)
		}
		if got := AppendHeader([]byte("x"), ws.OpBinary, n); !bytes.Equal(got[1:], want.Bytes()) || got[0] != 'x' {
			t.Errorf("%d bytes: % x, want % x", n, got[1:], want.Bytes())
		}
	}
}

// TestAppendErrorAndClose: the closing frames parse back, with their code.
func TestAppendErrorAndClose(t *testing.T) {
	b := AppendClose(AppendError(nil, protocol.CodeTooSlow), protocol.CodeTooSlow)
	r := bytes.NewReader(b)
	for _, op := range []ws.OpCode{ws.OpBinary, ws.OpClose} {
		h, err := ws.ReadHeader(r)
		if err != nil || h.OpCode != op || !h.Fin || h.Masked {
			t.Fatalf("frame %v: %+v, %v", op, h, err)
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(r, payload); err != nil {
			t.Fatal(err)
		}
		if op == ws.OpBinary {
			if len(payload) < 1 || protocol.Type(payload[0]) != protocol.TypeError {
				t.Errorf("ERROR frame: % x", payload)
			}
			continue
		}
		code, reason := ws.ParseCloseFrameData(payload)
		if uint16(code) != protocol.CodeTooSlow.WebSocketCloseCode() || reason != protocol.CodeTooSlow.String() {
			t.Errorf("close frame: %d %q", code, reason)
		}
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left over", r.Len())
	}
}

// TestBatch: frames go in as few messages as the 64 KiB limit allows; a
// frame bigger than the limit goes alone.
func TestBatch(t *testing.T) {
	half, big := make([]byte, protocol.MaxWebSocketFrame/2), make([]byte, protocol.MaxWebSocketFrame+1)
	cases := []struct {
		name    string
		frames  [][]byte
		n, size int
	}{
		{"none", nil, 0, 0},
		{"two halves", [][]byte{half, half, {1}}, 2, protocol.MaxWebSocketFrame},
		{"too big alone", [][]byte{big, {1}}, 1, len(big)},
		{"small then too big", [][]byte{{1}, big}, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n, size := Batch(c.frames); n != c.n || size != c.size {
				t.Errorf("Batch = %d, %d; want %d, %d", n, size, c.n, c.size)
			}
		})
	}
}

// TestOriginPolicy: SameOrigin and Refusal, as both transports answer.
func TestOriginPolicy(t *testing.T) {
	cases := []struct {
		origin, host string
		want         bool
	}{
		{"", "edge:8080", true},
		{"https://edge:8080", "edge:8080", true},
		{"https://evil.example", "edge:8080", false},
		{"::bad", "edge:8080", false},
	}
	for _, c := range cases {
		r := &http.Request{Host: c.host, Header: http.Header{}}
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := SameOrigin(r); got != c.want {
			t.Errorf("Origin %q, Host %q: %v, want %v", c.origin, c.host, got, c.want)
		}
	}
	if s, _ := Refusal(true, false); s != 0 {
		t.Errorf("allowed: %d", s)
	}
	if s, _ := Refusal(false, true); s != http.StatusForbidden {
		t.Errorf("foreign origin while closing: %d, want 403 first", s)
	}
	if s, why := Refusal(true, true); s != http.StatusServiceUnavailable || why != "edge shutting down" {
		t.Errorf("closing: %d %q", s, why)
	}
}
