// Package wstest is the transports' shared conformance suite: the same
// cases, driven through one small client interface (Client: send a
// message, read the next one, read the ERRORs and the close), run against
// edge/wsnet and edge/ringnet with Go WebSocket clients (gobwas/ws) and
// against edge/wtnet with WebTransport clients (webtransport-go).
//
// Every kind of transport runs the protocol's cases: neighbours seeing
// each other, bad input (each fatal one an ERROR, then the close, counted
// once), a slow reader (closed too_slow while a neighbour plays on), a PING
// flood, CloseAll, Shutdown with a client that does not read, and the
// session cases (idle, token expiry, replaced). What only WebSocket has —
// control frames, framing errors, oversized upgrade heads, the
// transport's own idle backstop — runs where Kind.Caps says so. Test code
// only imports it.
package wstest

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// Options are the transport settings a test needs (zero: the default). A
// transport takes those it has.
type Options struct {
	HelloTimeout, WriteTimeout time.Duration
	IdleTimeout                time.Duration // the transport's own idle deadline (a backstop behind the core's)
	MaxBacklog                 int           // bytes a client may leave unread in its socket
	CloseLinger                time.Duration // how long a closed connection waits for the client to read its end
}

// Transport is a running transport under test.
type Transport struct {
	URL      string     // WebSocket: the ws:// upgrade URL; WebTransport: the https:// session URL
	CertHash [32]byte   // WebTransport: the SHA-256 of the certificate clients pin
	Conns    func() int // open connections (one closed no longer counts, even while it lingers)
	// CloseAll closes every connection with a code (the server's
	// CloseAll); required.
	CloseAll func(protocol.Code)
	// Shutdown is the server's Shutdown (it may run again at cleanup);
	// required.
	Shutdown func()
}

// Factory starts a transport with o, serving a core made from cc (the
// transport registered as the owner of its sessions); it stops everything
// at t's cleanup.
type Factory func(t *testing.T, o Options, cc core.Config) (*core.Core, Transport)

// suite is the suite run over one transport.
type suite struct {
	kind Kind
	f    Factory
}

// Run runs the suite against the transport of kind k that f starts: every
// case k's capabilities allow.
func Run(t *testing.T, k Kind, f Factory) {
	s := suite{k, f}
	caps := k.Caps()
	for _, c := range []struct {
		name string
		runs bool
		test func(*testing.T, suite)
	}{
		{"Neighbours", true, testNeighbours},
		{"BadInput", true, testBadInput},
		{"PingPong", caps.Frames, testPingPong},
		{"ClientClose", caps.Frames, testClientClose},
		{"SlowReader", true, testSlowReader},
		{"CloseAll", true, testCloseAll},
		{"Idle", true, testIdle},
		{"TokenExpiry", true, testTokenExpiry},
		{"Replaced", true, testReplaced},
		{"IdleBackstop", caps.IdleBackstop, testIdleBackstop},
		{"PingFlood", true, testPingFlood},
		{"OversizedHead", caps.Frames, testOversizedHead},
		{"Shutdown", true, testShutdown},
	} {
		if c.runs {
			t.Run(c.name, func(t *testing.T) { c.test(t, s) })
		}
	}
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
	kind Kind
	core *core.Core
	srv  Transport
	priv ed25519.PrivateKey
}

func newEdge(t *testing.T, s suite, o Options, tweak ...func(*core.Config)) *edge {
	pub, priv, _ := token.GenerateKey()
	cc := core.Config{PublicKey: pub, Hunts: OneHunt{}}
	for _, fn := range tweak {
		fn(&cc)
	}
	c, tr := s.f(t, o, cc)
	return &edge{t: t, kind: s.kind, core: c, srv: tr, priv: priv}
}

// dial connects a client of the transport's kind.
func (e *edge) dial() Client {
	e.t.Helper()
	if e.kind == WebTransport {
		return dialWT(e.t, e.srv.URL, e.srv.CertHash)
	}
	return dialWS(e.t, e.srv.URL)
}

// badInput is the bad input only the transport's kind carries.
func (e *edge) badInput() []badCase {
	if e.kind == WebTransport {
		return wtBadInput()
	}
	return wsBadFraming()
}

