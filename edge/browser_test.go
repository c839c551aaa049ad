package edge_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/edge"
	headless "github.com/veltrix/veltrix/internal/browser"
	"github.com/veltrix/veltrix/internal/browser/browsertest"
	"github.com/veltrix/veltrix/protocol"
)

// TestMain ends the Chromium the browser tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.StopShared()
	os.Exit(code)
}

// browser opens a tab at 1280×800 in the package's shared Chromium
// (internal/browser/browsertest), closed at t's cleanup; actions in it time
// out after a minute.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Tab(t, browsertest.Shared(t), headless.Desktop)
}

// TestDemoPagePlays loads the demo page in Chromium, over WebSocket and over
// WebTransport (pinned dev certificate), and plays: the page and a Go player
// see each other, the page walks, and the page wins a claim.
func TestDemoPagePlays(t *testing.T) {
	eachTransport(t, func(t *testing.T, ws string) { testDemoPagePlays(t, ws) })
}

func testDemoPagePlays(t *testing.T, wsTransport string) {
	for _, transport := range []string{"websocket", "webtransport"} {
		t.Run(transport, func(t *testing.T) {
			w := newWorld(t, wsTransport)
			ctx := browser(t)
			tr := w.hunt.Treasures[0]
			lat, lng := float64(tr.Lat)/1e7, float64(tr.Lng)/1e7
			var tok struct{ Token string }
			w.call("POST", "/v1/tokens", api.TokenRequest{Player: 500, Hunt: w.hunt.ID}, &tok)
			page := fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%f&lng=%f&transport=%s", w.edge.URL(), url.QueryEscape(tok.Token),
				w.hunt.ID, lat, lng, map[string]string{"websocket": "ws", "webtransport": "wt"}[transport])
			goPlayer, in := w.player(501)
			if err := goPlayer.Position(lat, lng, 3); err != nil {
				t.Fatal(err)
			}
			must(t, chromedp.Do(ctx, chromedp.Navigate(page)))
			poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
			got, err := chromedp.Run(ctx, chromedp.Text("#transport"))
			if err != nil || got != transport {
				t.Fatalf("page connected over %q (%v), want %s", got, err, transport)
			}
			// They see each other.
			poll(t, ctx, `+document.querySelector('#players').textContent >= 1`)
			first := await(t, in, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 500) })
			// The page walks north: the Go player sees it move.
			before := entryOf(first, 500).Lat
			must(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowUp)))
			await(t, in, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 500) && entryOf(c, 500).Lat > before })
			// Back onto the treasure and claim it from the page.
			must(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)))
			poll(t, ctx, `+document.querySelector('#treasures').textContent >= 1`)
			// The edge's HINT points at a treasure, and the hunt line shows
			// the hunt with all its treasures left.
			poll(t, ctx, `document.querySelector('#hint').textContent.includes('°')`)
			poll(t, ctx, `document.querySelector('#hunt').textContent.includes('5/5 left')`)
			must(t, chromedp.Do(ctx, chromedp.KeyEvent("c")))
			poll(t, ctx, `document.querySelector('#result').textContent.includes('won')`)
			// The pushed HUNT_STATUS updates the hunt line and puts the page's
			// player on the leaderboard.
			poll(t, ctx, `document.querySelector('#hunt').textContent.includes('4/5 left')`)
			poll(t, ctx, `document.querySelector('#leaderboard').textContent.includes('#500')`)
		})
	}
}

func poll(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		var state, errText string
		state, _ = chromedp.Run(ctx, chromedp.Text("#state"))
		errText, _ = chromedp.Run(ctx, chromedp.Text("#error"))
		t.Fatalf("page never satisfied %s: %v (state %q, error %q)", expr, err, state, errText)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func hasPlayer(c *protocol.CellUpdate, p uint32) bool {
	for _, e := range c.Entries {
		if e.Player == p && e.Op != protocol.OpLeft {
			return true
		}
	}
	return false
}

func entryOf(c *protocol.CellUpdate, p uint32) protocol.CellEntry {
	for _, e := range c.Entries {
		if e.Player == p {
			return e
		}
	}
	return protocol.CellEntry{}
}

// TestDemoPageFallsBackToWebSocket: on an edge without WebTransport (its
// /v1/wt answers 404) the page, left to choose, connects over WebSocket and
// plays.
func TestDemoPageFallsBackToWebSocket(t *testing.T) {
	w := newWorld(t, "netpoll")
	e, err := edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin,
		Transport: "netpoll", DisableWT: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	waitHunt(t, e, w.hunt.ID)
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 600, Hunt: w.hunt.ID}, &tok)
	ctx := browser(t)
	page := fmt.Sprintf("%s/?token=%s&hunt=%d", e.URL(), url.QueryEscape(tok.Token), w.hunt.ID) // no transport: the page chooses
	must(t, chromedp.Do(ctx, chromedp.Navigate(page)))
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
	if got, err := chromedp.Run(ctx, chromedp.Text("#transport")); err != nil || got != "websocket" {
		t.Fatalf("page connected over %q (%v), want websocket after WebTransport was refused", got, err)
	}
}
