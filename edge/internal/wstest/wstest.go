// Package wstest is the WebSocket transports' shared conformance suite:
// the same Go clients, framing, bad input (each fatal one ERROR, then the
// close), slow readers, PING floods, oversized upgrade heads, CloseAll and
// Shutdown against wsnet (netpoll) and ringnet (io_uring). Test code only
// imports it.
package wstest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// Options are the transport settings a test needs (zero: the default).
type Options struct {
	HelloTimeout, WriteTimeout time.Duration
	IdleTimeout                time.Duration // the transport's own idle deadline (a backstop behind the core's)
	MaxBacklog                 int           // bytes a client may leave unread in its socket
	CloseLinger                time.Duration // how long a closed connection waits for the client to read its end
}

// Transport is a running transport under test.
type Transport struct {
	URL   string     // ws:// URL of the upgrade endpoint
	Conns func() int // open WebSocket connections
	// CloseAll closes every connection with a code (the server's
	// CloseAll); required.
	CloseAll func(protocol.Code)
	// Shutdown is the server's Shutdown (it may run again at cleanup);
	// required.
	Shutdown func()
}

// Factory starts a transport with o, creates the core from cc, attaches it
// (the transport registers as the owner of its sessions) and serves; it stops everything at t's cleanup.
type Factory func(t *testing.T, o Options, cc core.Config) (*core.Core, Transport)

// Run runs the suite against the transport f starts.
func Run(t *testing.T, f Factory) {
	t.Run("Neighbours", func(t *testing.T) { testNeighbours(t, f) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, f) })
	t.Run("PingPong", func(t *testing.T) { testPingPong(t, f) })
	t.Run("ClientClose", func(t *testing.T) { testClientClose(t, f) })
	t.Run("SlowReader", func(t *testing.T) { testSlowReader(t, f) })
	t.Run("CloseAll", func(t *testing.T) { testCloseAll(t, f) })
	t.Run("Idle", func(t *testing.T) { testIdle(t, f) })
	t.Run("TokenExpiry", func(t *testing.T) { testTokenExpiry(t, f) })
	t.Run("Replaced", func(t *testing.T) { testReplaced(t, f) })
	t.Run("IdleBackstop", func(t *testing.T) { testIdleBackstop(t, f) })
	t.Run("PingFlood", func(t *testing.T) { testPingFlood(t, f) })
	t.Run("OversizedHead", func(t *testing.T) { testOversizedHead(t, f) })
	t.Run("Shutdown", func(t *testing.T) { testShutdown(t, f) })
}

// Nobody is a core.Notifier that owns sessions no transport serves.
type Nobody struct{}

// Ready implements core.Notifier: nothing to wake.
func (Nobody) Ready(core.SessionID, uint64) {}

// Hangup implements core.Notifier: nothing to close.
func (Nobody) Hangup(core.SessionID, uint64, protocol.Code) {}

// OneHunt is a hunt source with hunt 7 active.
type OneHunt struct{}

// Hunt implements core.Hunts.
func (OneHunt) Hunt(id uint32) (core.HuntInfo, bool) {
	return core.HuntInfo{ID: 7, Resolution: 9, Active: true}, id == 7
}

type edge struct {
	t    *testing.T
	core *core.Core
	srv  Transport
	url  string
	priv ed25519.PrivateKey
}

func newEdge(t *testing.T, f Factory, o Options, tweak ...func(*core.Config)) *edge {
	pub, priv, _ := token.GenerateKey()
	cc := core.Config{PublicKey: pub, Hunts: OneHunt{}}
	for _, fn := range tweak {
		fn(&cc)
	}
	c, tr := f(t, o, cc)
	return &edge{t: t, core: c, srv: tr, url: tr.URL, priv: priv}
}

func (e *edge) dial() net.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, _, _, err := ws.Dial(ctx, e.url)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second)) // a hung test fails instead of hanging
	return nc
}

func send(t *testing.T, nc net.Conn, frame []byte) {
	t.Helper()
	if err := wsutil.WriteClientBinary(nc, frame); err != nil {
		t.Fatal(err)
	}
}