func (e *edge) hello(c Client, player uint32) {
	e.t.Helper()
	mustSend(e.t, c, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Kind: protocol.KindBot, Hunt: 7, Token: protocol.Text(e.mint(player, time.Hour))}))
	if w, ok := next(e.t, c).(*protocol.Welcome); !ok || w.Player != player {
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
func roundTrip(t *testing.T, c Client, n uint64) {
	t.Helper()
	mustSend(t, c, protocol.AppendPing(nil, &protocol.Ping{Time: n}))
	for { // fan-out frames may come first
		if p, ok := next(t, c).(*protocol.Pong); ok {
			if p.Echo != n {
				t.Fatalf("want PONG %d, got %d", n, p.Echo)
			}
			return
		}
	}
}

// lastIs reports whether codes ends with code.
func lastIs(codes []protocol.Code, code protocol.Code) bool {
	return len(codes) > 0 && codes[len(codes)-1] == code
}

func testNeighbours(t *testing.T, s suite) {
	e := newEdge(t, s, Options{})
	a, b := e.dial(), e.dial()
	e.hello(a, 1)
	e.hello(b, 2)
	mustSend(t, a, position(1, dam))
	roundTrip(t, a, 1)
	// Two messages in one send (SPEC.md §3).
	mustSend(t, b, append(position(1, geo.Point{Lat: dam.Lat + 0.0001, Lng: dam.Lng}), protocol.AppendPing(nil, &protocol.Ping{Time: 5})...))
	if p, ok := next(t, b).(*protocol.Pong); !ok || p.Echo != 5 {
		t.Fatalf("PING sent with a POSITION: got %v", p)
	}
	e.core.Tick()
	for _, c := range []struct {
		c    Client
		want uint32
	}{{a, 2}, {b, 1}} {
		cu, ok := next(t, c.c).(*protocol.CellUpdate)
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

// badCase is one kind of fatal bad input.
type badCase struct {
	name    string
	welcome bool // HELLO first
	act     func(Client)
	want    protocol.Code
}

func testBadInput(t *testing.T, s suite) {
	e := newEdge(t, s, Options{HelloTimeout: 2 * time.Second}) // no step of a case races it on a busy machine; the silent case waits for it
	good := e.dial()
	e.hello(good, 1)
	send := func(msgs []byte) func(Client) { return func(c Client) { _ = c.Send(msgs) } }
	cases := append([]badCase{
		{"type 0x00", false, send([]byte{0x00, 2, 0, 1, 2}), protocol.CodeBadMessage},
		{"position before hello", false, send(position(1, dam)), protocol.CodeHelloRequired},
		{"bad token", false, send(protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text("x.y.z")})), protocol.CodeUnauthorized},
		{"silent after connect", false, func(Client) {}, protocol.CodeHelloRequired},
	}, e.badInput()...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.core.Snapshot().Closes[c.want]
			cl := e.dial()
			if c.welcome {
				e.hello(cl, uint32(100+i))
			}
			c.act(cl)
			got, errs := closeAndErrors(t, cl)
			if got != c.want {
				t.Errorf("closed %v, want %v", got, c.want)
			}
			// SPEC.md §2.2: a fatal ERROR, then the close.
			if !lastIs(errs, c.want) {
				t.Errorf("ERRORs before the close %v, want one with %v last", errs, c.want)
			}
			// Counted once, by the transport (framing, deadline) or by the
			// core (what it asked to close), before the close went out.
			if d := e.core.Snapshot().Closes[c.want] - before; d != 1 {
				t.Errorf("Closes[%v] grew by %d, want 1", c.want, d)
			}
		})
	}
	roundTrip(t, good, 9) // a good client is not disturbed by bad ones
}

