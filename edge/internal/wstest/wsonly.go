package wstest

// The WebSocket-only cases (Caps.Frames): control frames and the close
// handshake.

import (
	"net"
	"testing"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/protocol"
)

// testPingPong: a WebSocket ping is answered by a pong with its payload,
// before and after the HELLO, and the connection stays usable.
func testPingPong(t *testing.T, s suite) {
	e := newEdge(t, s, Options{})
	c := dialWS(t, e.srv.URL)
	expectPong := func(payload string) {
		t.Helper()
		sendControl(t, c, ws.NewPingFrame([]byte(payload)))
		for {
			fr := nextFrame(t, c)
			if fr.Header.OpCode == ws.OpBinary {
				continue // fan-out may come first
			}
			if fr.Header.OpCode != ws.OpPong || string(fr.Payload) != payload {
				t.Fatalf("ping %q answered by opcode %v %q, want a pong with the payload", payload, fr.Header.OpCode, fr.Payload)
			}
			return
		}
	}
	expectPong("before hello")
	e.hello(c, 1)
	expectPong("")
	expectPong(string(make([]byte, 125))) // the largest control payload
	roundTrip(t, c, 3)
}

// testClientClose: a close frame from the client is answered with a close
// frame (normal closure) and the server then ends the connection.
func testClientClose(t *testing.T, s suite) {
	e := newEdge(t, s, Options{})
	c := dialWS(t, e.srv.URL)
	e.hello(c, 1)
	sendControl(t, c, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")))
	for {
		fr := nextFrame(t, c)
		if fr.Header.OpCode == ws.OpBinary {
			continue
		}
		if fr.Header.OpCode != ws.OpClose {
			t.Fatalf("opcode %v after the client's close, want close", fr.Header.OpCode)
		}
		if code, _ := ws.ParseCloseFrameData(fr.Payload); code != ws.StatusCode(protocol.CodeNormal.WebSocketCloseCode()) {
			t.Errorf("close code %d, want %d (normal)", code, protocol.CodeNormal.WebSocketCloseCode())
		}
		break
	}
	if _, err := c.nc.Read(make([]byte, 1)); err == nil {
		t.Error("the server sent more after its close frame")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("the server did not end the connection after the close handshake")
	}
}
