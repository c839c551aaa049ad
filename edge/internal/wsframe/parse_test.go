package wsframe

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/protocol"
)

// recorder is a framing handler that writes down what it is given.
type recorder struct{ events []string }

func (r *recorder) Message(p []byte) bool {
	r.events = append(r.events, fmt.Sprintf("msg %x", p))
	return true
}

func (r *recorder) Control(op ws.OpCode, p []byte) bool {
	r.events = append(r.events, fmt.Sprintf("ctl %d %x", op, p))
	return op != ws.OpClose
}

func (r *recorder) Fail(code protocol.Code) { r.events = append(r.events, "fail "+code.String()) }

// feedChunks feeds stream cut into chunks as the ring does: each chunk is a
// fresh buffer (overwritten after feeding, as a recycled provided buffer
// is), partial frames kept in a buffer of their own.
func feedChunks(stream []byte, cuts ...int) []string {
	var st State
	var hr HeaderReader
	var part, frag []byte
	rec := &recorder{}
	prev := 0
	for _, cut := range append(cuts, len(stream)) {
		chunk := append([]byte(nil), stream[prev:cut]...)
		part = st.FeedPartial(&hr, part, chunk, &frag, rec)
		for i := range chunk {
			chunk[i] = 0xee // the buffer goes back to the kernel
		}
		prev = cut
	}
	return rec.events
}

func clientFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	f := ws.MaskFrameWith(ws.NewFrame(op, fin, append([]byte(nil), payload...)), [4]byte{1, 2, 3, 4})
	b, err := ws.CompileFrame(f)
	if err != nil {
		panic(err)
	}
	return b
}

func sampleStream() []byte {
	var s []byte
	s = append(s, clientFrame(ws.OpBinary, true, []byte("hello"))...)
	s = append(s, clientFrame(ws.OpPing, true, []byte("p"))...)
	s = append(s, clientFrame(ws.OpBinary, false, []byte("frag-1/"))...)
	s = append(s, clientFrame(ws.OpPing, true, nil)...) // control between fragments
	s = append(s, clientFrame(ws.OpContinuation, false, []byte("frag-2/"))...)
	s = append(s, clientFrame(ws.OpContinuation, true, []byte("frag-3"))...)
	s = append(s, clientFrame(ws.OpBinary, true, bytes.Repeat([]byte{7}, 300))...) // 16-bit length
	s = append(s, clientFrame(ws.OpClose, true, []byte{0x03, 0xe8})...)
	return append(s, clientFrame(ws.OpBinary, true, []byte("after close"))...)
}

// TestFramingEverySplit feeds a stream of frames cut at every byte
// boundary, and one byte at a time: the frames seen never change.
func TestFramingEverySplit(t *testing.T) {
	stream := sampleStream()
	want := feedChunks(stream)
	if len(want) != 6 || want[0] != fmt.Sprintf("msg %x", "hello") || want[3] != fmt.Sprintf("msg %x", "frag-1/frag-2/frag-3") {
		t.Fatalf("whole stream: %q", want)
	}
	for i := 1; i < len(stream); i++ {
		if got := feedChunks(stream, i); !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at %d: %q, want %q", i, got, want)
		}
	}
	var bytewise []int
	for i := 1; i < len(stream); i++ {
		bytewise = append(bytewise, i)
	}
	if got := feedChunks(stream, bytewise...); !reflect.DeepEqual(got, want) {
		t.Fatalf("byte by byte: %q", got)
	}
}

// TestFramingViolations: each violation fails with the netpoll transport's
// code and stops the input.
func TestFramingViolations(t *testing.T) {
	unmasked, _ := ws.CompileFrame(ws.NewBinaryFrame([]byte("x")))
	huge := clientFrame(ws.OpBinary, true, make([]byte, protocol.MaxWebSocketFrame+1))
	cases := map[string]struct {
		in   []byte
		want protocol.Code
	}{
		"unmasked":            {unmasked, protocol.CodeBadMessage},
		"text":                {clientFrame(ws.OpText, true, []byte("hi")), protocol.CodeBadMessage},
		"oversized":           {huge[:20], protocol.CodeMessageTooLarge}, // refused from the header alone
		"long ping":           {clientFrame(ws.OpPing, true, make([]byte, 126)), protocol.CodeBadMessage},
		"stray continuation":  {clientFrame(ws.OpContinuation, true, []byte("x")), protocol.CodeBadMessage},
		"reserved opcode":     {clientFrame(0x3, true, nil), protocol.CodeBadMessage},
		"64-bit length MSB":   {append([]byte{0x82, 0xff, 0x80}, make([]byte, 11)...), protocol.CodeBadMessage},
		"fragments too large": {append(clientFrame(ws.OpBinary, false, make([]byte, 40000)), clientFrame(ws.OpContinuation, true, make([]byte, 30000))...), protocol.CodeMessageTooLarge},
	}
	for name, c := range cases {
		got := feedChunks(append(c.in, clientFrame(ws.OpBinary, true, []byte("next"))...))
		if len(got) == 0 || got[len(got)-1] != "fail "+c.want.String() {
			t.Errorf("%s: %q, want a fail with %s last", name, got, c.want)
		}
	}
}

// FuzzFraming: any input, cut anywhere, gives the same frames as uncut,
// and never panics.
func FuzzFraming(f *testing.F) {
	f.Add(sampleStream())
	f.Add([]byte{0x82, 0xfe, 0xff, 0xff, 1, 2, 3, 4})
	f.Add(clientFrame(ws.OpBinary, false, []byte("ab")))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := feedChunks(data)
		for i := 1; i < len(data); i++ {
			if got := feedChunks(data, i); !reflect.DeepEqual(got, want) {
				t.Fatalf("cut at %d: %q, want %q", i, got, want)
			}
		}
	})
}

// TestGather: a whole frame is its own message; fragments make one, in
// order, and the next message starts empty.
func TestGather(t *testing.T) {
	var st State
	var frag []byte
	steps := []struct {
		fin         bool
		payload     string
		want        string
		whole, frag bool
	}{
		{true, "one", "one", true, false},
		{false, "a/", "", false, true},
		{false, "b/", "", false, true},
		{true, "c", "a/b/c", true, false},
		{true, "two", "two", true, false},
	}
	for i, s := range steps {
		op := ws.OpBinary
		if i == 2 || i == 3 {
			op = ws.OpContinuation
		}
		msg, whole := st.Gather(ws.Header{Fin: s.fin, OpCode: op}, []byte(s.payload), &frag)
		if string(msg) != s.want || whole != s.whole || st.InFrag() != s.frag {
			t.Fatalf("step %d: %q, %v, in a message %v; want %q, %v, %v", i, msg, whole, st.InFrag(), s.want, s.whole, s.frag)
		}
	}
	if len(frag) != 0 {
		t.Errorf("%d bytes left gathered", len(frag))
	}
}
