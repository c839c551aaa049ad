package core

import (
	"crypto/ed25519"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// fakeNet records what the core asks of a transport.
type fakeNet struct {
	ready  map[SessionID]int
	track  bool        // record due
	due    []SessionID // readied, in order, while track (a test may pull these only, as a transport does)
	closed map[SessionID]protocol.Code
}

func (f *fakeNet) Ready(id SessionID, _ uint64) {
	f.ready[id]++
	if f.track {
		f.due = append(f.due, id)
	}
}

func (f *fakeNet) Hangup(id SessionID, _ uint64, code protocol.Code) { f.closed[id] = code }

type hunts map[uint32]HuntInfo

func (h hunts) Hunt(id uint32) (HuntInfo, bool) { x, ok := h[id]; return x, ok }

type rig struct {
	t     testing.TB
	c     *Core
	net   *fakeNet
	owner Owner
	priv  ed25519.PrivateKey
	now   time.Time
}

const testHunt = 7

func newRig(t testing.TB, tweak ...func(*Config)) *rig {
	pub, priv, _ := token.GenerateKey()
	r := &rig{t: t, net: &fakeNet{ready: map[SessionID]int{}, closed: map[SessionID]protocol.Code{}}, priv: priv,
		now: time.Unix(1795000000, 0)}
	cfg := Config{PublicKey: pub, Hunts: hunts{testHunt: {ID: testHunt, Resolution: 9, Active: true}},
		Now: func() time.Time { return r.now }}
	for _, f := range tweak {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	r.owner = c.Register(r.net)
	return r
}

func (r *rig) join(player uint32) SessionID {
	r.t.Helper()
	id := r.c.Open(r.owner, 0)
	tok, _ := token.Mint(r.priv, player, testHunt, "", r.now, time.Hour)
	if err := r.c.Deliver(id, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Kind: protocol.KindBot, Hunt: testHunt, Token: protocol.Text(tok)})); err != nil {
		r.t.Fatal(err)
	}
	if msgs := r.pull(id); len(msgs) != 1 || msgs[0].Type() != protocol.TypeWelcome || msgs[0].(*protocol.Welcome).Player != player {
		r.t.Fatalf("after HELLO: %v", msgs)
	}
	return id
}

// neighbours joins players 1 and 2 in one cell, runs a tick and takes
// what it sent them.
func (r *rig) neighbours() (a, b SessionID) {
	a, b = r.join(1), r.join(2)
	r.move(a, dam)
	r.move(b, near)
	r.c.Tick()
	r.pull(a)
	r.pull(b)
	return a, b
}

var seqs = map[SessionID]uint32{}

func (r *rig) move(id SessionID, p geo.Point) error {
	seqs[id]++
	lat, lng := p.E7()
	return r.c.Deliver(id, protocol.AppendPosition(nil, &protocol.Position{Seq: seqs[id], Lat: lat, Lng: lng, Accuracy: 50, Time: uint64(r.now.UnixMicro())}))
}

// pull takes id's output and decodes it.
func (r *rig) pull(id SessionID) []protocol.Message {
	r.t.Helper()
	ctrl, frames, lease := r.c.Pull(id, nil)
	defer r.c.Release(lease)
	var out []protocol.Message
	if ctrl != nil {
		frames = append([][]byte{ctrl}, frames...)
	}
	for _, f := range frames {
		for len(f) > 0 {
			t, body, rest, err := protocol.Split(f)
			if err != nil {
				r.t.Fatal(err)
			}
			m, err := protocol.DecodeMessage(t, body)
			if err != nil {
				r.t.Fatal(err)
			}
			out = append(out, m)
			f = rest
		}
	}
	return out
}

// updates returns the CELL_UPDATE entries of msgs by player.
func updates(msgs []protocol.Message) map[uint32]protocol.CellEntry {
	out := map[uint32]protocol.CellEntry{}
	for _, m := range msgs {
		if cu, ok := asCellUpdate(m); ok {
			for _, e := range cu.Entries {
				out[e.Player] = e
			}
		}
	}
	return out
}

// asCellUpdate is m as a CELL_UPDATE, a FINE_CELL read as the refined
// snapshot it stands for (SPEC.md §2.2), as a client reads it.
func asCellUpdate(m protocol.Message) (*protocol.CellUpdate, bool) {
	if fc, ok := m.(*protocol.FineCell); ok {
		var cu protocol.CellUpdate
		fc.AsCellUpdate(&cu)
		return &cu, true
	}
	cu, ok := m.(*protocol.CellUpdate)
	return cu, ok
}

