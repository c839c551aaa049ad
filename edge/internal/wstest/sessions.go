package wstest

// The session cases (SPEC.md §2.3): idle, token expiry, replaced (every
// kind), and the transport's own idle backstop (Caps.IdleBackstop).

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// mint is a token for player in hunt 7, valid for ttl from now.
func (e *edge) mint(player uint32, ttl time.Duration) string {
	e.t.Helper()
	tok, err := token.Mint(e.priv, player, 7, "", time.Now(), ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// clock is the core's clock in the session tests: the real time moved on
// by hand, so that an hour passes without a sleep.
type clock struct{ skew atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *clock) advance(d time.Duration) { c.skew.Add(int64(d)) }
func (c *clock) install(cc *core.Config) { cc.Now = c.now }

// expectErrorThenClose reads what the server sends c until it closes: an
// ERROR with code must come first, then the close with code (SPEC.md §4).
func expectErrorThenClose(t *testing.T, c Client, code protocol.Code, what string) {
	t.Helper()
	got, errs, err := c.End()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got != code {
		t.Fatalf("%s: closed %v, want %v", what, got, code)
	}
	if len(errs) == 0 {
		t.Fatalf("%s: closed %v without an ERROR first", what, code)
	}
	for _, ec := range errs {
		if ec != code {
			t.Fatalf("%s: ERROR %v, want %v", what, ec, code)
		}
	}
}

// testIdle (SPEC.md §2.3): a welcomed client that sends nothing for the
// idle limit gets ERROR idle and a close with idle (4016), not normal; a
// client that sends PING stays.
func testIdle(t *testing.T, s suite) {
	var clk clock
	e := newEdge(t, s, Options{}, clk.install)
	quiet, pinger := e.dial(), e.dial()
	e.hello(quiet, 1)
	e.hello(pinger, 2)
	for i := uint64(1); i <= 3; i++ { // 150 s of the core's time, a PING every 50 s
		clk.advance(50 * time.Second)
		roundTrip(t, pinger, i)
		e.core.Tick()
	}
	expectErrorThenClose(t, quiet, protocol.CodeIdle, "150 s without a message")
	roundTrip(t, pinger, 9)
	if n := e.core.Snapshot().Closes[protocol.CodeIdle]; n != 1 {
		t.Errorf("Closes[idle] = %d, want 1", n)
	}
}

// testTokenExpiry (SPEC.md §2.3): without a TOKEN the session ends
// token_expired (4004, ERROR first) after its token's expiry and the
// grace; a client that sent TOKEN with a fresh token stays.
func testTokenExpiry(t *testing.T, s suite) {
	var clk clock
	e := newEdge(t, s, Options{}, clk.install, func(c *core.Config) { c.IdleTimeout = 24 * time.Hour })
	stale, fresh := e.dial(), e.dial()
	e.hello(stale, 1)
	e.hello(fresh, 2)
	mustSend(t, fresh, protocol.AppendToken(nil, &protocol.Token{Token: protocol.Text(e.mint(2, 3*time.Hour))}))
	roundTrip(t, fresh, 1) // the TOKEN was handled
	clk.advance(time.Hour + 11*time.Second)
	e.core.Tick()
	expectErrorThenClose(t, stale, protocol.CodeTokenExpired, "an hour and the grace without TOKEN")
	roundTrip(t, fresh, 2)
	// A TOKEN for another player is fatal.
	mustSend(t, fresh, protocol.AppendToken(nil, &protocol.Token{Token: protocol.Text(e.mint(3, 3*time.Hour))}))
	expectErrorThenClose(t, fresh, protocol.CodeUnauthorized, "TOKEN naming another player")
}

// testReplaced (SPEC.md §2.3): a second connection of the same player wins;
// the first gets ERROR replaced and a close with replaced (4017), and the
// player is counted once.
func testReplaced(t *testing.T, s suite) {
	e := newEdge(t, s, Options{})
	first, second := e.dial(), e.dial()
	e.hello(first, 1)
	mustSend(t, first, position(1, dam))
	roundTrip(t, first, 1)
	e.hello(second, 1)
	expectErrorThenClose(t, first, protocol.CodeReplaced, "the older connection of player 1")
	mustSend(t, second, position(1, dam))
	roundTrip(t, second, 2)
	if n := e.core.PlayersByHunt()[7]; n != 1 {
		t.Errorf("PlayersByHunt = %d, want 1", n)
	}
}

// testIdleBackstop: the transport's own idle deadline (behind the core's
// limit) closes with ERROR idle and idle (4016) too, never normal, and
// counts it once.
// WebSocket pings are no protocol activity, but they are frames: the
// deadline runs from the last frame of any kind.
func testIdleBackstop(t *testing.T, s suite) {
	e := newEdge(t, s, Options{IdleTimeout: 150 * time.Millisecond})
	c := e.dial()
	e.hello(c, 1)
	before := e.core.Snapshot().Closes[protocol.CodeIdle]
	expectErrorThenClose(t, c, protocol.CodeIdle, "the transport's idle deadline")
	if d := e.core.Snapshot().Closes[protocol.CodeIdle] - before; d != 1 {
		t.Errorf("Closes[idle] grew by %d, want 1", d)
	}
}
