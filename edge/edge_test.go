package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/edge/link"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

const admin = "edge-test-admin"

type world struct {
	t     testing.TB
	coord *coordinator.Coordinator
	edge  *edge.Edge
	hunt  api.HuntDetail
}

func (w *world) call(method, path string, in, out any) {
	w.t.Helper()
	if err := wire.NewClient([]string{w.coord.URL()}, admin, nil).Do(context.Background(), method, path, in, out, false); err != nil {
		w.t.Fatal(err)
	}
}

// transports are the WebSocket transports the end-to-end tests run against.
var transports = []string{"netpoll", "uring"}

// eachTransport runs test as a subtest per WebSocket transport.
func eachTransport(t *testing.T, test func(t *testing.T, transport string)) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) { test(t, tr) })
	}
}

// embedded starts a single-node coordinator (closed at t's cleanup) and
// waits for it to lead.
func embedded(t testing.TB) *coordinator.Coordinator {
	t.Helper()
	c, err := coordinator.Embedded(t.TempDir(), admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// newWorld starts a single-node coordinator with an active hunt and an edge
// on transport that follows it, and waits until the edge's replica holds
// the hunt.
func newWorld(t testing.TB, transport string) *world {
	w := huntWorld(t)
	w.edge = w.startEdge(transport)
	return w
}

// huntWorld starts a single-node coordinator with an active hunt, and no
// edge yet.
func huntWorld(t testing.TB) *world {
	c := embedded(t)
	w := &world{t: t, coord: c}
	var created struct{ Hunt uint32 }
	w.call("POST", "/v1/hunts", api.HuntRequest{Name: "race", Area: api.AreaRequest{Outer: [][2]float64{{52.36, 4.88}, {52.36, 4.912}, {52.38, 4.912}, {52.38, 4.88}}},
		Resolution: 10, Treasures: 5, MinSpacing: 2, ClaimRadius: 1}, &created)
	w.call("POST", fmt.Sprintf("/v1/hunts/%d/start", created.Hunt), nil, nil)
	w.call("GET", fmt.Sprintf("/v1/hunts/%d?consistent=true", created.Hunt), nil, &w.hunt)
	return w
}

// startEdge starts an edge on transport following the world's coordinator
// (closed at the test's cleanup) and waits until its replica holds the
// active hunt.
func (w *world) startEdge(transport string) *edge.Edge {
	return w.readyEdge(edge.Config{Transport: transport})
}

// readyEdge starts an edge with cfg (startEdgeWith) and waits until its
// replica holds the active hunt.
func (w *world) readyEdge(cfg edge.Config) *edge.Edge {
	e := w.startEdgeWith(cfg)
	w.until(e, "the active hunt", func(rep *link.Replica) bool {
		info, ok := rep.Hunt(w.hunt.ID)
		return ok && info.Active
	})
	return e
}

// startEdgeWith starts an edge with cfg, following the world's coordinator
// from 127.0.0.1:0 (closed at the test's cleanup).
func (w *world) startEdgeWith(cfg edge.Config) *edge.Edge {
	t := w.t
	t.Helper()
	cfg.Listen, cfg.Coordinators, cfg.EdgeToken = "127.0.0.1:0", []string{w.coord.URL()}, admin
	e, err := edge.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Transport != "" && e.TransportName() != cfg.Transport {
		t.Fatalf("edge runs %s, want %s", e.TransportName(), cfg.Transport)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// until waits for e's replica to satisfy ok (what names it).
func (w *world) until(e *edge.Edge, what string, ok func(*link.Replica) bool) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := e.Link.Replica()
	for {
		ch := rep.Changed()
		if ok(rep) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			w.t.Fatalf("the edge never saw %s", what)
		}
	}
}

// inbox holds a client's messages; await takes the first that matches and
// keeps the rest for later awaits.
type inbox struct {
	ch   chan protocol.Message
	kept []protocol.Message
}

// player connects a client over WebSocket whose messages arrive in an inbox.
func (w *world) player(id uint32) (*client.Client, *inbox) {
	return w.playerWith(id, client.Options{URL: w.edge.WSURL()})
}

// playerWith connects a client with o (URL, transport options, a handler
// of its own), filling in the token, hunt and inbox.
func (w *world) playerWith(id uint32, o client.Options) (*client.Client, *inbox) {
	w.t.Helper()
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: id, Hunt: w.hunt.ID}, &tok)
	msgs := &inbox{ch: make(chan protocol.Message, 1024)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	also := o.Handler // called too, before the inbox gets the message
	o.Token, o.Hunt, o.Kind, o.Handler = tok.Token, w.hunt.ID, protocol.KindBot, func(m protocol.Message) {
		if also != nil {
			also(m)
		}
		msgs.ch <- m
	}
	c, err := client.Dial(ctx, o)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { c.Close() })
	return c, msgs
}