var (
	dam   = geo.Point{Lat: 52.3730796, Lng: 4.8924534}
	near  = geo.Point{Lat: 52.3731796, Lng: 4.8925534} // ~13 m away: same cell at res 9
	paris = geo.Point{Lat: 48.8566, Lng: 2.3522}
)

func TestHelloRequiredAndBadTokens(t *testing.T) {
	r := newRig(t)
	id := r.c.Open(r.owner, 0)
	err := r.move(id, dam)
	if protocol.CodeOf(err) != protocol.CodeHelloRequired || r.net.closed[id] != protocol.CodeHelloRequired {
		t.Fatalf("POSITION before HELLO: %v, closed %v", err, r.net.closed[id])
	}
	if msgs := r.pull(id); len(msgs) != 1 || msgs[0].(*protocol.ErrorMessage).Code != protocol.CodeHelloRequired {
		t.Fatalf("no ERROR sent: %v", msgs)
	}
	cases := []struct {
		hello protocol.Hello
		code  protocol.Code
	}{
		{protocol.Hello{Version: 9, Hunt: testHunt}, protocol.CodeUnsupportedVersion},
		{protocol.Hello{Version: 1, Hunt: 99}, protocol.CodeWrongHunt},
		{protocol.Hello{Version: 1, Hunt: testHunt, Token: protocol.Text("garbage")}, protocol.CodeUnauthorized},
	}
	expired, _ := token.Mint(r.priv, 5, testHunt, "", r.now.Add(-2*time.Hour), time.Hour)
	cases = append(cases, struct {
		hello protocol.Hello
		code  protocol.Code
	}{protocol.Hello{Version: 1, Hunt: testHunt, Token: protocol.Text(expired)}, protocol.CodeTokenExpired})
	for _, c := range cases {
		id := r.c.Open(r.owner, 0)
		err := r.c.Deliver(id, protocol.AppendHello(nil, &c.hello))
		if protocol.CodeOf(err) != c.code || r.net.closed[id] != c.code {
			t.Errorf("HELLO %+v: err %v, closed %v, want %v", c.hello, err, r.net.closed[id], c.code)
		}
	}
}

func TestNeighboursSeeEachOtherAndFarPlayersDoNot(t *testing.T) {
	r := newRig(t)
	a, b, far := r.join(1), r.join(2), r.join(3)
	for _, m := range []struct {
		id SessionID
		p  geo.Point
	}{{a, dam}, {b, near}, {far, paris}} {
		if err := r.move(m.id, m.p); err != nil {
			t.Fatal(err)
		}
	}
	r.c.Tick()
	ua, ub, uf := updates(r.pull(a)), updates(r.pull(b)), updates(r.pull(far))
	if _, ok := ua[2]; !ok {
		t.Errorf("a did not see b: %v", ua)
	}
	if _, ok := ub[1]; !ok {
		t.Errorf("b did not see a: %v", ub)
	}
	if _, ok := uf[1]; ok || len(uf) != 1 {
		t.Errorf("the far player saw %v", uf)
	}
	if _, ok := ua[3]; ok {
		t.Error("a saw the far player")
	}
	st := r.c.Snapshot()
	// Every watcher is new: each occupied cell sends one snapshot, to them.
	if st.FramesEncoded != 0 || st.JoinFrames != 2 || st.LastTickCells != 0 {
		t.Errorf("encoded %d frames (%d for newcomers) for %d changed cells, want one newcomers' snapshot per occupied cell (2)",
			st.FramesEncoded, st.JoinFrames, st.LastTickCells)
	}
}

func TestSubscribersShareTheSameBytes(t *testing.T) {
	r := newRig(t)
	a, b := r.join(1), r.join(2)
	r.move(a, dam)
	r.move(b, near)
	r.c.Tick()
	_, fa, la := r.c.Pull(a, nil)
	_, fb, lb := r.c.Pull(b, nil)
	defer r.c.Release(la)
	defer r.c.Release(lb)
	if len(fa) == 0 || len(fb) == 0 || &fa[len(fa)-1][0] != &fb[len(fb)-1][0] {
		t.Fatal("subscribers of one cell did not get the same frame bytes")
	}
}