// next reads the next protocol message from the server.
func next(t *testing.T, nc net.Conn) protocol.Message {
	t.Helper()
	data, op, err := wsutil.ReadServerData(nc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if op != ws.OpBinary {
		t.Fatalf("opcode %v", op)
	}
	typ, body, _, err := protocol.Split(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := protocol.DecodeMessage(typ, body)
	if err != nil {
		t.Fatal(err)
	}
	return m
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
	payload := make([]byte, h.Length)
	_, err = io.ReadFull(nc, payload)
	return ws.Frame{Header: h, Payload: payload}, err
}

// closeAndErrors reads until the server closes and returns the close code
// and the codes of the ERROR messages that came before it.
func closeAndErrors(t *testing.T, nc net.Conn) (ws.StatusCode, []protocol.Code) {
	t.Helper()
	var errs []protocol.Code
	for {
		fr, err := readFrame(nc)
		if err != nil {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		switch fr.Header.OpCode {
		case ws.OpClose:
			code, _ := ws.ParseCloseFrameData(fr.Payload)
			return code, errs
		case ws.OpBinary:
			errs = append(errs, errorCodes(fr.Payload)...)
		}
	}
}

// errorCodes are the codes of the ERROR messages in a frame's payload.
func errorCodes(data []byte) []protocol.Code {
	var codes []protocol.Code
	for len(data) > 0 {
		typ, body, rest, err := protocol.Split(data)
		if err != nil {
			return codes
		}
		if typ == protocol.TypeError {
			var m protocol.ErrorMessage
			if m.Decode(body) == nil {
				codes = append(codes, m.Code)
			}
		}
		data = rest
	}
	return codes
}

// lastIs reports whether codes ends with code.
func lastIs(codes []protocol.Code, code protocol.Code) bool {
	return len(codes) > 0 && codes[len(codes)-1] == code
}

// nextFrame reads the next frame the server sends, whatever its opcode.
func nextFrame(t *testing.T, nc net.Conn) ws.Frame {
	t.Helper()
	fr, err := readFrame(nc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if fr.Header.Masked {
		t.Fatal("the server masked a frame")
	}
	return fr
}

// sendControl writes a masked control frame.
func sendControl(t *testing.T, nc net.Conn, fr ws.Frame) {
	t.Helper()
	if err := ws.WriteFrame(nc, ws.MaskFrameInPlace(fr)); err != nil {
		t.Fatal(err)
	}
}

func (e *edge) hello(nc net.Conn, player uint32) {
	e.t.Helper()
	send(e.t, nc, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Kind: protocol.KindBot, Hunt: 7, Token: protocol.Text(e.mint(player, time.Hour))}))
	if w, ok := next(e.t, nc).(*protocol.Welcome); !ok || w.Player != player {
		e.t.Fatalf("no WELCOME for %d", player)
	}
}

func position(seq uint32, p geo.Point) []byte {
	lat, lng := p.E7()
	return protocol.AppendPosition(nil, &protocol.Position{Seq: seq, Lat: lat, Lng: lng, Time: uint64(time.Now().UnixMicro())})
}

var dam = geo.Point{Lat: 52.3730796, Lng: 4.8924534}

// roundTrip sends a PING and waits for its PONG: the core handles a
// connection's messages in order, so everything sent before has arrived.
func roundTrip(t *testing.T, nc net.Conn, n uint64) {
	t.Helper()
	send(t, nc, protocol.AppendPing(nil, &protocol.Ping{Time: n}))
	for { // fan-out frames may come first
		if p, ok := next(t, nc).(*protocol.Pong); ok {
			if p.Echo != n {
				t.Fatalf("want PONG %d, got %d", n, p.Echo)
			}
			return
		}
	}
}

func testNeighbours(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{})
	a, b := e.dial(), e.dial()
	e.hello(a, 1)
	e.hello(b, 2)
	send(t, a, position(1, dam))
	roundTrip(t, a, 1)
	// Two messages in one frame (SPEC.md §3).
	send(t, b, append(position(1, geo.Point{Lat: dam.Lat + 0.0001, Lng: dam.Lng}), protocol.AppendPing(nil, &protocol.Ping{Time: 5})...))
	if p, ok := next(t, b).(*protocol.Pong); !ok || p.Echo != 5 {
		t.Fatalf("PING in a frame with a POSITION: got %v", p)
	}
	e.core.Tick()
	for _, c := range []struct {
		nc   net.Conn
		want uint32
	}{{a, 2}, {b, 1}} {
		cu, ok := next(t, c.nc).(*protocol.CellUpdate)
		if !ok {
			t.Fatalf("want a CELL_UPDATE, got %v", cu)
		}
		seen := false
		for _, en := range cu.Entries {
			seen = seen || en.Player == c.want
		}
		if !seen {
			t.Errorf("player %d not in %+v", c.want, cu.Entries)
		}
	}
}

func testBadInput(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{HelloTimeout: 2 * time.Second}) // no step of a case races it on a busy machine; the silent case waits for it
	good := e.dial()
	e.hello(good, 1)
	cases := []struct {
		name string
		act  func(nc net.Conn)
		want protocol.Code
	}{
		{"text frame", func(nc net.Conn) { wsutil.WriteClientText(nc, []byte("hi")) }, protocol.CodeBadMessage},
		{"garbage", func(nc net.Conn) { send(t, nc, []byte{0, 1, 2, 3}) }, protocol.CodeBadMessage},
		{"oversized", func(nc net.Conn) { send(t, nc, make([]byte, protocol.MaxWebSocketFrame+1)) }, protocol.CodeMessageTooLarge},
		{"unmasked", func(nc net.Conn) {
			ws.WriteFrame(nc, ws.NewBinaryFrame(protocol.AppendPing(nil, &protocol.Ping{Time: 1})))
		}, protocol.CodeBadMessage},
		{"fragmented past the limit", func(nc net.Conn) {
			half := make([]byte, protocol.MaxWebSocketFrame/2+1)
			ws.WriteFrame(nc, ws.MaskFrameInPlace(ws.NewFrame(ws.OpBinary, false, half)))
			ws.WriteFrame(nc, ws.MaskFrameInPlace(ws.NewFrame(ws.OpContinuation, true, half)))
		}, protocol.CodeMessageTooLarge},
		{"position before hello", func(nc net.Conn) { send(t, nc, position(1, dam)) }, protocol.CodeHelloRequired},
		{"bad token", func(nc net.Conn) {
			send(t, nc, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text("x.y.z")}))
		}, protocol.CodeUnauthorized},
		{"silent after connect", func(net.Conn) {}, protocol.CodeHelloRequired},
	}
	for _, c := range cases {
		before := e.core.Snapshot().Closes[c.want]
		nc := e.dial()
		c.act(nc)
		got, errs := closeAndErrors(t, nc)
		if got != ws.StatusCode(c.want.WebSocketCloseCode()) {
			t.Errorf("%s: close code %d, want %d", c.name, got, c.want.WebSocketCloseCode())
		}
		// SPEC.md §2.2: a fatal ERROR, then the close.
		if !lastIs(errs, c.want) {
			t.Errorf("%s: ERRORs before the close %v, want one with %v last", c.name, errs, c.want)
		}
		// Counted once, by the transport (framing, deadline) or by the core
		// (what it asked to close), before the close frame was sent.
		if d := e.core.Snapshot().Closes[c.want] - before; d != 1 {
			t.Errorf("%s: Closes[%v] grew by %d, want 1", c.name, c.want, d)
		}
	}
	roundTrip(t, good, 9) // a good client is not disturbed by bad ones
}

