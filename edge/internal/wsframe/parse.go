package wsframe

import (
	"io"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/protocol"
)

// The frame parser: Feed takes bytes as they came off a connection (a
// shared receive buffer, or the connection's partial-frame buffer) and
// calls the handler for each complete frame. A frame cut across buffers is
// kept by the caller and fed again with the bytes after it (FeedPartial
// does the keeping).

// Handler receives what Feed parsed.
type Handler interface {
	// Message is one complete data message (fragments gathered), unmasked.
	Message(payload []byte) bool
	// Control is a ping, pong or close frame, unmasked.
	Control(op ws.OpCode, payload []byte) bool
	// Fail ends the connection with code (a framing violation).
	Fail(code protocol.Code)
}

// State is a connection's pointer-free reader state.
type State struct {
	inFrag bool // a fragmented message is being gathered
	done   bool // input is over (violation, close frame, or the handler said stop)
}

// Done reports whether input is over: a violation, a close frame, or the
// handler said stop. Feed consumes whatever follows.
func (st *State) Done() bool { return st.done }

// HeaderReader lets ws.ReadHeaderBuffer parse from a byte slice without
// allocating (keep it in a long-lived place: it holds its buffer).
type HeaderReader struct {
	b   []byte
	off int
	buf [ws.MaxHeaderSize]byte
}

func (r *HeaderReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

// header parses the frame header at the start of b: hlen 0 means b holds
// only part of it.
func (r *HeaderReader) header(b []byte) (h ws.Header, hlen int, err error) {
	r.b, r.off = b, 0
	h, err = ws.ReadHeaderBuffer(r, r.buf[:])
	r.b = nil
	switch err {
	case nil:
		return h, r.off, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return h, 0, nil
	}
	return h, 0, err
}

// Feed parses frames from in and returns how many bytes it consumed; the
// rest (an incomplete frame) must be fed again with more bytes after it.
// frag gathers a fragmented message.
func (st *State) Feed(hr *HeaderReader, in []byte, frag *[]byte, h Handler) int {
	off := 0
	for off < len(in) && !st.done {
		hd, hlen, err := hr.header(in[off:])
		if err != nil {
			st.stop(h, protocol.CodeBadMessage)
			break
		}
		if hlen == 0 {
			break
		}
		if code, ok := Check(hd, st.inFrag, len(*frag)); !ok {
			st.stop(h, code)
			break
		}
		if int64(len(in)-off-hlen) < hd.Length {
			break // the payload is still coming
		}
		payload := in[off+hlen : off+hlen+int(hd.Length)]
		off += hlen + int(hd.Length)
		ws.Cipher(payload, hd.Mask, 0)
		if !st.frame(hd, payload, frag, h) {
			st.done = true
		}
	}
	if st.done {
		return len(in)
	}
	return off
}

func (st *State) stop(h Handler, code protocol.Code) {
	st.done = true
	h.Fail(code)
}

func (st *State) frame(hd ws.Header, payload []byte, frag *[]byte, h Handler) bool {
	if hd.OpCode.IsControl() {
		return h.Control(hd.OpCode, payload)
	}
	msg, whole := st.Gather(hd, payload, frag)
	return !whole || h.Message(msg)
}

// Gather takes a data frame (header hd, payload unmasked) and returns the
// message it completes: payload itself when it is not a fragment, else the
// fragments gathered in frag (their bytes valid until the next Gather).
// whole is false while fragments are still coming.
func (st *State) Gather(hd ws.Header, payload []byte, frag *[]byte) (msg []byte, whole bool) {
	if hd.Fin && !st.inFrag {
		return payload, true
	}
	*frag = append(*frag, payload...)
	if st.inFrag = !hd.Fin; st.inFrag {
		return nil, false
	}
	msg = *frag
	*frag = msg[:0]
	return msg, true
}

// InFrag reports whether a fragmented message is being gathered (Check's
// inFrag).
func (st *State) InFrag() bool { return st.inFrag }

// FeedPartial feeds data after part, the bytes of an incomplete frame kept
// from earlier buffers (empty if none), and returns the bytes to keep now,
// in part's storage (data's own bytes are never kept: they may be a shared
// buffer about to go back to the kernel).
func (st *State) FeedPartial(hr *HeaderReader, part, data []byte, frag *[]byte, h Handler) []byte {
	if len(part) == 0 {
		used := st.Feed(hr, data, frag, h)
		return append(part[:0], data[used:]...)
	}
	part = append(part, data...)
	used := st.Feed(hr, part, frag, h)
	return part[:copy(part, part[used:])]
}
