package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// lastError is the code of the last ERROR among msgs.
func lastError(msgs []protocol.Message) (protocol.Code, bool) {
	for i := len(msgs) - 1; i >= 0; i-- {
		if e, ok := msgs[i].(*protocol.ErrorMessage); ok {
			return e.Code, true
		}
	}
	return 0, false
}

// expectClosed checks that id was closed with code and that an ERROR with
// that code was the last thing queued for it.
func (r *rig) expectClosed(id SessionID, code protocol.Code, what string) {
	r.t.Helper()
	if got := r.net.closed[id]; got != code {
		r.t.Fatalf("%s: closed with %v, want %v", what, got, code)
	}
	if got, ok := lastError(r.pull(id)); !ok || got != code {
		r.t.Fatalf("%s: last message ERROR %v (%v), want ERROR %v before the close", what, got, ok, code)
	}
}

func (r *rig) expectOpen(id SessionID, what string) {
	r.t.Helper()
	if code, closed := r.net.closed[id]; closed {
		r.t.Fatalf("%s: closed with %v, want open", what, code)
	}
}

// mint is a TOKEN message for player and hunt.
func (r *rig) mint(player, hunt uint32, issued time.Time, ttl time.Duration) []byte {
	tok, err := token.Mint(r.priv, player, hunt, "", issued, ttl)
	if err != nil {
		r.t.Fatal(err)
	}
	return protocol.AppendToken(nil, &protocol.Token{Token: protocol.Text(tok)})
}

// TestTokenExpiresWithoutRefresh (issue 12 item 7): a session ends
// token_expired once its token's expiry and the grace have passed, checked
// on the tick; a TOKEN with a fresh token moves the expiry.
func TestTokenExpiresWithoutRefresh(t *testing.T) {
	r := newRig(t, func(c *Config) { c.IdleTimeout = 24 * time.Hour }) // idleness is another test's
	start := r.now
	stale, fresh := r.join(1), r.join(2) // tokens valid for an hour
	r.now = start.Add(30 * time.Minute)
	if err := r.c.Deliver(fresh, r.mint(2, testHunt, r.now, time.Hour)); err != nil { // now valid to start+90m
		t.Fatalf("TOKEN refresh: %v", err)
	}
	if msgs := r.pull(fresh); len(msgs) != 0 {
		t.Fatalf("a good TOKEN was answered: %v", msgs)
	}
	grace := 10 * time.Second // the default, SPEC.md §2.3
	r.now = start.Add(time.Hour + grace - time.Millisecond)
	r.c.Tick()
	r.expectOpen(stale, "within the grace")
	r.now = start.Add(time.Hour + grace)
	r.c.Tick()
	r.expectClosed(stale, protocol.CodeTokenExpired, "an hour and the grace after HELLO, no TOKEN")
	r.expectOpen(fresh, "refreshed at 30 min")
	r.now = start.Add(90*time.Minute + grace)
	r.c.Tick()
	r.expectClosed(fresh, protocol.CodeTokenExpired, "the refreshed token's expiry and the grace")
	if st := r.c.Snapshot(); st.Closes[protocol.CodeTokenExpired] != 2 || st.TokensRefreshed != 1 {
		t.Errorf("closes %v, refreshed %d", st.Closes, st.TokensRefreshed)
	}
}

// TestTokenMustNameTheSession: TOKEN naming another player or hunt, or a
// token that is bad or expired, is fatal with the code HELLO would get;
// TOKEN before HELLO is hello_required.
func TestTokenMustNameTheSession(t *testing.T) {
	r := newRig(t)
	r.c.cfg.Hunts = hunts{testHunt: {ID: testHunt, Resolution: 9, Active: true}, 8: {ID: 8, Resolution: 9, Active: true}}
	cases := []struct {
		name  string
		frame []byte
		want  protocol.Code
	}{
		{"another player", r.mint(99, testHunt, r.now, time.Hour), protocol.CodeUnauthorized},
		{"another hunt", r.mint(1, 8, r.now, time.Hour), protocol.CodeWrongHunt},
		{"expired", r.mint(1, testHunt, r.now.Add(-2*time.Hour), time.Hour), protocol.CodeTokenExpired},
		{"garbage", protocol.AppendToken(nil, &protocol.Token{Token: protocol.Text("x.y.z")}), protocol.CodeUnauthorized},
		{"truncated", []byte{byte(protocol.TypeToken), 1, 0, 0}, protocol.CodeBadMessage},
	}
	for _, c := range cases {
		id := r.join(1) // the same player each time: each join replaces the last one, already closed
		err := r.c.Deliver(id, c.frame)
		if protocol.CodeOf(err) != c.want {
			t.Errorf("%s: Deliver = %v, want code %v", c.name, err, c.want)
		}
		r.expectClosed(id, c.want, c.name)
	}
	id := r.c.Open(r.owner, 0)
	if err := r.c.Deliver(id, r.mint(1, testHunt, r.now, time.Hour)); protocol.CodeOf(err) != protocol.CodeHelloRequired {
		t.Errorf("TOKEN before HELLO: %v", err)
	}
}