func TestPositionValidation(t *testing.T) {
	r := newRig(t)
	id := r.join(1)
	if err := r.move(id, dam); err != nil {
		t.Fatal(err)
	}
	r.now = r.now.Add(time.Second)
	if err := r.move(id, paris); err != nil { // 430 km in a second: rejected, not fatal
		t.Fatal(err)
	}
	msgs := r.pull(id)
	if len(msgs) != 1 || msgs[0].(*protocol.ErrorMessage).Code != protocol.CodeImpossibleSpeed {
		t.Fatalf("teleport: %v", msgs)
	}
	r.now = r.now.Add(2 * time.Second)
	lat, lng := near.E7()
	r.c.Deliver(id, protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: lat, Lng: lng})) // old seq
	r.c.Deliver(id, protocol.AppendPosition(nil, &protocol.Position{Seq: 99, Lat: 950000000, Lng: 0}))
	st := r.c.Snapshot()
	if st.Drops[DropImpossibleSpeed] != 1 || st.Drops[DropInvalidPosition] != 2 || r.net.closed[id] != 0 {
		t.Errorf("stats %+v closed %v", st, r.net.closed[id])
	}
	// A flood: the bucket holds 10, refills at 5/s.
	for range 30 {
		r.move(id, near)
	}
	if st := r.c.Snapshot(); st.Drops[DropRateLimited] < 15 {
		t.Errorf("flood of 30 positions: %d rate-limited", st.Drops[DropRateLimited])
	}
	r.pull(id)
	// Accuracy (decimetres): beyond MaxAccuracy (default 500 m) is invalid,
	// and a vague fix buys no distance: 65535 dm once let a client jump 6.5 km.
	from := near
	for _, c := range []struct {
		name   string
		to     geo.Point
		accDm  uint16
		code   protocol.Code // 0: accepted
		moveTo bool
	}{
		{"6 km with the worst accuracy", eastOf(from, 6000), 65535, protocol.CodeInvalidPosition, false},
		{"standing still with the worst accuracy", from, 65535, protocol.CodeInvalidPosition, false},
		{"just beyond the maximum", from, 5001, protocol.CodeInvalidPosition, false},
		{"2 km with the maximum accuracy", eastOf(from, 2000), 5000, protocol.CodeImpossibleSpeed, false},
		{"600 m in 2 s with the maximum accuracy", eastOf(from, 600), 5000, 0, true},
	} {
		r.now = r.now.Add(2 * time.Second) // past the bucket and the one ERROR a second
		seqs[id]++
		lat, lng := c.to.E7()
		err := r.c.Deliver(id, protocol.AppendPosition(nil, &protocol.Position{Seq: seqs[id], Lat: lat, Lng: lng, Accuracy: c.accDm}))
		msgs := r.pull(id)
		var got protocol.Code
		for _, m := range msgs {
			if e, ok := m.(*protocol.ErrorMessage); ok {
				got = e.Code
			}
		}
		if err != nil || got != c.code || r.net.closed[id] != 0 {
			t.Errorf("%s: err %v, ERROR code %v, closed %v; want code %v and the session open", c.name, err, got, r.net.closed[id], c.code)
		}
		if c.moveTo {
			from = c.to
		}
	}
	if _, lng := from.E7(); r.c.tab.get(id).lng != lng {
		t.Errorf("the player is not where its last accepted position put it")
	}
}

// eastOf is p moved m metres east.
func eastOf(p geo.Point, m float64) geo.Point {
	p.Lng += m / (111_320 * math.Cos(p.Lat*math.Pi/180))
	return p
}

func TestLeavingAndCellChanges(t *testing.T) {
	r := newRig(t, func(c *Config) { c.IdleTimeout = time.Hour }) // a watches a minute without a word
	a, b := r.neighbours()
	// b walks ~1 km east (a few seconds later): it leaves the cell a watches.
	r.now = r.now.Add(30 * time.Second)
	r.move(b, geo.Point{Lat: dam.Lat, Lng: dam.Lng + 0.015})
	r.c.Tick()
	if e, ok := updates(r.pull(a))[2]; !ok || e.Op != protocol.OpLeft {
		t.Errorf("a saw %+v for b walking away, want left", e)
	}
	r.now = r.now.Add(30 * time.Second)
	r.move(b, near)
	r.c.Tick()
	if e := updates(r.pull(a))[2]; e.Op != protocol.OpEntered {
		t.Errorf("b walking back: %+v, want entered", e)
	}
	r.c.Closed(b)
	r.c.Tick()
	if e := updates(r.pull(a))[2]; e.Op != protocol.OpLeft {
		t.Errorf("b disconnecting: %+v, want left", e)
	}
	if r.c.Snapshot().Sessions != 1 {
		t.Error("session count")
	}
}

