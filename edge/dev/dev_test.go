package dev

import (
	"context"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// TestDevModeHonoursTheEdgeConfig: dev mode runs the edge with the flags it
// was given (tick rate, interest radius, transport), and a player with a
// dev token is welcomed into the demo hunt, and the crowd walks in it.
func TestDevModeHonoursTheEdgeConfig(t *testing.T) {
	d, err := Start(Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminToken: "dev-test", Crowd: 2,
		Edge: edge.Config{TickHz: 20, Radius: 2, Transport: "netpoll"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.Edge.TransportName(); got != "netpoll" {
		t.Fatalf("dev edge runs %s, asked for netpoll", got)
	}
	tok, err := d.Token(7)
	if err != nil {
		t.Fatal(err)
	}
	crowd := make(chan *protocol.CellUpdate, 64)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Options{URL: d.Edge.WSURL(), Token: tok, Hunt: d.Hunt, Kind: protocol.KindBrowser,
		Handler: (&client.Callbacks{OnCellUpdate: func(u *protocol.CellUpdate) {
			select {
			case crowd <- u:
			default:
			}
		}}).Handle})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := c.Welcome()
	if w.Hunt != d.Hunt || w.TickHz != 20 || w.Radius != 2 {
		t.Fatalf("WELCOME %+v: want hunt %d, tick 20 Hz, radius 2", w, d.Hunt)
	}
	// Stand where the crowd walks: its players reach us in CELL_UPDATEs.
	if err := c.Position(Center[0], Center[1], 5); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case u := <-crowd:
			for _, e := range u.Entries {
				if e.Player >= 1_000_000 { // the crowd's player ids
					return
				}
			}
		case <-ctx.Done():
			t.Fatal("no simulated player of the crowd came into view")
		}
	}
}

// TestRestartKeepsTheDemoHunt: dev mode restarted on its data directory
// finds its demo hunt in the replayed log and does not create another one
// (a read before the replay used to, about one restart in six).
func TestRestartKeepsTheDemoHunt(t *testing.T) {
	dir := t.TempDir()
	var hunts []uint32
	for range 4 {
		// No WebTransport: webtransport-go v0.13.0's Server.Close races
		// its own Serve when it comes right after it (WaitGroup Add/Wait).
		d, err := Start(Options{DataDir: dir, Listen: "127.0.0.1:0", AdminToken: "dev-test", Edge: edge.Config{Transport: "netpoll", DisableWT: true}})
		if err != nil {
			t.Fatal(err)
		}
		hunts = append(hunts, d.Hunt)
		d.Close()
	}
	for i, h := range hunts {
		if h != hunts[0] {
			t.Fatalf("restart %d runs hunt %d, the first run hunt %d: %v", i, h, hunts[0], hunts)
		}
	}
}
