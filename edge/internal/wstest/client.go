package wstest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// Client is one player's connection to the transport under test, as the
// suite drives it. A client reads only when asked (Next, End): one the test
// does not read from is a slow reader, whose transport buffers fill
// (socket buffers on a WebSocket, the stream's flow-control window on
// WebTransport).
type Client interface {
	// Send sends protocol messages, one or several back to back, on the
	// connection's reliable channel: one binary WebSocket frame, or the
	// WebTransport stream (POSITIONs too, so that the core sees them in
	// the order sent; edge/wtnet's own tests cover datagrams in).
	Send(msgs []byte) error
	// Next is the next message the server sent, on any channel (a
	// WebTransport CELL_UPDATE comes as a datagram).
	Next() (protocol.Message, error)
	// End reads until the server ends the connection and returns its
	// close code (WebSocket: 4000+code; WebTransport: the session error
	// code, or the last ERROR's where the edge's shutdown closed the QUIC
	// connection first) and the codes of the ERRORs read before it.
	End() (protocol.Code, []protocol.Code, error)
	// Close drops the connection from the client's side.
	Close()
}

// Kind is the kind of transport under test: which clients the suite dials
// and what it may ask of the transport beyond the protocol.
type Kind int

const (
	// WebSocket transports (edge/wsnet, edge/ringnet): Transport.URL is
	// the ws:// URL of the upgrade endpoint.
	WebSocket Kind = iota
	// WebTransport (edge/wtnet): Transport.URL is the https:// URL of the
	// session endpoint and Transport.CertHash the pinned certificate's.
	WebTransport
)

// Caps are what a kind of transport can be asked beyond the protocol. A
// case that needs a capability runs only on the kinds that have it.
type Caps struct {
	// Frames: WebSocket frames and upgrades — control frames (ping/pong,
	// the close handshake), framing errors and oversized upgrade heads.
	Frames bool
	// IdleBackstop: the transport's own idle deadline behind the core's
	// (Options.IdleTimeout). WebTransport leaves it to QUIC.
	IdleBackstop bool
	// TooSlowError: a client closed too_slow still reads its ERROR before
	// the close (the WebSocket transports keep room for it in the send
	// buffer). A WebTransport stream that is stuck cannot carry it: the
	// session's error code alone says too_slow (SPEC.md §4).
	TooSlowError bool
}

// Caps is what k can be asked.
func (k Kind) Caps() Caps {
	if k == WebSocket {
		return Caps{Frames: true, IdleBackstop: true, TooSlowError: true}
	}
	return Caps{}
}

func (k Kind) String() string { return [...]string{"WebSocket", "WebTransport"}[k] }

// hangGuard bounds each wait for the server: a hung case fails instead of
// hanging the package.
const hangGuard = 20 * time.Second

// errNoClose is End's error when the connection ended without a close.
var errNoClose = errors.New("the connection ended without a close")

// mustSend sends msgs on c or fails the test.
func mustSend(t *testing.T, c Client, msgs []byte) {
	t.Helper()
	if err := c.Send(msgs); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// next reads the next message from c or fails the test.
func next(t *testing.T, c Client) protocol.Message {
	t.Helper()
	m, err := c.Next()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// closeAndErrors reads c until the server ends it and returns the close
// code and the codes of the ERRORs before it, or fails the test.
func closeAndErrors(t *testing.T, c Client) (protocol.Code, []protocol.Code) {
	t.Helper()
	code, errs, err := c.End()
	if err != nil {
		t.Fatalf("%v (ERRORs read: %v)", err, errs)
	}
	return code, errs
}

// errorCodes appends the codes of the ERROR messages in msgs (back to
// back) to codes.
func errorCodes(codes []protocol.Code, msgs []byte) []protocol.Code {
	for len(msgs) > 0 {
		typ, body, rest, err := protocol.Split(msgs)
		if err != nil {
			return codes
		}
		if typ == protocol.TypeError {
			var m protocol.ErrorMessage
			if m.Decode(body) == nil {
				codes = append(codes, m.Code)
			}
		}
		msgs = rest
	}
	return codes
}

// decodeFirst decodes the first of the messages in msgs and returns the
// rest.
func decodeFirst(msgs []byte) (protocol.Message, []byte, error) {
	typ, body, rest, err := protocol.Split(msgs)
	if err != nil {
		return nil, nil, fmt.Errorf("a message from the server: %w", err)
	}
	m, err := protocol.DecodeMessage(typ, body)
	return m, rest, err
}
