package core

import (
	"fmt"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// router sends hunt 8 (homed elsewhere, unknown to this edge) to region B
// unless it is kept here, and everyone to a sibling while draining;
// WebTransport sessions get the WebTransport URL.
type router struct{ draining, keep8 bool }

func (r *router) Redirect(hunt, player uint32, wt bool) string {
	scheme := "ws://"
	if wt {
		scheme = "https://"
	}
	switch {
	case hunt == 8 && !r.keep8:
		return scheme + "b.example/"
	case r.draining:
		return fmt.Sprintf("%ssibling.example/%d", scheme, player)
	}
	return ""
}

// wtNet is a transport of WebTransport sessions.
type wtNet struct{ *fakeNet }

func (wtNet) WebTransport() bool { return true }

func (r *rig) hello(owner Owner, player, hunt uint32) (SessionID, error) {
	id := r.c.Open(owner, 0)
	tok, _ := token.Mint(r.priv, player, hunt, "", r.now, time.Hour)
	return id, r.c.Deliver(id, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: hunt, Token: protocol.Text(tok)}))
}

// redirected checks that id got exactly one REDIRECT to url and was closed
// with code redirect.
func (r *rig) redirected(id SessionID, url string) {
	r.t.Helper()
	msgs := r.pull(id)
	if len(msgs) != 1 || msgs[0].Type() != protocol.TypeRedirect {
		r.t.Fatalf("session %v got %v, want one REDIRECT", id, msgs)
	}
	if m := msgs[0].(*protocol.Redirect); m.Code != protocol.CodeRedirect || string(m.URL) != url || r.net.closed[id] != protocol.CodeRedirect {
		r.t.Fatalf("REDIRECT %+v, closed %v; want %s, code redirect", m, r.net.closed[id], url)
	}
}

func TestHelloForAnotherRegionIsRedirected(t *testing.T) {
	rt := &router{}
	r := newRig(t, func(c *Config) { c.Router = rt })
	id, err := r.hello(r.owner, 5, 8)
	if protocol.CodeOf(err) != protocol.CodeRedirect {
		t.Fatalf("HELLO for hunt 8: %v", err)
	}
	r.redirected(id, "ws://b.example/")
	wt := wtNet{&fakeNet{ready: map[SessionID]int{}, closed: map[SessionID]protocol.Code{}}}
	wtOwner := r.c.Register(wt)
	r.net = wt.fakeNet
	id, _ = r.hello(wtOwner, 5, 8)
	r.redirected(id, "https://b.example/")
	// A bad token is refused, not redirected; this edge's own hunt is served.
	id = r.c.Open(r.owner, 0)
	r.net = r.c.owners[r.owner].(*fakeNet)
	if err := r.c.Deliver(id, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 8, Token: protocol.Text("x")})); protocol.CodeOf(err) != protocol.CodeUnauthorized {
		t.Errorf("a bad token for hunt 8: %v", err)
	}
	r.join(6)
}

func TestDrainRedirectsEveryone(t *testing.T) {
	rt := &router{}
	r := newRig(t, func(c *Config) { c.Router = rt })
	a, b := r.join(1), r.join(2)
	rt.draining = true
	if n := r.c.RedirectAll(); n != 2 {
		t.Fatalf("RedirectAll moved %d sessions, want 2", n)
	}
	r.redirected(a, "ws://sibling.example/1")
	r.redirected(b, "ws://sibling.example/2")
	if n := r.c.RedirectAll(); n != 0 {
		t.Fatalf("a second RedirectAll moved %d closed sessions", n)
	}
	id, _ := r.hello(r.owner, 3, testHunt) // a HELLO while draining goes to the sibling too
	r.redirected(id, "ws://sibling.example/3")
}

// TestRedirectHunt: when a hunt moves to another region, its sessions are
// sent there; other hunts' sessions stay.
func TestRedirectHunt(t *testing.T) {
	rt := &router{keep8: true} // hunt 8 is served here when its player joins
	r := newRig(t, func(c *Config) {
		c.Router = rt
		c.Hunts = hunts{testHunt: {ID: testHunt, Resolution: 9, Active: true}, 8: {ID: 8, Resolution: 9, Active: true}}
	})
	stay := r.join(1)
	moved, err := r.hello(r.owner, 2, 8)
	if err != nil {
		t.Fatal(err)
	}
	r.pull(moved)
	rt.keep8 = false // then it moves to region B
	if n := r.c.RedirectHunt(8); n != 1 {
		t.Fatalf("RedirectHunt(8) moved %d sessions, want 1", n)
	}
	r.redirected(moved, "ws://b.example/")
	if _, closed := r.net.closed[stay]; closed {
		t.Fatal("a session of another hunt was closed")
	}
}
