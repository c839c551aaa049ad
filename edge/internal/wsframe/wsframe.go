// Package wsframe is the WebSocket framing core that both WebSocket
// transports drive: edge/wsnet (Go's netpoller) and edge/ringnet
// (io_uring). It does no I/O: its functions take byte slices, frame
// headers and HTTP headers and return verdicts, close codes and encoded
// bytes, so each rule of SPEC.md §3 is written once and fuzzed once, and
// a transport only moves the bytes.
//
//   - Check: the protocol's rules for a client frame header (gobwas/ws's
//     ws.CheckHeader, then binary only and the 64 KiB message limit).
//   - State.Feed: the frame parser over buffers cut anywhere (ringnet's
//     receive path); State.Gather: fragments into messages (both; wsnet
//     reads headers with ws.ReadHeader and checks them with Check).
//   - ParseHead, UpgradeLine: the sniff of a connection's first request
//     (is it a GET of /ws this edge upgrades itself?).
//   - SameOrigin, Refusal: the upgrade policy.
//   - AppendHeader, Joins, AppendError, AppendClose: what a server writes.
package wsframe

import (
	"encoding/binary"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/protocol"
)

// MaxHead bounds an upgrade request's head (a longer one is answered 431
// by wsnet, handed to net/http by ringnet).
const MaxHead = 16 << 10

// SendSlack is the socket send buffer room beyond a transport's
// MaxBacklog: one more batch (up to the core's 256 KiB of control
// messages and a queue of frames), the final ERROR and the close frame.
const SendSlack = 512 << 10

// Check enforces the protocol's framing rules on a client frame header, h,
// with inFrag telling whether a fragmented message is being gathered and
// pending how many of its bytes came already. It returns the close code
// for a violation: bad_message for what RFC 6455 forbids a client
// (ws.CheckHeader) and for text frames (SPEC.md §3: binary only),
// message_too_large past protocol.MaxWebSocketFrame.
func Check(h ws.Header, inFrag bool, pending int) (protocol.Code, bool) {
	state := ws.StateServerSide
	if inFrag {
		state |= ws.StateFragmented
	}
	switch {
	case ws.CheckHeader(h, state) != nil, h.OpCode == ws.OpText:
		return protocol.CodeBadMessage, false
	case h.Length+int64(pending) > protocol.MaxWebSocketFrame:
		return protocol.CodeMessageTooLarge, false
	}
	return 0, true
}

// AppendHeader appends an unmasked, final server frame header for a
// payload of n bytes (RFC 6455 §5.2).
func AppendHeader(dst []byte, op ws.OpCode, n int) []byte {
	dst = append(dst, 0x80|byte(op))
	switch {
	case n < 126:
		return append(dst, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, 126), uint16(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 127), uint64(n))
}

// Joins reports whether a protocol frame of next bytes joins a binary
// message that holds count frames of size bytes so far: output is batched
// into as few messages as the 64 KiB frame limit allows, and a frame
// bigger than the limit goes alone.
func Joins(count, size, next int) bool {
	return count == 0 || size+next <= protocol.MaxWebSocketFrame
}

// Batch is how many of frames, n, make the next binary message, and their
// size (Joins).
func Batch(frames [][]byte) (n, size int) {
	for n < len(frames) && Joins(n, size, len(frames[n])) {
		size += len(frames[n])
		n++
	}
	return n, size
}

// AppendError appends the binary frame with the ERROR message a transport
// sends before closing with code for a reason it decided itself.
func AppendError(dst []byte, code protocol.Code) []byte {
	msg := protocol.ErrorMessage{Code: code, Text: protocol.Text(code.String())}
	dst = AppendHeader(dst, ws.OpBinary, protocol.HeaderSize+4+len(msg.Text))
	return protocol.AppendError(dst, &msg)
}

// AppendClose appends the close frame for code: its WebSocket close code
// (4000 + code) and its name as the reason.
func AppendClose(dst []byte, code protocol.Code) []byte {
	reason := code.String()
	dst = AppendHeader(dst, ws.OpClose, 2+len(reason))
	return append(binary.BigEndian.AppendUint16(dst, code.WebSocketCloseCode()), reason...)
}
