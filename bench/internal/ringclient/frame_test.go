package ringclient

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// serverFrame encodes a final, unmasked frame as the edge sends it.
func serverFrame(op ws.OpCode, payload []byte) []byte {
	var b bytes.Buffer
	_ = ws.WriteFrame(&b, ws.NewFrame(op, true, payload))
	return b.Bytes()
}

// FuzzSplitFrame: whatever the bytes, splitFrame takes a frame only when it
// is whole (and the same frame from its exact bytes, and nothing from one
// byte less), its payload inside it, or says incomplete, or fails.
func FuzzSplitFrame(f *testing.F) {
	f.Add(serverFrame(ws.OpBinary, []byte("hello")))
	f.Add(serverFrame(ws.OpBinary, bytes.Repeat([]byte{7}, 300)))
	f.Add(serverFrame(ws.OpBinary, bytes.Repeat([]byte{7}, 70000)))
	f.Add(serverFrame(ws.OpPing, nil))
	f.Add([]byte{0x82, 0x85, 0, 0, 0, 0, 1, 2, 3, 4, 5}) // masked
	f.Add([]byte{0x02, 0x01, 9})                         // not final
	f.Add([]byte{0x82, 127, 0xff, 0, 0, 0, 0, 0, 0, 0})  // huge
	f.Fuzz(func(t *testing.T, b []byte) {
		op, payload, n, err := splitFrame(b)
		if err != nil || n == 0 {
			if n != 0 || payload != nil || op != 0 {
				t.Fatalf("no frame but op %d, %d payload bytes, n %d (%v)", op, len(payload), n, err)
			}
			return
		}
		if n > len(b) || len(payload) > n || !bytes.Equal(b[n-len(payload):n], payload) {
			t.Fatalf("frame of %d bytes with a %d-byte payload from %d bytes", n, len(payload), len(b))
		}
		if op2, p2, n2, err := splitFrame(b[:n]); err != nil || n2 != n || op2 != op || !bytes.Equal(p2, payload) {
			t.Fatalf("the frame's own bytes split differently: %d %d %v", n2, op2, err)
		}
		if _, _, n3, err := splitFrame(b[:n-1]); err != nil || n3 != 0 {
			t.Fatalf("one byte short: n %d, %v; want incomplete", n3, err)
		}
	})
}

// Every length encoding splits back to its frame; frames from a client
// (masked), fragments and oversized ones are refused.
func TestSplitFrame(t *testing.T) {
	for _, size := range []int{0, 125, 126, 65535, 65536} {
		p := bytes.Repeat([]byte{1}, size)
		fr := serverFrame(ws.OpBinary, p)
		if op, got, n, err := splitFrame(append(fr, 0x82)); err != nil || op != 2 || n != len(fr) || !bytes.Equal(got, p) {
			t.Fatalf("%d-byte payload: op %d, n %d of %d, %v", size, op, n, len(fr), err)
		}
	}
	for _, bad := range [][]byte{{0x82, 0x81, 0, 0, 0, 0, 1}, {0x02, 0x01, 1}, {0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0}} {
		if _, _, _, err := splitFrame(bad); err == nil {
			t.Fatalf("% x accepted", bad)
		}
	}
}
