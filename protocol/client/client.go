// Package client is the Go client of the Veltrix wire protocol: it connects
// to an edge over WebSocket, says HELLO, and turns the edge's messages into
// calls of a Handler. The tests, the load generator and the dev-mode crowd
// use it.
//
// This version speaks WebSocket only and does not reconnect by itself;
// WebTransport, reconnection with backoff and a gomobile-friendly facade are
// the edge issue's remaining work.
package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

// Handler receives every message the edge sends, on the client's reader
// goroutine, in order.
type Handler func(protocol.Message)

// Options configure Dial.
type Options struct {
	URL     string // ws:// or wss:// URL of the edge
	Token   string // player token (JWT)
	Hunt    uint32
	Kind    uint8   // protocol.KindBot etc.
	Handler Handler // may be nil
}

// Client is one connection to an edge.
type Client struct {
	nc      net.Conn
	welcome protocol.Welcome
	handler Handler

	mu  sync.Mutex // guards seq, buf and writes
	seq uint32
	buf []byte

	done chan struct{}
	err  error // why the reader stopped; set before done is closed
}

// Dial connects, says HELLO and waits for WELCOME (or the edge's ERROR).
func Dial(ctx context.Context, o Options) (*Client, error) {
	nc, _, _, err := ws.Dial(ctx, o.URL)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", o.URL, err)
	}
	c := &Client{nc: nc, handler: o.Handler, done: make(chan struct{})}
	if err := c.send(protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Kind: o.Kind, Hunt: o.Hunt, Token: protocol.Text(o.Token)})); err != nil {
		nc.Close()
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = nc.SetReadDeadline(d)
	}
	msgs, err := c.read()
	_ = nc.SetReadDeadline(time.Time{})
	if err != nil {
		nc.Close()
		return nil, err
	}
	w, ok := msgs[0].(*protocol.Welcome)
	if !ok {
		nc.Close()
		if e, isErr := msgs[0].(*protocol.ErrorMessage); isErr {
			return nil, fmt.Errorf("edge refused: %s (%s)", e.Code, e.Text)
		}
		return nil, fmt.Errorf("edge answered HELLO with %v", msgs[0].Type())
	}
	c.welcome = *w
	go c.readLoop(msgs[1:])
	return c, nil
}

// Welcome is what the edge said on connecting.
func (c *Client) Welcome() protocol.Welcome { return c.welcome }

// Done is closed when the connection has ended; Err says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it is open).
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

func (c *Client) readLoop(first []protocol.Message) {
	defer close(c.done)
	c.dispatch(first)
	for {
		msgs, err := c.read()
		if err != nil {
			c.err = err
			return
		}
		c.dispatch(msgs)
	}
}

func (c *Client) dispatch(msgs []protocol.Message) {
	if c.handler == nil {
		return
	}
	for _, m := range msgs {
		c.handler(m)
	}
}

// ClosedError reports the edge closing the connection, with its code.
type ClosedError struct {
	Code   protocol.Code
	Reason string
}

func (e *ClosedError) Error() string {
	return fmt.Sprintf("edge closed the connection: %s (%s)", e.Code, e.Reason)
}

// read reads one WebSocket message and decodes the protocol messages in it.
func (c *Client) read() ([]protocol.Message, error) {
	data, op, err := wsutil.ReadServerData(c.nc)
	if err != nil {
		var ce wsutil.ClosedError
		if errors.As(err, &ce) {
			return nil, &ClosedError{Code: protocol.Code(int(ce.Code) - 4000), Reason: ce.Reason}
		}
		return nil, err
	}
	if op != ws.OpBinary {
		return nil, fmt.Errorf("edge sent a %v frame", op)
	}
	var out []protocol.Message
	for len(data) > 0 {
		t, body, rest, err := protocol.Split(data)
		if err != nil {
			return nil, err
		}
		data = rest
		if m, err := protocol.DecodeMessage(t, body); err == nil {
			out = append(out, m)
		} else if !errors.Is(err, protocol.ErrUnknownType) {
			return nil, err
		}
	}
	if len(out) == 0 {
		return c.read()
	}
	return out, nil
}

func (c *Client) send(frame []byte) error {
	return wsutil.WriteClientBinary(c.nc, frame)
}

// Position sends the player's position (degrees; accuracy in metres).
func (c *Client) Position(lat, lng, accuracy float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.buf = protocol.AppendPosition(c.buf[:0], &protocol.Position{
		Seq: c.seq, Lat: int32(math.Round(lat * 1e7)), Lng: int32(math.Round(lng * 1e7)),
		Accuracy: uint16(min(accuracy*10, 65535)), Time: uint64(time.Now().UnixMicro()),
	})
	return c.send(c.buf)
}

// Claim asks to claim treasure; the answer arrives as a CLAIM_RESULT with
// the same request id.
func (c *Client) Claim(request, treasure uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = protocol.AppendClaim(c.buf[:0], &protocol.Claim{Request: request, Treasure: treasure})
	return c.send(c.buf)
}

// Ping sends a PING carrying the local clock.
func (c *Client) Ping() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = protocol.AppendPing(c.buf[:0], &protocol.Ping{Time: uint64(time.Now().UnixMicro())})
	return c.send(c.buf)
}

// Close says BYE and closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	_ = c.send(protocol.AppendBye(nil, &protocol.Bye{Code: protocol.CodeNormal}))
	c.mu.Unlock()
	return c.nc.Close()
}