// await returns the first message of type T that passes ok.
func await[T protocol.Message](t testing.TB, in *inbox, ok func(T) bool) T {
	t.Helper()
	for i, m := range in.kept {
		if x, is := m.(T); is && ok(x) {
			in.kept = append(in.kept[:i], in.kept[i+1:]...)
			return x
		}
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-in.ch:
			if x, is := m.(T); is && ok(x) {
				return x
			}
			in.kept = append(in.kept, m)
		case <-timeout:
			var zero T
			t.Fatalf("no %T arrived", zero)
			return zero
		}
	}
}

func TestRacingClaimsOneWinnerAndEveryoneHears(t *testing.T) {
	eachTransport(t, func(t *testing.T, transport string) {
		w := newWorld(t, transport)
		tr := w.hunt.Treasures[0]
		lat, lng := float64(tr.Lat)/1e7, float64(tr.Lng)/1e7
		a, am := w.player(101)
		b, bm := w.player(102)
		for _, c := range []*client.Client{a, b} {
			if err := c.Position(lat, lng, 3); err != nil {
				t.Fatal(err)
			}
		}
		// Standing on it, each sees the treasure in its area and a burning hint.
		for _, in := range []*inbox{am, bm} {
			await(t, in, func(m *protocol.Treasures) bool {
				return m.Flags&protocol.FlagSnapshot != 0 && len(m.Treasures) > 0 && m.Treasures[0].Treasure == tr.ID
			})
			await(t, in, func(h *protocol.Hint) bool { return h.Band == protocol.HintBurning })
		}
		var wg sync.WaitGroup
		results := make([]*protocol.ClaimResult, 2)
		for i, c := range []*client.Client{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.Claim(1, tr.ID); err != nil {
					t.Error(err)
				}
			}()
			_ = i
		}
		wg.Wait()
		results[0] = await(t, am, func(r *protocol.ClaimResult) bool { return r.Request == 1 })
		results[1] = await(t, bm, func(r *protocol.ClaimResult) bool { return r.Request == 1 })
		won := 0
		for _, r := range results {
			switch r.Outcome {
			case protocol.OutcomeWon:
				won++
			case protocol.OutcomeAlreadyClaimed:
			default:
				t.Errorf("outcome %d", r.Outcome)
			}
		}
		if won != 1 {
			t.Fatalf("%d winners of one treasure", won)
		}
		// Both players hear the claim as an EVENT; the edge's status shows it
		// without asking the coordinator.
		for _, m := range []*inbox{am, bm} {
			await(t, m, func(e *protocol.Event) bool { return e.Kind == protocol.EventTreasureClaimed && e.Treasure == tr.ID })
			await(t, m, func(u *protocol.Treasures) bool {
				return len(u.Treasures) == 1 && u.Treasures[0].Treasure == tr.ID && u.Treasures[0].State == protocol.TreasureClaimed
			})
		}
		// …and HUNT_STATUS is pushed with the new count.
		await(t, am, func(s *protocol.HuntStatus) bool {
			return int(s.Remaining) == len(w.hunt.Treasures)-1 && len(s.Leaders) == 1
		})
		resp, err := http.Get(fmt.Sprintf("%s/v1/hunts/%d/status", w.edge.URL(), w.hunt.ID))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st api.HuntStatus
		json.NewDecoder(resp.Body).Decode(&st)
		if st.Remaining != len(w.hunt.Treasures)-1 || len(st.Leaderboard) != 1 || st.PlayersOnline != 2 {
			t.Errorf("edge status %+v", st)
		}
	})
}

