package ringnet

import (
	"bytes"
	"io"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/protocol"
)

// The framing path is a protocol core without I/O: feed takes the bytes a
// recv completed (from a shared provided buffer, or the connection's
// partial-frame buffer) and calls the handler for each complete frame. A
// frame cut across buffers is kept by the caller and fed again with the
// next bytes.

// handler receives what feed parsed.
type handler interface {
	// message is one complete data message (fragments gathered), unmasked.
	message(payload []byte) bool
	// control is a ping, pong or close frame, unmasked.
	control(op ws.OpCode, payload []byte) bool
	// fail ends the connection with code (a framing violation).
	fail(code protocol.Code)
}

// rstate is a connection's pointer-free reader state.
type rstate struct {
	inFrag bool // a fragmented message is being gathered
	done   bool // input is over (violation, close frame, or the handler said stop)
}

// hdrReader lets ws.ReadHeaderBuffer parse from a byte slice without
// allocating (it lives in the long-lived ring, as does its buffer).
type hdrReader struct {
	b   []byte
	off int
	buf [ws.MaxHeaderSize]byte
}

func (r *hdrReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

// header parses the frame header at the start of b: hlen 0 means b holds
// only part of it.
func (r *hdrReader) header(b []byte) (h ws.Header, hlen int, err error) {
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

// feed parses frames from in and returns how many bytes it consumed; the
// rest (an incomplete frame) must be fed again with more bytes after it.
// frag gathers a fragmented message.
func (st *rstate) feed(hr *hdrReader, in []byte, frag *[]byte, h handler) int {
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
		if code, ok := checkHeader(hd, st.inFrag, len(*frag)); !ok {
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

func (st *rstate) stop(h handler, code protocol.Code) {
	st.done = true
	h.fail(code)
}

func (st *rstate) frame(hd ws.Header, payload []byte, frag *[]byte, h handler) bool {
	if hd.OpCode.IsControl() {
		return h.control(hd.OpCode, payload)
	}
	if !hd.Fin || st.inFrag { // a fragment: gather the message
		*frag = append(*frag, payload...)
		if st.inFrag = !hd.Fin; st.inFrag {
			return true
		}
		ok := h.message(*frag)
		*frag = (*frag)[:0]
		return ok
	}
	return h.message(payload)
}

// checkHeader enforces the protocol's framing rules, as the netpoll
// transport does (SPEC.md §3); it returns the close code for a violation.
func checkHeader(h ws.Header, inFrag bool, pending int) (protocol.Code, bool) {
	switch {
	case !h.Masked || h.Rsv != 0:
		return protocol.CodeBadMessage, false
	case h.OpCode == ws.OpText:
		return protocol.CodeBadMessage, false // binary frames only
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

// feedPartial feeds data after part, the bytes of an incomplete frame kept
// from earlier buffers (empty if none), and returns the bytes to keep now,
// in part's storage (data's own bytes are never kept: they are a shared
// buffer about to go back to the kernel).
func (st *rstate) feedPartial(hr *hdrReader, part, data []byte, frag *[]byte, h handler) []byte {
	if len(part) == 0 {
		used := st.feed(hr, data, frag, h)
		return append(part[:0], data[used:]...)
	}
	part = append(part, data...)
	used := st.feed(hr, part, frag, h)
	return part[:copy(part, part[used:])]
}

// appendHeader appends a final, unmasked server frame header with
// ws.WriteHeaderBuffer (through w, a long-lived writer: no allocation).
func appendHeader(w *slabWriter, op ws.OpCode, n int) {
	_ = ws.WriteHeaderBuffer(w, ws.Header{Fin: true, OpCode: op, Length: int64(n)}, w.hdr[:])
}

// slabWriter appends to an off-heap slab.
type slabWriter struct {
	b   []byte
	hdr [ws.MaxHeaderSize]byte
}

func (w *slabWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// headerEnd is the length of an HTTP request head in b (through the blank
// line), or 0 while incomplete.
func headerEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return 0
}
