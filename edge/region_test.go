package edge_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/internal/testkit"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// newRegion starts a world whose hunt is served by n edges of one region:
// each embeds a NATS server, clustered by routes on loopback (ephemeral
// ports). It returns once every server routes to the others.
func newRegion(t *testing.T, n int) (*world, []*edge.Edge) {
	w := huntWorld(t)
	edges := []*edge.Edge{w.readyEdge(edge.Config{Transport: "netpoll", NATSCluster: "127.0.0.1:0"})}
	for len(edges) < n {
		edges = append(edges, w.readyEdge(edge.Config{Transport: "netpoll", NATSCluster: "127.0.0.1:0",
			NATSRoutes: []string{edges[0].Region.ClusterAddr()}}))
	}
	w.edge = edges[0]
	for _, e := range edges {
		testkit.Until(t, "the region's NATS routes are up", func() bool { return e.Region.Stats().Routes >= n-1 })
	}
	return w, edges
}

// seen waits until in holds a CELL_UPDATE in which player is present,
// sending mover's position again every 200 ms meanwhile (a publication
// made before the other edge's subscription reached this one is not
// replayed), and returns that update.
func seen(t *testing.T, in *inbox, player uint32, mover *client.Client, lat, lng float64) *protocol.CellUpdate {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if err := mover.Position(lat, lng, 5); err != nil {
			t.Fatal(err)
		}
		resend := time.After(200 * time.Millisecond)
		for wait := true; wait; {
			select {
			case m := <-in.ch:
				if cu, ok := m.(*protocol.CellUpdate); ok && hasPlayer(cu, player) {
					return cu
				}
			case <-resend:
				wait = false
			case <-deadline:
				t.Fatalf("player %d never seen", player)
			}
		}
	}
}

// TestNeighboursAcrossEdges: two edges of one region, each embedding NATS
// clustered by routes. A player on each, in one cell, see each other
// (edge/core's TestCellsSharedAcrossEdges proves "within two ticks" tick
// by tick); the update carries the other edge's origin. A player who then
// joins the cell on edge 1 gets edge 2's player in its snapshot without
// that player moving.
func TestNeighboursAcrossEdges(t *testing.T) {
	w, edges := newRegion(t, 2)
	a, am := w.playerWith(1, client.Options{URL: edges[0].WSURL()})
	b, bm := w.playerWith(2, client.Options{URL: edges[1].WSURL()})
	const lat, lng = 52.3730796, 4.8924534
	if err := a.Position(lat, lng, 5); err != nil {
		t.Fatal(err)
	}
	cu := seen(t, am, 2, b, lat+0.0001, lng)
	if cu.Origin != edges[1].Region.Origin() {
		t.Fatalf("player 2's update carries origin %d, want edge 2's %d", cu.Origin, edges[1].Region.Origin())
	}
	seen(t, bm, 1, a, lat, lng)
	c, cm := w.playerWith(3, client.Options{URL: edges[0].WSURL()})
	if err := c.Position(lat, lng+0.0001, 5); err != nil {
		t.Fatal(err)
	}
	// The joiner's snapshot: edge 1's SNAPSHOT of the cell, then, queued in
	// the same tick, edge 2's players as an ORIGIN_SNAPSHOT.
	snap := await(t, cm, func(x *protocol.CellUpdate) bool { return x.Flags&protocol.FlagSnapshot != 0 && x.Cell == cu.Cell })
	next := await(t, cm, func(x *protocol.CellUpdate) bool { return x.Cell == cu.Cell })
	if !hasPlayer(snap, 1) || next.Flags&protocol.FlagOriginSnapshot == 0 || next.Origin != cu.Origin || !hasPlayer(next, 2) {
		t.Fatalf("the joiner's snapshot: %+v then %+v; want player 1, then edge 2's ORIGIN_SNAPSHOT with player 2", snap, next)
	}
}

// TestPageSeesPlayerOfOtherEdge: the demo page in Chromium on edge 1 and a
// Go player on edge 2 of the same region, in one cell, see each other.
func TestPageSeesPlayerOfOtherEdge(t *testing.T) {
	w, edges := newRegion(t, 2)
	ctx := browser(t)
	const lat, lng = 52.3730796, 4.8924534
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 500, Hunt: w.hunt.ID}, &tok)
	page := fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%f&lng=%f&transport=ws", edges[0].URL(), url.QueryEscape(tok.Token), w.hunt.ID, lat, lng)
	must(t, chromedp.Do(ctx, chromedp.Navigate(page)))
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
	goPlayer, in := w.playerWith(501, client.Options{URL: edges[1].WSURL()})
	cu := seen(t, in, 500, goPlayer, lat+0.0001, lng) // the Go player on edge 2 sees the page's player
	if cu.Origin != edges[0].Region.Origin() {
		t.Fatalf("the page's player reached edge 2 with origin %d, want edge 1's %d", cu.Origin, edges[0].Region.Origin())
	}
	poll(t, ctx, `+document.querySelector('#players').textContent >= 1`) // and the page sees the Go player
}

// TestNeighboursOverExternalNATS: with -nats the edges use an external NATS
// server (a real one on a loopback ephemeral port) instead of their
// embedded ones, and still share cells.
func TestNeighboursOverExternalNATS(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	w := huntWorld(t)
	var edges []*edge.Edge
	for range 2 {
		edges = append(edges, w.readyEdge(edge.Config{Transport: "netpoll", NATS: ns.ClientURL()}))
	}
	w.edge = edges[0]
	a, am := w.playerWith(1, client.Options{URL: edges[0].WSURL()})
	b, _ := w.playerWith(2, client.Options{URL: edges[1].WSURL()})
	const lat, lng = 52.3730796, 4.8924534
	if err := a.Position(lat, lng, 5); err != nil {
		t.Fatal(err)
	}
	if cu := seen(t, am, 2, b, lat+0.0001, lng); cu.Origin != edges[1].Region.Origin() {
		t.Fatalf("origin %d, want edge 2's %d", cu.Origin, edges[1].Region.Origin())
	}
}

// TestLoneEdgeSharesNothing: an edge with no route listener, no routes and
// no external NATS can never have a peer, so its ticks hand nothing to NATS
// and its CELL_UPDATEs carry no origin (a lone edge costs what it did
// before regions).
func TestLoneEdgeSharesNothing(t *testing.T) {
	w := newWorld(t, "netpoll")
	if !w.edge.Region.Alone() {
		t.Fatal("an edge without -nats-cluster, -nats-routes or -nats is not alone")
	}
	a, am := w.player(1)
	b, _ := w.player(2)
	const lat, lng = 52.3730796, 4.8924534
	if err := a.Position(lat, lng, 5); err != nil {
		t.Fatal(err)
	}
	cu := seen(t, am, 2, b, lat+0.0001, lng)
	if cu.Origin != 0 {
		t.Fatalf("a lone edge's CELL_UPDATE carries origin %d", cu.Origin)
	}
	if n := w.edge.Core.Snapshot().FramesPublished; n != 0 {
		t.Fatalf("a lone edge handed %d cell series to NATS", n)
	}
	if st := w.edge.Region.Stats(); st.Published != 0 || st.Subscriptions != 0 {
		t.Fatalf("a lone edge published %d frames and holds %d subscriptions", st.Published, st.Subscriptions)
	}
}