func TestLateJoinerGetsSnapshot(t *testing.T) {
	r := newRig(t)
	a := r.join(1)
	r.move(a, dam)
	r.c.Tick()
	r.pull(a)
	b := r.join(2)
	r.move(b, near)
	r.c.Tick()
	msgs := r.pull(b)
	var snap *protocol.CellUpdate
	for _, m := range msgs {
		if cu, ok := m.(*protocol.CellUpdate); ok && cu.Flags&protocol.FlagSnapshot != 0 {
			snap = cu
		}
	}
	if snap == nil || len(snap.Entries) != 2 {
		t.Fatalf("late joiner got %v, want a snapshot of both players", msgs)
	}
}

func TestSlowConsumerIsDroppedThenClosed(t *testing.T) {
	r := newRig(t, func(c *Config) { c.SlowTicks = 5; c.PositionRate = 1000; c.PositionBurst = 1000 })
	slow, mover := r.join(1), r.join(2)
	r.move(slow, dam)
	for i := range 60 {
		r.now = r.now.Add(100 * time.Millisecond)
		p := near
		p.Lat += float64(i) * 1e-6
		r.move(mover, p)
		r.c.Tick()
		r.pull(mover)
		if r.net.closed[slow] != 0 {
			break
		}
	}
	st := r.c.Snapshot()
	if st.Drops[DropQueueFull] == 0 || r.net.closed[slow] != protocol.CodeTooSlow || st.Closes[protocol.CodeTooSlow] != 1 {
		t.Fatalf("slow consumer: dropped %d, closed %v", st.Drops[DropQueueFull], r.net.closed[slow])
	}
	if r.net.closed[mover] != 0 {
		t.Error("a reading player was closed")
	}
	// Its backlog was dropped: the too_slow ERROR is all it is sent.
	if msgs := r.pull(slow); len(msgs) != 1 || msgs[0].Type() != protocol.TypeError || msgs[0].(*protocol.ErrorMessage).Code != protocol.CodeTooSlow {
		n, _ := countTypes(msgs)
		t.Fatalf("after too_slow: %v, want the too_slow ERROR alone", n)
	}
}

func TestClaimsWithoutCoordinatorAreUnavailable(t *testing.T) {
	r := newRig(t)
	id := r.join(1)
	r.move(id, dam)
	r.c.Deliver(id, protocol.AppendClaim(nil, &protocol.Claim{Request: 4, Treasure: 9}))
	msgs := r.pull(id)
	if len(msgs) != 1 || msgs[0].(*protocol.ClaimResult).Outcome != protocol.OutcomeUnavailable || msgs[0].(*protocol.ClaimResult).Request != 4 {
		t.Fatalf("claim without a coordinator: %v", msgs)
	}
	r.c.Deliver(id, protocol.AppendPing(nil, &protocol.Ping{Time: 77}))
	if msgs := r.pull(id); len(msgs) != 1 || msgs[0].(*protocol.Pong).Echo != 77 {
		t.Fatalf("ping: %v", msgs)
	}
	if err := r.c.Deliver(id, []byte{0x42, 0, 0}); protocol.CodeOf(err) != protocol.CodeBadMessage {
		t.Errorf("edge message from a client: %v", err)
	}
	if err := r.c.Deliver(SessionID(1<<40), nil); !errors.Is(err, ErrUnknownSession) {
		t.Errorf("unknown session: %v", err)
	}
}

// TestHotPathDoesNotAllocate: a POSITION within the player's cell, the tick
// that fans it out to neighbours, and their Pull/Release allocate nothing.
func TestHotPathDoesNotAllocate(t *testing.T) {
	r := newRig(t, func(c *Config) { c.PositionRate, c.PositionBurst = 1e9, 1e9 })
	a, b := r.join(1), r.join(2)
	r.move(a, dam)
	r.move(b, near)
	frame := make([]byte, 0, 64)
	var out [][]byte
	seq := uint32(100)
	lat, lng := near.E7()
	step := func() {
		seq++
		frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: seq, Lat: lat + int32(seq%7), Lng: lng, Time: uint64(seq)})
		if err := r.c.Deliver(b, frame); err != nil {
			t.Fatal(err)
		}
		r.c.Tick()
		for _, id := range []SessionID{a, b} {
			var l Lease
			_, out, l = r.c.Pull(id, out[:0])
			r.c.Release(l)
		}
	}
	for range 100 { // warm up: grow slices and arenas once
		step()
	}
	if n := testing.AllocsPerRun(500, step); n != 0 {
		t.Errorf("position → tick → pull allocates %v times", n)
	}
}
