package wstest

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

// wsClient is a Go WebSocket client (gobwas/ws) on a raw connection, which
// the WebSocket-only cases use as well.
type wsClient struct {
	nc      net.Conn
	pending []byte // messages of the last binary frame Next has not returned yet
}

func dialWS(t *testing.T, url string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	nc, _, _, err := ws.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &wsClient{nc: nc}
}

func (c *wsClient) Send(msgs []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(hangGuard))
	return wsutil.WriteClientBinary(c.nc, msgs)
}

func (c *wsClient) Next() (protocol.Message, error) {
	for len(c.pending) == 0 {
		fr, err := c.frame()
		if err != nil {
			return nil, err
		}
		switch fr.Header.OpCode {
		case ws.OpBinary:
			c.pending = fr.Payload
		case ws.OpClose:
			code, _ := ws.ParseCloseFrameData(fr.Payload)
			return nil, fmt.Errorf("closed by the server (%d)", code)
		default:
			return nil, fmt.Errorf("opcode %v from the server", fr.Header.OpCode)
		}
	}
	m, rest, err := decodeFirst(c.pending)
	c.pending = rest
	return m, err
}

func (c *wsClient) End() (protocol.Code, []protocol.Code, error) {
	errs := errorCodes(nil, c.pending)
	c.pending = nil
	for {
		fr, err := c.frame()
		if err != nil {
			return 0, errs, fmt.Errorf("%w: %v", errNoClose, err)
		}
		switch fr.Header.OpCode {
		case ws.OpClose:
			code, _ := ws.ParseCloseFrameData(fr.Payload)
			if code < 4000 {
				return 0, errs, fmt.Errorf("close code %d, want 4000+code", code)
			}
			return protocol.Code(code - 4000), errs, nil
		case ws.OpBinary:
			errs = errorCodes(errs, fr.Payload)
		}
	}
}

func (c *wsClient) Close() { c.nc.Close() }

// frame reads the next frame the server sends, whatever its opcode.
func (c *wsClient) frame() (ws.Frame, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(hangGuard))
	return readFrame(c.nc)
}

// readFrame reads one server frame (payload at most one message's size).
func readFrame(nc net.Conn) (ws.Frame, error) {
	h, err := ws.ReadHeader(nc)
	if err != nil {
		return ws.Frame{}, err
	}
	if h.Length > protocol.MaxWebSocketFrame {
		return ws.Frame{}, fmt.Errorf("a %d-byte frame from the server", h.Length)
	}
	if h.Masked {
		return ws.Frame{}, fmt.Errorf("the server masked a frame")
	}
	payload := make([]byte, h.Length)
	_, err = io.ReadFull(nc, payload)
	return ws.Frame{Header: h, Payload: payload}, err
}

// nextFrame reads the next frame the server sends, whatever its opcode, or
// fails the test.
func nextFrame(t *testing.T, c *wsClient) ws.Frame {
	t.Helper()
	fr, err := c.frame()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return fr
}

// sendControl writes a masked control frame.
func sendControl(t *testing.T, c *wsClient, fr ws.Frame) {
	t.Helper()
	if err := ws.WriteFrame(c.nc, ws.MaskFrameInPlace(fr)); err != nil {
		t.Fatal(err)
	}
}

// wsBadFraming is the bad input only WebSocket framing can carry; each is
// fatal with its code (SPEC.md §3).
func wsBadFraming() []badCase {
	raw := func(act func(nc net.Conn)) func(Client) {
		return func(c Client) { act(c.(*wsClient).nc) }
	}
	return []badCase{
		{"text frame", false, raw(func(nc net.Conn) { _ = wsutil.WriteClientText(nc, []byte("hi")) }), protocol.CodeBadMessage},
		{"message cut short by its frame", false, func(c Client) {
			_ = c.Send(protocol.AppendPing(nil, &protocol.Ping{Time: 1})[:protocol.HeaderSize+2])
		}, protocol.CodeBadMessage},
		{"oversized frame", false, func(c Client) { _ = c.Send(make([]byte, protocol.MaxWebSocketFrame+1)) }, protocol.CodeMessageTooLarge},
		{"unmasked", false, raw(func(nc net.Conn) {
			_ = ws.WriteFrame(nc, ws.NewBinaryFrame(protocol.AppendPing(nil, &protocol.Ping{Time: 1})))
		}), protocol.CodeBadMessage},
		{"fragmented past the limit", false, raw(func(nc net.Conn) {
			half := make([]byte, protocol.MaxWebSocketFrame/2+1)
			_ = ws.WriteFrame(nc, ws.MaskFrameInPlace(ws.NewFrame(ws.OpBinary, false, half)))
			_ = ws.WriteFrame(nc, ws.MaskFrameInPlace(ws.NewFrame(ws.OpContinuation, true, half)))
		}), protocol.CodeMessageTooLarge},
	}
}
