package wtnet

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// TestSessionEndsCarryTheirReason (SPEC.md §2.3, issue 12 items 7–9) over
// WebTransport: a session that a newer connection of its player replaced,
// one that went idle and one whose token expired each read an ERROR with
// the reason on the stream, then the session closes with that code.
// WebTransport has no idle deadline of its own (QUIC keepalives hold the
// connection), so the core's limit is the only one. The core's clock is
// moved by hand; nothing sleeps.
func TestSessionEndsCarryTheirReason(t *testing.T) {
	var skew atomic.Int64
	r := newRig(t, func(c *core.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		c.IdleTimeout = 30 * time.Minute // shorter than the tokens' hour, so each reason comes alone
	})
	expectEnd := func(p *player, code protocol.Code, what string) {
		t.Helper()
		if e := p.await(t, protocol.TypeError).(*protocol.ErrorMessage); e.Code != code {
			t.Fatalf("%s: ERROR %v, want %v", what, e.Code, code)
		}
		if got := p.closedWith(t); got != code {
			t.Fatalf("%s: session closed with %v, want %v", what, got, code)
		}
	}
	ping := func(p *player, n uint64) {
		t.Helper()
		p.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: n}))
		if m := p.await(t, protocol.TypePong).(*protocol.Pong); m.Echo != n {
			t.Fatalf("PONG %d, want %d", m.Echo, n)
		}
	}

	old := r.dial(1)
	r.dial(1)
	expectEnd(old, protocol.CodeReplaced, "the older session of player 1")

	stale, quiet := r.dial(2), r.dial(3)
	skew.Add(int64(31 * time.Minute))
	ping(stale, 1)
	r.core.Tick()
	expectEnd(quiet, protocol.CodeIdle, "31 min without a message")

	skew.Add(int64(30 * time.Minute)) // 61 min: past the token's hour and the grace
	ping(stale, 2)
	r.core.Tick()
	expectEnd(stale, protocol.CodeTokenExpired, "an hour and the grace without TOKEN")
}
