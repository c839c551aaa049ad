package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

func TestNextAlternate(t *testing.T) {
	ring := []Alternate{{WS: "ws://a/ws", WT: "https://a/wt"}, {WS: "ws://b/ws"}, {WS: "ws://c/ws"}}
	for _, c := range []struct{ cur, want string }{
		{"ws://a/ws", "ws://b/ws"},    // the next one
		{"https://a/wt", "ws://b/ws"}, // found by its WebTransport URL too
		{"ws://c/ws", "ws://a/ws"},    // round robin
		{"ws://x/ws", "ws://a/ws"},    // none of them (after a REDIRECT): the first
	} {
		if got, ok := nextAlternate(ring, c.cur); !ok || got.WS != c.want {
			t.Errorf("nextAlternate after %s = %v, %v; want %s", c.cur, got, ok, c.want)
		}
	}
	if _, ok := nextAlternate(nil, "ws://a/ws"); ok {
		t.Error("an empty ring named an alternate")
	}
	if got := urlOf(ring[0], true); got != "https://a/wt" {
		t.Errorf("urlOf(a, WebTransport) = %s", got)
	}
	if got := urlOf(ring[1], true); got != "ws://b/ws" {
		t.Errorf("urlOf(b without WebTransport, WebTransport) = %s", got)
	}
	for in, want := range map[string]string{"ws://h:1/ws": "http://h:1", "wss://h/x/ws?q=1": "https://h"} {
		if got := httpBase(in); got != want {
			t.Errorf("httpBase(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestFailoverOnlyWhenTheEdgeIsUnreachable: an edge's refusal keeps the
// client where it is; a failed dial moves it to the next entry point,
// where it asks the route first and goes where that answers.
func TestFailoverOnlyWhenTheEdgeIsUnreachable(t *testing.T) {
	router := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"region":"r","ws":"ws://c/ws","alternates":[{"ws":"ws://d/ws"}]}`))
	}))
	defer router.Close()
	b := "ws" + strings.TrimPrefix(router.URL, "http") + "/ws"
	cl := &Client{url: "ws://a/ws", ring: []Alternate{{WS: "ws://a/ws"}, {WS: b}}}
	cl.failover(&RefusedError{Code: protocol.CodeWrongHunt})
	cl.failover(errors.New("connection reset"))
	if cl.url != "ws://a/ws" {
		t.Fatalf("a refusal or a lost connection moved the client to %s", cl.url)
	}
	cl.failover(&dialError{url: cl.url, err: errors.New("connection refused")})
	if cl.url != "ws://c/ws" || len(cl.ring) != 2 || cl.ring[1].WS != "ws://d/ws" {
		t.Fatalf("after a failed dial: url %s, ring %v; want c's, from b's route answer", cl.url, cl.ring)
	}
}

// mortalEdge welcomes every HELLO until kill, which closes its listener
// and its connections at once, as the kernel does for a SIGKILLed edge.
type mortalEdge struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	hellos chan struct{}
}

func newMortalEdge(t *testing.T, player uint32) *mortalEdge {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &mortalEdge{ln: ln, hellos: make(chan struct{}, 8)}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns = append(e.conns, c)
		e.mu.Unlock()
		if _, err := wsutil.ReadClientBinary(c); err != nil { // HELLO
			return
		}
		e.hellos <- struct{}{}
		if wsutil.WriteServerBinary(c, welcome(player)) != nil {
			return
		}
		for { // hold the connection until the client goes or kill
			if _, err := wsutil.ReadClientBinary(c); err != nil {
				return
			}
		}
	}))
	t.Cleanup(e.kill)
	return e
}

func (e *mortalEdge) url() string { return "ws://" + e.ln.Addr().String() + "/ws" }

func (e *mortalEdge) kill() {
	e.ln.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.conns {
		c.Close()
	}
}

// failoverRegion is a region of two edges, the first of which a test
// kills, and a router whose route names the first and, as alternates, an
// unusable URL (dropped) and the second.
func failoverRegion(t *testing.T) (router string, dying *mortalEdge, alive *fakeEdge) {
	dying = newMortalEdge(t, 1)
	alive = newFakeEdge(t, func(int) []byte { return welcome(2) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"region":"r","ws":"` + dying.url() + `","alternates":[{"ws":"ftp://x"},{"ws":"` + alive.url() + `"}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, dying, alive
}

// TestClientFailsOverToAlternate: a client that connected through the
// route, its edge killed, cannot redial it and reaches the route's
// alternate by itself.
func TestClientFailsOverToAlternate(t *testing.T) {
	router, dying, alive := failoverRegion(t)
	welcomed := make(chan uint32, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, Options{Route: router, Hunt: 7, Reconnect: true, Handler: func(m protocol.Message) {
		if w, ok := m.(*protocol.Welcome); ok {
			welcomed <- w.Player
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	<-dying.hellos
	dying.kill()
	select {
	case p := <-welcomed:
		if p != 2 || len(alive.hellos) != 1 {
			t.Fatalf("welcomed as player %d after %d HELLOs to the alternate, want player 2 there", p, len(alive.hellos))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client never reached the alternate")
	}
}

// TestMobileFailsOverToAlternate: the same through the mobile API's
// SetRoute.
func TestMobileFailsOverToAlternate(t *testing.T) {
	router, dying, _ := failoverRegion(t)
	r := &recorder{seen: make(chan string, 16)}
	m := NewMobile("", "tok-1", 7, "", r)
	m.SetRoute(router, 0, 0, false, false)
	if err := m.Connect(10_000); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := nextCall(t, r); c != "welcome 1 7" {
		t.Fatalf("first call %q, want welcome 1 7 from the first edge", c)
	}
	dying.kill()
	if c := nextCall(t, r); c != "welcome 2 7" {
		t.Fatalf("after the kill: call %q, want welcome 2 7 from the alternate", c)
	}
}
