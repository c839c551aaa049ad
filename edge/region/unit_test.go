package region

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/internal/testkit"
	"github.com/veltrix/veltrix/protocol"
)

func start(t *testing.T, cfg Config) *Region {
	t.Helper()
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// bare is a Region on its own embedded server with no sender and no
// receiver goroutine: a test drives publishAll and applyWatches itself and
// reads r.msgs.
func bare(t *testing.T, cfg Config) *Region {
	t.Helper()
	cfg.defaults()
	srv, err := embed(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.NoEcho())
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	r := &Region{cfg: cfg, srv: srv, nc: nc, msgs: make(chan *nats.Msg, cfg.Pending), kick: make(chan struct{}, 1),
		done: make(chan struct{}), subs: map[cellKey]*nats.Subscription{}}
	r.out.max = cfg.Outbox
	t.Cleanup(func() { nc.Close(); r.shutdownServer() })
	return r
}

// observer is another client of r's embedded server.
func observer(t *testing.T, r *Region) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(r.srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// interest says whether r's embedded server would route a publication on
// subj anywhere (a local subscriber, or a route that asked for it).
func interest(r *Region, subj string) bool { return r.srv.GlobalAccount().SubscriptionInterest(subj) }

type noHunts struct{}

func (noHunts) Hunt(uint32) (core.HuntInfo, bool) { return core.HuntInfo{}, false }

// newCore is a core sharing cells through r, as edge.Start builds it.
func newCore(t *testing.T, r *Region) *core.Core {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := core.New(core.Config{PublicKey: pub, Hunts: noHunts{}, Peers: r, Origin: r.Origin()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cellFrame(cell uint64, origin, player uint32, flags uint8) []byte {
	return protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: protocol.Cell(cell), Flags: flags, Origin: origin,
		Entries: []protocol.CellEntry{{Op: protocol.OpEntered, Player: player}}})
}

const (
	cellA = 0x8928308280fffff
	cellB = 0x8928308281fffff
)

func TestConfigValidateCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // nil: valid
	}{
		{"zero config runs alone", Config{}, nil},
		{"external cluster", Config{URL: "nats://10.0.0.1:4222"}, nil},
		{"several external URLs, spaced, tls", Config{URL: "nats://10.0.0.1:4222, tls://10.0.0.2:4222"}, nil},
		{"cluster with routes of both spellings", Config{ClusterListen: ":6250", Routes: []string{"10.0.0.2:6250", "nats-route://10.0.0.3:6250"}}, nil},
		{"cluster listen on port 0 without routes", Config{ClusterListen: "127.0.0.1:0"}, nil},
		{"http URL", Config{URL: "http://10.0.0.1:4222"}, []string{`NATS URL "http://10.0.0.1:4222" is not nats://host:port`}},
		{"one bad URL of two", Config{URL: "nats://a:4222,b:4222"}, []string{`NATS URL "b:4222"`}},
		{"URL and cluster listen", Config{URL: "nats://a:4222", ClusterListen: ":6250"}, []string{"exclude each other"}},
		{"URL and routes", Config{URL: "nats://a:4222", Routes: []string{"b:6250"}}, []string{"exclude each other", "routes need a cluster listen address"}},
		{"cluster listen without port", Config{ClusterListen: "10.0.0.1"}, []string{`cluster listen address "10.0.0.1"`}},
		{"routes without cluster listen", Config{Routes: []string{"10.0.0.2:6250"}}, []string{"routes need a cluster listen address"}},
		{"route without port", Config{ClusterListen: ":6250", Routes: []string{"nats-route://10.0.0.2"}}, []string{`route "nats-route://10.0.0.2" is not`}},
		{"negative outbox", Config{Outbox: -1}, []string{"outbox -1 and pending 0 cannot be negative"}},
		{"negative pending", Config{Pending: -5}, []string{"outbox 0 and pending -5 cannot be negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil; want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "region: ") {
				t.Errorf("Validate() = %q; want it prefixed \"region: \"", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q; want it to say %q", err, w)
				}
			}
			if _, serr := Start(tc.cfg); serr == nil || serr.Error() != err.Error() {
				t.Errorf("Start() = %v; want the Validate error", serr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	var c Config
	c.defaults()
	if c.ClusterName != DefaultClusterName || c.Origin == 0 || c.Outbox != DefaultOutbox || c.Pending != DefaultPending || c.Logger == nil {
		t.Errorf("defaults() = %+v", c)
	}
	c = Config{Origin: 42, Outbox: 10, Pending: 3, ClusterName: "x"}
	c.defaults()
	if c.Origin != 42 || c.Outbox != 10 || c.Pending != 3 || c.ClusterName != "x" {
		t.Errorf("defaults() overrode set values: %+v", c)
	}
}

func TestAlone(t *testing.T) {
	lone := start(t, Config{Origin: 9})
	if !lone.Alone() || lone.ClusterAddr() != "" || lone.Origin() != 9 || !lone.Connected() {
		t.Errorf("embedded, no cluster: Alone %v, ClusterAddr %q, Origin %d, Connected %v; want true, \"\", 9, true",
			lone.Alone(), lone.ClusterAddr(), lone.Origin(), lone.Connected())
	}
	clustered := start(t, Config{ClusterListen: "127.0.0.1:0"})
	if clustered.Alone() || !strings.HasPrefix(clustered.ClusterAddr(), "127.0.0.1:") || clustered.ClusterAddr() == "127.0.0.1:0" {
		t.Errorf("clustered: Alone %v, ClusterAddr %q; want false and the picked port", clustered.Alone(), clustered.ClusterAddr())
	}
	// An edge whose routes name only siblings still has a route listener.
	if (&Region{srv: lone.srv, cfg: Config{Routes: []string{"10.0.0.2:6250"}}}).Alone() {
		t.Error("an embedded server with routes is alone")
	}
	// An external cluster has other clients by design.
	if ext := (&Region{cfg: Config{URL: "nats://10.0.0.1:4222"}}); ext.Alone() || ext.ClusterAddr() != "" {
		t.Errorf("external cluster: Alone %v, ClusterAddr %q", ext.Alone(), ext.ClusterAddr())
	}
}

// TestPublishCopies: the outbox holds a copy of each frame (the core reuses
// its buffers after the tick), back to back and in order, marks only the
// snapshot series ORIGIN_SNAPSHOT, and wakes the sender once.
func TestPublishCopies(t *testing.T) {
	r := &Region{kick: make(chan struct{}, 1)}
	r.out.max = 1 << 10
	update := cellFrame(cellA, 5, 1, 0)
	snap := cellFrame(cellB, 5, 2, protocol.FlagSnapshot)
	r.Publish(7, cellA, update, false)
	r.Publish(8, cellB, snap, true)
	wantUpdate, wantSnap := string(update), string(snap)
	update[len(update)-1] ^= 0xff // the core reuses its buffer
	if len(r.kick) != 1 {
		t.Errorf("%d wake-ups pending; want 1", len(r.kick))
	}
	b := r.out.b
	if len(b.frames) != 2 || b.frames[0] != (outFrame{cellKey{7, cellA}, 0, uint32(len(wantUpdate))}) ||
		b.frames[1] != (outFrame{cellKey{8, cellB}, uint32(len(wantUpdate)), uint32(len(wantSnap))}) {
		t.Fatalf("outbox frames %+v", b.frames)
	}
	if got := string(b.buf[:len(wantUpdate)]); got != wantUpdate {
		t.Error("the outbox copy of the update changed with the caller's buffer, or was rewritten")
	}
	got := b.buf[len(wantUpdate):]
	var m protocol.CellUpdate
	_, body, _, err := protocol.Split(got)
	if err != nil || m.Decode(body) != nil {
		t.Fatalf("outbox snapshot does not decode: %v", err)
	}
	if m.Flags != protocol.FlagOriginSnapshot || m.Origin != 5 || len(m.Entries) != 1 || m.Entries[0].Player != 2 {
		t.Errorf("outbox snapshot = %+v; want ORIGIN_SNAPSHOT of origin 5 with player 2", m)
	}
	if string(snap) != wantSnap {
		t.Error("Publish rewrote the caller's snapshot")
	}
}

// TestOutboxFullDrops: what does not fit is dropped and counted
// outbox_full, once, before and after the sender moves the count.
func TestOutboxFullDrops(t *testing.T) {
	r := bare(t, Config{})
	frame := cellFrame(cellA, r.Origin(), 1, 0)
	r.out.max = 2 * len(frame)
	for range 4 {
		r.Publish(7, cellA, frame, false)
	}
	if n := len(r.out.b.frames); n != 2 {
		t.Fatalf("%d frames in a two-frame outbox", n)
	}
	if d := r.Stats().Drops[DropOutboxFull]; d != 2 {
		t.Errorf("outbox_full %d; want 2", d)
	}
	r.publishAll(batch{}, map[cellKey]string{})
	st := r.Stats()
	if st.Drops[DropOutboxFull] != 2 || st.Published != 2 || st.PublishedBytes != uint64(2*len(frame)) {
		t.Errorf("after publishing: outbox_full %d, published %d (%d bytes); want 2, 2 (%d bytes)",
			st.Drops[DropOutboxFull], st.Published, st.PublishedBytes, 2*len(frame))
	}
	r.Publish(7, cellA, frame, false) // room again
	if n := len(r.out.b.frames); n != 1 {
		t.Errorf("%d frames after the outbox emptied; want 1", n)
	}
}

// TestPublishAllInOrder: publishAll hands each frame to NATS on its cell's
// subject in the order published, and returns the emptied batch for reuse.
func TestPublishAllInOrder(t *testing.T) {
	r := bare(t, Config{})
	obs := observer(t, r)
	sub, err := obs.SubscribeSync(cellPrefix + ">")
	if err != nil {
		t.Fatal(err)
	}
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	type pub struct {
		hunt  uint32
		cell  uint64
		frame []byte
	}
	pubs := []pub{{7, cellA, cellFrame(cellA, 3, 1, 0)}, {7, cellB, cellFrame(cellB, 3, 2, 0)}, {7, cellA, cellFrame(cellA, 3, 3, 0)}, {9, cellA, cellFrame(cellA, 3, 4, 0)}}
	subjects := map[cellKey]string{}
	var spare batch
	for round := range 2 {
		for _, p := range pubs {
			r.Publish(p.hunt, p.cell, p.frame, false)
		}
		spare = r.publishAll(spare, subjects)
		for i, p := range pubs {
			m, err := sub.NextMsg(20 * time.Second)
			if err != nil {
				t.Fatalf("round %d, message %d: %v", round, i, err)
			}
			if m.Subject != subject(p.hunt, p.cell) || !bytes.Equal(m.Data, p.frame) {
				t.Errorf("round %d, message %d on %q (%d bytes); want %q (%d bytes)", round, i, m.Subject, len(m.Data), subject(p.hunt, p.cell), len(p.frame))
			}
		}
		if len(spare.frames) != len(pubs) || len(r.out.b.frames) != 0 {
			t.Errorf("round %d: spare holds %d frames, outbox %d; want %d and 0", round, len(spare.frames), len(r.out.b.frames), len(pubs))
		}
	}
	if len(subjects) != 3 {
		t.Errorf("%d subjects cached; want 3", len(subjects))
	}
	if st := r.Stats(); st.Published != 8 {
		t.Errorf("Published %d; want 8", st.Published)
	}
	if r.out.b.buf == nil || cap(r.out.b.buf) == 0 {
		t.Error("publishAll did not hand the previous batch's buffer back to the outbox")
	}
}

// TestWatchSubscribes: the first interest in a cell subscribes, repeated
// interest does not subscribe twice, the last unsubscribes, and an interest
// withdrawn before the sender saw it never subscribes.
func TestWatchSubscribes(t *testing.T) {
	r := bare(t, Config{})
	subjects := map[cellKey]string{}
	apply := func() {
		t.Helper()
		r.applyWatches(subjects)
		if err := r.nc.Flush(); err != nil { // the server has seen every SUB and UNSUB
			t.Fatal(err)
		}
	}
	a, b := subject(7, cellA), subject(7, cellB)
	r.Watch(7, cellA, true)
	apply()
	if n := r.Stats().Subscriptions; n != 1 || !interest(r, a) {
		t.Fatalf("after the first watcher: %d subscriptions, interest %v; want 1, true", n, interest(r, a))
	}
	first := r.subs[cellKey{7, cellA}]
	r.Watch(7, cellA, true)
	r.Watch(7, cellB, true)
	r.Watch(7, cellB, false)
	apply()
	if n := r.Stats().Subscriptions; n != 1 || r.subs[cellKey{7, cellA}] != first || interest(r, b) {
		t.Fatalf("after a repeat and a withdrawn watch: %d subscriptions, same %v, interest in b %v; want 1, true, false",
			n, r.subs[cellKey{7, cellA}] == first, interest(r, b))
	}
	obs := observer(t, r)
	if err := obs.Publish(a, []byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-r.msgs:
		if m.Subject != a || string(m.Data) != "x" {
			t.Errorf("received %q %q", m.Subject, m.Data)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("nothing arrived for a watched cell")
	}
	subjects[cellKey{7, cellA}] = a
	r.Watch(7, cellA, false)
	apply()
	if n := r.Stats().Subscriptions; n != 0 || interest(r, a) {
		t.Errorf("after the last watcher left: %d subscriptions, interest %v; want 0, false", n, interest(r, a))
	}
	if _, ok := subjects[cellKey{7, cellA}]; ok {
		t.Error("the unwatched cell's subject stays cached")
	}
	if len(r.kick) != 1 {
		t.Errorf("%d wake-ups pending; want 1", len(r.kick))
	}
}

// TestSlowConsumerDrops: with nobody receiving, NATS drops what does not
// fit in Pending and Stats counts it slow_consumer, also once the
// subscription is gone.
func TestSlowConsumerDrops(t *testing.T) {
	r := bare(t, Config{Pending: 2})
	r.Watch(7, cellA, true)
	r.applyWatches(map[cellKey]string{})
	if err := r.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	obs := observer(t, r)
	for i := range 5 {
		if err := obs.Publish(subject(7, cellA), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	testkit.Until(t, "3 slow_consumer drops", func() bool { return r.Stats().Drops[DropSlowConsumer] >= 3 })
	r.Watch(7, cellA, false)
	r.applyWatches(map[cellKey]string{})
	if st := r.Stats(); st.Drops[DropSlowConsumer] != 3 || st.Subscriptions != 0 {
		t.Errorf("after unsubscribing: slow_consumer %d, %d subscriptions; want 3, 0", st.Drops[DropSlowConsumer], st.Subscriptions)
	}
	for i := range 2 {
		if m := <-r.msgs; m.Data[0] != byte(i) {
			t.Errorf("message %d kept is %d; want the first ones", i, m.Data[0])
		}
	}
}

// pair is two edges whose embedded servers are routed to each other.
func pair(t *testing.T) (a, b *Region) {
	t.Helper()
	a = start(t, Config{ClusterListen: "127.0.0.1:0"})
	b = start(t, Config{ClusterListen: "127.0.0.1:0", Routes: []string{a.ClusterAddr()}})
	testkit.Until(t, "the route between the two edges", func() bool { return a.Stats().Routes > 0 && b.Stats().Routes > 0 })
	return a, b
}

// TestTwoEdges: a frame published on one edge reaches the other's core for
// a cell the other watches, and not for a cell it does not.
func TestTwoEdges(t *testing.T) {
	a, b := pair(t)
	bc := newCore(t, b)
	b.Attach(bc)
	b.Watch(7, cellA, true)
	testkit.Until(t, "b's interest in the watched cell to reach a", func() bool { return interest(a, subject(7, cellA)) })
	if interest(a, subject(7, cellB)) {
		t.Fatal("a sees interest in a cell nobody watches")
	}
	unwatched, watched := cellFrame(cellB, a.Origin(), 1, 0), cellFrame(cellA, a.Origin(), 2, 0)
	a.Publish(7, cellB, unwatched, false) // published first: had it been carried, it would arrive first
	a.Publish(7, cellA, watched, false)
	testkit.Until(t, "a frame at b", func() bool { return b.Stats().Received > 0 })
	if st := b.Stats(); st.Received != 1 || st.ReceivedBytes != uint64(len(watched)) || st.RouteInBytes == 0 {
		t.Errorf("b received %d frames (%d bytes, %d over routes); want only the watched cell's %d bytes",
			st.Received, st.ReceivedBytes, st.RouteInBytes, len(watched))
	}
	testkit.Until(t, "a to publish both", func() bool { return a.Stats().Published == 2 })
	// The frame is in b's core inbox: its tick drains it (no local player
	// watches the cell here, so it is counted unwatched).
	bc.Tick()
	if d := bc.Snapshot().Drops; d[core.DropRemoteUnwatched] != 1 || d[core.DropRemoteBad] != 0 {
		t.Errorf("b's core drained remote_unwatched %d, remote_bad %d; want 1, 0", d[core.DropRemoteUnwatched], d[core.DropRemoteBad])
	}
}

// TestHeartbeatReachesSiblings: each edge's heartbeat, its origin, reaches
// the other side's server once the route is up.
func TestHeartbeatReachesSiblings(t *testing.T) {
	a, b := pair(t)
	obs := observer(t, b)
	beats, err := obs.SubscribeSync(aliveSubject)
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := beats.NextMsg(20 * time.Second)
		if err != nil {
			t.Fatalf("no heartbeat of a at b: %v", err)
		}
		if len(m.Data) != 4 {
			t.Fatalf("heartbeat of %d bytes", len(m.Data))
		}
		if binary.LittleEndian.Uint32(m.Data) == a.Origin() {
			return
		}
	}
}

// TestCloseStopsGoroutines: Close stops the sender and the receiver (what
// would wake them stays unconsumed), closes the connection and the server,
// and a second Close is harmless.
func TestCloseStopsGoroutines(t *testing.T) {
	r, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	r.Attach(newCore(t, r))
	r.Close()
	r.Close()
	if r.Connected() || r.srv.Running() {
		t.Errorf("after Close: connected %v, server running %v", r.Connected(), r.srv.Running())
	}
	r.Publish(7, cellA, cellFrame(cellA, r.Origin(), 1, 0), false)
	r.msgs <- &nats.Msg{Subject: subject(7, cellA), Data: []byte{1}}
	if len(r.kick) != 1 || len(r.msgs) != 1 {
		t.Errorf("after Close: %d wake-ups and %d messages left; want 1 and 1 (nobody consumes them)", len(r.kick), len(r.msgs))
	}
}

// TestHeartbeatDropsCounted: heartbeats share the receiver's channel with
// the cells; what NATS drops of them for want of room is slow_consumer too.
func TestHeartbeatDropsCounted(t *testing.T) {
	r := start(t, Config{Pending: 2}) // nobody receives: no Attach
	testkit.Until(t, "the heartbeat subscription at the server", func() bool { return interest(r, aliveSubject) })
	obs := observer(t, r)
	for i := range 5 {
		if err := obs.Publish(aliveSubject, []byte{byte(i), 0, 0, 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	testkit.Until(t, "the heartbeats in the channel", func() bool { return len(r.msgs) == 2 })
	testkit.Until(t, "3 slow_consumer drops", func() bool { return r.Stats().Drops[DropSlowConsumer] == 3 })
}

func TestParseSubject(t *testing.T) {
	for _, tc := range []struct {
		name, subj string
		hunt       uint32
		cell       uint64
		ok         bool
	}{
		{"canonical", subject(7, cellA), 7, cellA, true},
		{"largest hunt and cell", subject(1<<32-1, 1<<64-1), 1<<32 - 1, 1<<64 - 1, true},
		{"zero", subject(0, 0), 0, 0, true},
		{"heartbeat subject", aliveSubject, 0, 0, false},
		{"prefix only", cellPrefix, 0, 0, false},
		{"no cell", cellPrefix + "7", 0, 0, false},
		{"empty hunt and cell", cellPrefix + ".", 0, 0, false},
		{"hunt in hex", cellPrefix + "x7.1", 0, 0, false},
		{"negative hunt", cellPrefix + "-7.1", 0, 0, false},
		{"hunt beyond 32 bits", cellPrefix + "4294967296.1", 0, 0, false},
		{"cell beyond 64 bits", cellPrefix + "7.10000000000000000", 0, 0, false},
		{"cell not hex", cellPrefix + "7.fg", 0, 0, false},
		{"extra token", cellPrefix + "7.1.2", 0, 0, false},
		{"wildcard", cellPrefix + "7.>", 0, 0, false},
		{"other prefix", "veltrix.cells.7.1", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c, ok := parseSubject(tc.subj)
			if ok != tc.ok || (ok && (h != tc.hunt || c != tc.cell)) {
				t.Errorf("parseSubject(%q) = %d, %x, %v; want %d, %x, %v", tc.subj, h, c, ok, tc.hunt, tc.cell, tc.ok)
			}
		})
	}
}