// testCloseAll: the server's CloseAll closes every connection with the code
// it is given, counted once per connection.
func testCloseAll(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{})
	if e.srv.CloseAll == nil {
		t.Fatal("the transport under test must expose CloseAll (wstest.Transport.CloseAll)")
	}
	for i, code := range []protocol.Code{protocol.CodeRedirect, protocol.CodeShuttingDown} {
		a, b := e.dial(), e.dial()
		e.hello(a, uint32(2*i+1))
		e.hello(b, uint32(2*i+2))
		before := e.core.Snapshot().Closes[code]
		e.srv.CloseAll(code)
		for _, nc := range []net.Conn{a, b} {
			got, errs := closeAndErrors(t, nc)
			if got != ws.StatusCode(code.WebSocketCloseCode()) {
				t.Errorf("close code %d, want %d", got, code.WebSocketCloseCode())
			}
			if !lastIs(errs, code) { // docs/operations.md: players are told shutting_down
				t.Errorf("ERRORs before the close %v, want one with %v last", errs, code)
			}
		}
		if d := e.core.Snapshot().Closes[code] - before; d != 2 {
			t.Errorf("Closes[%v] grew by %d for 2 connections, want 2", code, d)
		}
	}
}

// testPingPong: a WebSocket ping is answered by a pong with its payload,
// before and after the HELLO, and the connection stays usable.
func testPingPong(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{})
	nc := e.dial()
	expectPong := func(payload string) {
		t.Helper()
		sendControl(t, nc, ws.NewPingFrame([]byte(payload)))
		for {
			fr := nextFrame(t, nc)
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
	e.hello(nc, 1)
	expectPong("")
	expectPong(string(make([]byte, 125))) // the largest control payload
	roundTrip(t, nc, 3)
}

// testClientClose: a close frame from the client is answered with a close
// frame (normal closure) and the server then ends the connection.
func testClientClose(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{})
	nc := e.dial()
	e.hello(nc, 1)
	sendControl(t, nc, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")))
	for {
		fr := nextFrame(t, nc)
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
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Error("the server sent more after its close frame")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("the server did not end the connection after the close handshake")
	}
}

// readPongs reads everything the server sends nc, passing on the echo of
// each PONG; the channel closes when the connection ends.
func readPongs(nc net.Conn) <-chan uint64 {
	pongs := make(chan uint64, 16)
	go func() {
		defer close(pongs)
		for {
			data, _, err := wsutil.ReadServerData(nc)
			if err != nil {
				return
			}
			for len(data) > 0 {
				typ, body, rest, err := protocol.Split(data)
				if err != nil {
					return
				}
				if typ == protocol.TypePong {
					var p protocol.Pong
					_ = p.Decode(body)
					pongs <- p.Echo
				}
				data = rest
			}
		}
	}()
	return pongs
}

// testSlowReader: a client that stops reading cannot hold the edge.
// Its cell is full of players and re-sent as a snapshot every tick; once the
// socket's buffers are full the writer blocks, the core's queue for it
// overflows, and the connection is closed — while another player keeps
// playing.
func testSlowReader(t *testing.T, f Factory) {
	e := newEdge(t, f, Options{WriteTimeout: 200 * time.Millisecond, MaxBacklog: 64 << 10, CloseLinger: 10 * time.Second},
		func(c *core.Config) {
			c.SnapshotEvery = 1
			c.SlowTicks = 5
			c.CrowdPlayers, c.PositionBudget = 1<<20, 1<<30
		}) // no crowd mode, no budget: the queue overflows
	crowd := e.core.Register(Nobody{})
	for p := uint32(100); p < 160; p++ { // a crowd in the cell, held by the core alone
		id := e.core.Open(crowd, 0)
		tok, _ := token.Mint(e.priv, p, 7, "", time.Now(), time.Hour)
		frame := protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text(tok)})
		frame = append(frame, position(1, geo.Point{Lat: dam.Lat + float64(p)*1e-7, Lng: dam.Lng})...)
		if err := e.core.Deliver(id, frame); err != nil {
			t.Fatal(err)
		}
	}
	slow, good := e.dial(), e.dial()
	e.hello(slow, 1)
	e.hello(good, 2)
	send(t, slow, position(1, dam))
	roundTrip(t, slow, 1)
	send(t, good, position(1, geo.Point{Lat: dam.Lat, Lng: dam.Lng + 0.05})) // elsewhere in town
	roundTrip(t, good, 1)
	pongs := readPongs(good)
	// Ticks at 500 Hz: a reading client keeps up, the slow one's buffers
	// fill at ~0.5 MB/s.
	pace := time.NewTicker(2 * time.Millisecond)
	defer pace.Stop()
	for tick := 0; e.srv.Conns() == 2; tick++ { // a closed connection no longer counts, even while it lingers
		if tick == 15_000 {
			t.Fatal("the slow reader was never closed")
		}
		e.core.Tick()
		<-pace.C
	}
	send(t, good, protocol.AppendPing(nil, &protocol.Ping{Time: 77}))
	if echo, ok := <-pongs; !ok || echo != 77 {
		t.Fatal("the reading neighbour was closed, not the slow reader")
	}
	st := e.core.Snapshot()
	if st.Drops[core.DropQueueFull] == 0 {
		t.Error("the slow reader was closed without its queue overflowing (no queue_full drops)")
	}
	if st.Closes[protocol.CodeTooSlow] == 0 {
		t.Error("no close counted too_slow")
	}
	// What reaches the slow client once it reads: what its socket held
	// (at most MaxBacklog beyond its own receive buffer), then the too_slow
	// ERROR and the close frame — the edge kept room for them (SPEC.md §4).
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	code, errs := closeAndErrors(t, slow)
	if code != ws.StatusCode(protocol.CodeTooSlow.WebSocketCloseCode()) {
		t.Errorf("slow reader closed with %d, want %d (too_slow)", code, protocol.CodeTooSlow.WebSocketCloseCode())
	}
	if !lastIs(errs, protocol.CodeTooSlow) {
		t.Errorf("ERRORs before the close %v, want too_slow last", errs)
	}
}