func TestNeighboursSeeEachOther(t *testing.T) {
	eachTransport(t, func(t *testing.T, transport string) {
		w := newWorld(t, transport)
		a, am := w.player(1)
		b, _ := w.player(2)
		far, fm := w.player(3)
		far.Position(52.3731000, 4.9300000, 5) // ~2.6 km east: outside the interest area
		a.Position(52.3730796, 4.8924534, 5)
		b.Position(52.3731000, 4.8924800, 5)
		cu := await(t, am, func(c *protocol.CellUpdate) bool {
			for _, e := range c.Entries {
				if e.Player == 2 {
					return true
				}
			}
			return false
		})
		if cu.Cell == 0 {
			t.Fatal("cell update without a cell")
		}
		// The tick that told a about b has run. Anything it queued for the far
		// player is pulled no later than the PONG of a first PING, hence arrives
		// before the PONG of a second one: collect up to there.
		far.Ping()
		far.Ping()
		pongs := 0
		for pongs < 2 {
			select {
			case m := <-fm.ch:
				switch x := m.(type) {
				case *protocol.Pong:
					pongs++
				case *protocol.CellUpdate:
					if hasPlayer(x, 1) || hasPlayer(x, 2) {
						t.Fatalf("a far player was sent %+v", x.Entries)
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no PONG")
			}
		}
	})
}

// TestWebTransportPlayerAndReconnect: a WebTransport player (certificate
// pinned by the hash the edge serves) and a WebSocket player see each other;
// when the edge drops the WebSocket connections, that player's client
// reconnects by itself and is seen again.
func TestWebTransportPlayerAndReconnect(t *testing.T) {
	eachTransport(t, func(t *testing.T, transport string) {
		w := newWorld(t, transport)
		var info struct {
			URL  string `json:"url"`
			Hash []byte `json:"cert_sha256"`
		}
		resp, err := http.Get(w.edge.URL() + "/v1/wt")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		a, am := w.playerWith(1, client.Options{URL: info.URL, CertHash: info.Hash})
		b, bm := w.playerWith(2, client.Options{URL: w.edge.WSURL(), Reconnect: true})
		const lat, lng = 52.3730796, 4.8924534
		a.Position(lat, lng, 3)
		b.Position(lat+0.00005, lng, 3)
		await(t, am, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 2) })
		await(t, bm, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 1) })

		w.edge.WS.CloseAll(protocol.CodeShuttingDown) // every WebSocket connection is told to go
		await(t, bm, func(*protocol.Welcome) bool { return true })
		b.Position(lat+0.00006, lng, 3)
		await(t, am, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 2) && entryOf(c, 2).Lat == 523731396 })
		if b.Err() != nil {
			t.Fatalf("the reconnecting client stopped: %v", b.Err())
		}
	})
}

func TestOriginPolicy(t *testing.T) {
	allow := edge.AllowOrigins([]string{"https://play.example"})
	cases := map[string]bool{"": true, "https://play.example": true, "http://edge.test:8090": true, "https://evil.example": false}
	for origin, want := range cases {
		r, _ := http.NewRequest("GET", "http://edge.test:8090/ws", nil)
		r.Host = "edge.test:8090"
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if got := allow(r); got != want {
			t.Errorf("origin %q: allowed %v, want %v", origin, got, want)
		}
	}
}

// TestKillSwitch: with VELTRIX_NO_URING=1 the edge runs WebSocket on
// netpoll and logs why, and -transport=uring refuses to start, saying why.
// The io_uring probe is cached per process, so the check runs in a child
// process started with the variable set.
func TestKillSwitch(t *testing.T) {
	if os.Getenv("VELTRIX_KILL_SWITCH_CHILD") != "" {
		killSwitchChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillSwitch$", "-test.v")
	cmd.Env = append(os.Environ(), "VELTRIX_KILL_SWITCH_CHILD=1", "VELTRIX_NO_URING=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestKillSwitch")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func killSwitchChild(t *testing.T) {
	var logs bytes.Buffer
	cfg := edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{embedded(t).URL()}, EdgeToken: admin,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	e, err := edge.Start(cfg) // transport auto
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.TransportName() != "netpoll" {
		t.Errorf("auto chose %s with the kill switch on, want netpoll", e.TransportName())
	}
	if !strings.Contains(logs.String(), "netpoll (io_uring unavailable)") || !strings.Contains(logs.String(), "VELTRIX_NO_URING=1") {
		t.Errorf("the fallback is not logged with its reason:\n%s", logs.String())
	}
	cfg.Transport = "uring"
	if e, err := edge.Start(cfg); err == nil {
		e.Close()
		t.Fatal("-transport=uring started with the kill switch on")
	} else if !strings.Contains(err.Error(), "io_uring transport unavailable") || !strings.Contains(err.Error(), "VELTRIX_NO_URING") {
		t.Errorf("-transport=uring: %v, want an error naming the kill switch", err)
	}
}