// testCloseAll: the server's CloseAll closes every connection with the code
// it is given, ERROR first, counted once per connection.
func testCloseAll(t *testing.T, s suite) {
	e := newEdge(t, s, Options{})
	if e.srv.CloseAll == nil {
		t.Fatal("the transport under test must expose CloseAll (wstest.Transport.CloseAll)")
	}
	for i, code := range []protocol.Code{protocol.CodeRedirect, protocol.CodeShuttingDown} {
		a, b := e.dial(), e.dial()
		e.hello(a, uint32(2*i+1))
		e.hello(b, uint32(2*i+2))
		before := e.core.Snapshot().Closes[code]
		e.srv.CloseAll(code)
		for _, c := range []Client{a, b} {
			got, errs := closeAndErrors(t, c)
			if got != code {
				t.Errorf("closed %v, want %v", got, code)
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

// readPongs reads everything the server sends c, passing on the echo of
// each PONG; the channel closes when the connection ends.
func readPongs(c Client) <-chan uint64 {
	pongs := make(chan uint64, 16)
	go func() {
		defer close(pongs)
		for {
			m, err := c.Next()
			if err != nil {
				return
			}
			if p, ok := m.(*protocol.Pong); ok {
				pongs <- p.Echo
			}
		}
	}()
	return pongs
}

// crowd puts n players in the slow reader's cell, held by the core alone.
func (e *edge) crowd(n uint32) {
	e.t.Helper()
	owner := e.core.Register(Nobody{})
	for p := uint32(100); p < 100+n; p++ {
		id := e.core.Open(owner, 0)
		frame := protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text(e.mint(p, time.Hour))})
		frame = append(frame, position(1, geo.Point{Lat: dam.Lat + float64(p)*1e-7, Lng: dam.Lng})...)
		if err := e.core.Deliver(id, frame); err != nil {
			e.t.Fatal(err)
		}
	}
}

// testSlowReader: a client that stops reading cannot hold the edge. Its
// cell is full of players, re-sent as a snapshot every tick, and the hunt's
// news (EVENTs, on the reliable channel: the WebTransport stream) keep
// coming. Once its buffers are full the writer blocks — on a socket, or on
// the stream's flow control — the core's queue for it overflows, and the
// connection is closed too_slow, while another player keeps playing.
func testSlowReader(t *testing.T, s suite) {
	// The write deadline is long enough for the core's own verdict (its
	// queue full for SlowTicks ticks) to come first on a busy machine; it
	// still frees a writer stuck on the client (WebTransport's stream).
	e := newEdge(t, s, Options{WriteTimeout: 2 * time.Second, MaxBacklog: 64 << 10, CloseLinger: 10 * time.Second},
		func(c *core.Config) {
			c.SnapshotEvery = 1
			c.SlowTicks = 5
			c.CrowdPlayers, c.PositionBudget = 1<<20, 1<<30
		}) // no crowd mode, no budget: the queue overflows
	e.crowd(60)
	slow, good := e.dial(), e.dial()
	e.hello(slow, 1)
	e.hello(good, 2)
	mustSend(t, slow, position(1, dam))
	roundTrip(t, slow, 1)
	mustSend(t, good, position(1, geo.Point{Lat: dam.Lat, Lng: dam.Lng + 0.05})) // elsewhere in town
	roundTrip(t, good, 1)
	pongs := readPongs(good)
	// Ticks at 500 Hz, with 8 EVENTs each: a reading client keeps up, the
	// slow one's buffers fill at ~0.5 MB/s.
	pace := time.NewTicker(2 * time.Millisecond)
	defer pace.Stop()
	for tick := 0; e.srv.Conns() == 2; tick++ { // a closed connection no longer counts, even while it lingers
		if tick == 15_000 {
			t.Fatal("the slow reader was never closed")
		}
		e.core.Tick()
		for range 8 {
			e.core.Broadcast(7, protocol.Event{Kind: 1, Hunt: 7, Time: uint64(tick)})
		}
		<-pace.C
	}
	mustSend(t, good, protocol.AppendPing(nil, &protocol.Ping{Time: 77}))
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
	// What reaches the slow client once it reads: what its buffers held,
	// then the too_slow ERROR (where the transport keeps room for it) and
	// the close (SPEC.md §4).
	code, errs := closeAndErrors(t, slow)
	if code != protocol.CodeTooSlow {
		t.Errorf("slow reader closed %v, want too_slow", code)
	}
	if e.kind.Caps().TooSlowError && !lastIs(errs, protocol.CodeTooSlow) {
		t.Errorf("ERRORs before the close %v, want too_slow last", errs)
	}
}
