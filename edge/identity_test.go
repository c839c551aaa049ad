package edge_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/edge/link"
)

// registered waits until the coordinator's registry holds edge id and
// returns its registration.
func registered(t *testing.T, c *coordinator.Coordinator, id string) fsm.Edge {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		changed := c.Node.FSM().Changed()
		var e fsm.Edge
		var ok bool
		c.Node.FSM().View(func(s *fsm.State) { e, ok = s.Edges[id] })
		if ok {
			return e
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("edge %s never registered", id)
		}
	}
}

// TestEdgeIdentity is issue 12 item 13: edges started without an id get
// distinct ids (they all were edge-<port>); an edge with a per-edge
// credential takes the credential's id; a second live instance under an
// id is refused; and the binary's edge refuses the admin token (item 14).
func TestEdgeIdentity(t *testing.T) {
	c := embedded(t)
	for id, tok := range map[string]string{"edge-cred": "token-of-edge-cred", "asg-eu-*": "token-of-a-group"} {
		if err := c.API.Credentials().Add(id, tok); err != nil {
			t.Fatal(err)
		}
	}
	start := func(cfg edge.Config) (*edge.Edge, error) {
		cfg.Listen, cfg.Coordinators, cfg.Transport, cfg.DisableWT = "127.0.0.1:0", []string{c.URL()}, "netpoll", true
		e, err := edge.Start(cfg)
		if err == nil {
			t.Cleanup(func() { e.Close() })
		}
		return e, err
	}
	var ids []string
	for range 2 {
		e, err := start(edge.Config{EdgeToken: admin})
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(e.URL()[len("http://"):])
		p, _ := strconv.Atoi(port)
		if e.ID() != link.DefaultEdgeID("", p) {
			t.Errorf("default id %q, want %q", e.ID(), link.DefaultEdgeID("", p))
		}
		ids = append(ids, e.ID())
	}
	if ids[0] == ids[1] {
		t.Errorf("two edges without an id share id %q", ids[0])
	}

	e, err := start(edge.Config{EdgeToken: "token-of-edge-cred"})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID() != "edge-cred" {
		t.Fatalf("an edge with a credential has id %q, want edge-cred", e.ID())
	}
	first := registered(t, c, "edge-cred")
	g, err := start(edge.Config{EdgeToken: "token-of-a-group"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.ID(), "asg-eu-") {
		t.Errorf("an edge with a group credential has id %q, want asg-eu-…", g.ID())
	}

	// A second process with the same credential (a copied configuration)
	// is another instance: refused while the first is live.
	second, err := link.New(link.Config{Coordinators: []string{c.URL()}, Token: "token-of-edge-cred", EdgeID: "edge-cred", URLs: []string{"ws://x/ws"}})
	if err != nil {
		t.Fatal(err)
	}
	var se *link.StatusError
	if err := second.Register(context.Background()); !errors.As(err, &se) || se.Code != http.StatusConflict {
		t.Errorf("a second live instance registered: %v", err)
	}
	if now := registered(t, c, "edge-cred"); now.Instance != first.Instance {
		t.Errorf("the registration moved to the second instance")
	}
	// Once the first shuts down (it says so), the second takes the id at once.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := second.Register(context.Background()); err != nil {
		t.Errorf("the second instance after the first left: %v", err)
	}

	for _, bad := range []struct {
		what string
		cfg  edge.Config
	}{
		{"another edge's id with a credential", edge.Config{EdgeToken: "token-of-edge-cred", ID: "someone-else"}},
		{"the admin token", edge.Config{EdgeToken: admin, RefuseAdminToken: true}},
		{"a wrong token", edge.Config{EdgeToken: "no-such-token"}},
		{"an invalid id", edge.Config{EdgeToken: admin, ID: "bad id"}},
		{"an id outside its group", edge.Config{EdgeToken: "token-of-a-group", ID: "asg-us-1"}},
	} {
		if _, err := start(bad.cfg); err == nil {
			t.Errorf("an edge started with %s", bad.what)
		}
	}
}