// TestIdleSessionIsClosedIdle (issue 12 item 8): a welcomed session that
// sends no message for IdleTimeout gets ERROR idle and a close with idle,
// never normal; any message, PING included, is activity.
func TestIdleSessionIsClosedIdle(t *testing.T) {
	r := newRig(t) // IdleTimeout 60s by default
	quiet, pinger := r.join(1), r.join(2)
	start := r.now
	for s := 1; s <= 3; s++ { // PING every 50 s keeps pinger open for 150 s
		r.now = start.Add(time.Duration(s) * 50 * time.Second)
		if err := r.c.Deliver(pinger, protocol.AppendPing(nil, &protocol.Ping{Time: uint64(s)})); err != nil {
			t.Fatal(err)
		}
		r.pull(pinger)
		r.c.Tick()
		if s == 1 {
			r.expectOpen(quiet, "50 s without a message")
		}
	}
	r.expectClosed(quiet, protocol.CodeIdle, "150 s without a message")
	r.expectOpen(pinger, "a PING every 50 s")
	r.now = r.now.Add(50 * time.Second)
	if err := r.c.Deliver(pinger, nil); err != nil { // an empty frame is no message
		t.Fatal(err)
	}
	r.now = r.now.Add(10 * time.Second)
	r.c.Tick()
	r.expectClosed(pinger, protocol.CodeIdle, "60 s after the last PING, an empty frame between")
	if st := r.c.Snapshot(); st.Closes[protocol.CodeIdle] != 2 || st.Closes[protocol.CodeNormal] != 0 {
		t.Errorf("closes %v: want 2 idle, no normal", st.Closes)
	}
}

// TestNewestSessionReplacesOlder (issue 12 item 9): a second HELLO of the
// same player and hunt closes the first with ERROR replaced; the player is
// counted once, and the old session's end leaves the new one in place.
func TestNewestSessionReplacesOlder(t *testing.T) {
	r := newRig(t)
	old, other := r.join(1), r.join(2)
	r.move(old, dam)
	r.move(other, near)
	r.c.Tick()
	r.pull(other)
	cur := r.join(1)
	r.expectClosed(old, protocol.CodeReplaced, "the older session of player 1")
	r.expectOpen(cur, "the newest session of player 1")
	r.expectOpen(other, "another player")
	if got := r.c.PlayersByHunt()[testHunt]; got != 2 {
		t.Errorf("PlayersByHunt = %d, want 2 (player 1 counted once)", got)
	}
	r.c.BroadcastStatus(protocol.HuntStatus{Hunt: testHunt, State: protocol.HuntActive})
	if msgs := r.pull(old); len(msgs) != 0 {
		t.Errorf("the replaced session still gets broadcasts: %v", msgs)
	}
	// The new session places the player before the transport finishes the
	// old connection: the neighbour must still see player 1 at the end.
	r.move(cur, dam)
	r.c.Closed(old)
	r.c.Tick()
	var ops []uint8
	for _, m := range r.pull(other) {
		if cu, ok := m.(*protocol.CellUpdate); ok {
			for _, e := range cu.Entries {
				if e.Player == 1 {
					ops = append(ops, e.Op)
				}
			}
		}
	}
	if len(ops) == 0 || ops[len(ops)-1] == protocol.OpLeft {
		t.Errorf("neighbour sees player 1 as ops %v after the replacement, want it present at the end", ops)
	}
	newest := r.join(1) // the seat still names cur: a third session replaces it
	r.expectClosed(cur, protocol.CodeReplaced, "the second session of player 1")
	r.c.Closed(cur)
	r.c.Closed(newest)
	r.c.Closed(other)
	if len(r.c.seats) != 0 || len(r.c.buckets) != 0 {
		t.Errorf("%d seats and %d buckets left after every session closed", len(r.c.seats), len(r.c.buckets))
	}
}

var farAway = geo.Point{Lat: 52.3820796, Lng: 4.8924534} // 1 km north of dam

// TestPlayersByCell counts placed players per cell, busiest first, and
// leaves out a player without a position; max bounds the list.
func TestPlayersByCell(t *testing.T) {
	r := newRig(t)
	a, b, c := r.join(1), r.join(2), r.join(3)
	r.join(4) // never placed
	r.move(a, dam)
	r.move(b, dam)
	r.move(c, farAway)
	got := r.c.PlayersByCell(10)
	if len(got) != 2 || got[0].Players != 2 || got[0].Hunt != testHunt || got[1].Players != 1 || got[0].Cell == got[1].Cell {
		t.Fatalf("PlayersByCell = %+v, want the dam cell with 2 players, then one with 1", got)
	}
	if one := r.c.PlayersByCell(1); len(one) != 1 || one[0] != got[0] {
		t.Fatalf("PlayersByCell(1) = %+v, want only %+v", one, got[0])
	}
}
