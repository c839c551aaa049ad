package edge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/edge"
	headless "github.com/veltrix/veltrix/internal/browser"
	"github.com/veltrix/veltrix/internal/browser/browsertest"
)

// The player 40 m south of a treasure sees it 50 CSS px above itself, and
// another player 40 m east 50 CSS px to its right (the map draws 0.8 m per
// CSS px, edge/web/map.js).
const (
	southOfTreasure = 40.0
	treasureAbove   = 50.0
)

// TestDemoPageOnScreen loads the demo page at two desktop sizes and on a
// phone, in one Chromium, and looks at it: the panel, the hint, the Claim
// button and the map are inside the viewport and not covered, the page does
// not scroll sideways, and the canvas shows the player's dot and a treasure
// where they belong. On a phone a tap on the map walks and the Claim button
// claims. Screenshots of every viewport are kept, and their directory
// printed, when it fails.
func TestDemoPageOnScreen(t *testing.T) {
	w := newWorld(t, "netpoll")
	b := browsertest.Shared(t)
	shots := browsertest.NewArtefacts(t)
	tr := w.hunt.Treasures[0]
	lat, lng := float64(tr.Lat)/1e7-southOfTreasure/111320, float64(tr.Lng)/1e7
	other, _ := w.player(799)
	if err := other.Position(lat, lng+southOfTreasure/(111320*math.Cos(lat*math.Pi/180)), 3); err != nil {
		t.Fatal(err)
	}
	for i, v := range headless.Viewports {
		t.Run(v.Name, func(t *testing.T) {
			var tok struct{ Token string }
			w.call("POST", "/v1/tokens", api.TokenRequest{Player: 700 + uint32(i), Hunt: w.hunt.ID}, &tok)
			ctx := browsertest.Tab(t, b, v)
			page := fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%.7f&lng=%.7f&transport=ws", w.edge.URL(), url.QueryEscape(tok.Token), w.hunt.ID, lat, lng)
			must(t, chromedp.Do(ctx, chromedp.Navigate(page)))
			defer shots.Shoot(ctx, v.Name)
			poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
			poll(t, ctx, `document.querySelector('#hint').textContent.includes('°')`)
			poll(t, ctx, `+document.querySelector('#players').textContent >= 1`)
			if err := headless.OnScreen(ctx, "aside", "#claim", "#hint", "#map"); err != nil {
				t.Fatalf("at %s: %v", v.Name, err)
			}
			checkPixels(t, ctx)
			if v.Phone {
				tapToWalkAndClaim(t, ctx)
			}
		})
	}
}

// mapPixels reads the canvas at the player's dot, at the treasure above
// it, at the other player to its right and in the middle of the scale bar
// (50 m, from (14, 28), map.js). The player is drawn in the middle of the part of the map the panel
// does not cover (the phone's bottom sheet lies over the map).
const mapPixels = `(() => {
  const c = document.querySelector('#map'), r = c.getBoundingClientRect(), p = document.querySelector('aside').getBoundingClientRect();
  let visible = r.height;
  if (p.top > r.top && p.top < r.bottom && p.left <= r.left + 1 && p.right >= r.right - 1) visible = p.top - r.top;
  const k = c.width / r.width, x = r.width / 2, y = visible / 2;
  const at = (x, y) => Array.from(c.getContext('2d').getImageData(Math.round(x * k), Math.round(y * k), 1, 1).data.slice(0, 3));
  return { me: at(x, y), treasure: at(x, y - %[1]g), player: at(x + %[1]g, y), scale: at(14 + 25 / 0.8, 28) };
})()`

// checkPixels waits until the canvas shows the player's green dot, the
// treasure's gold one, the other player's blue one and the scale bar (each
// channel within 16 of the colour map.js draws).
func checkPixels(t *testing.T, ctx context.Context) {
	t.Helper()
	read := fmt.Sprintf(mapPixels, treasureAbove)
	want := map[string][3]int{"me": {0x7b, 0xd8, 0x8f}, "treasure": {0xe0, 0xa5, 0x26}, "player": {0x5a, 0xa9, 0xe6}, "scale": {0xdd, 0xe3, 0xea}}
	wantJS, _ := json.Marshal(want)
	shows := fmt.Sprintf(`((px, want) => Object.entries(want).every(([k, c]) => px[k].every((v, i) => Math.abs(v - c[i]) <= 16)))(%s, %s)`, read, wantJS)
	if err := headless.Poll(ctx, shows, 20*time.Second); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[map[string][]int](read))
		t.Fatalf("the map shows %v, want %v (player dot, treasure, other player, scale bar)", got, want)
	}
}

// tapToWalkAndClaim taps the map above the player (it walks north) and
// taps the Claim button (an outcome appears).
func tapToWalkAndClaim(t *testing.T, ctx context.Context) {
	t.Helper()
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#me').textContent`))
	must(t, err)
	x, y := 195.0, 120.0 // well above the player, in the map
	must(t, chromedp.Do(ctx, chromedp.TapXY(x, y)))
	poll(t, ctx, fmt.Sprintf(`document.querySelector('#me').textContent !== %q`, before))
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#me').textContent`))
	must(t, err)
	var latBefore, latAfter, lngB float64
	var id int
	if _, err := fmt.Sscanf(before, "#%d %f, %f", &id, &latBefore, &lngB); err != nil {
		t.Fatalf("cannot read %q: %v", before, err)
	}
	if _, err := fmt.Sscanf(after, "#%d %f, %f", &id, &latAfter, &lngB); err != nil || latAfter <= latBefore {
		t.Fatalf("a tap above the player moved it from %q to %q (%v): want north", before, after, err)
	}
	must(t, chromedp.Do(ctx, chromedp.Tap("#claim")))
	poll(t, ctx, `document.querySelector('#result').textContent !== '—'`)
}

// TestDemoPageShowsReconnect: when its edge shuts down the page shows
// "reconnecting" (the badge, and a banner on screen over the map) and
// retries; once an edge listens on the address again the page is
// connected again without a reload.
func TestDemoPageShowsReconnect(t *testing.T) {
	w := newWorld(t, "netpoll")
	cfg := edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin, Transport: "netpoll", DisableWT: true}
	e, err := edge.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitHunt(t, e, w.hunt.ID)
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 710, Hunt: w.hunt.ID}, &tok)
	ctx := browsertest.Tab(t, browsertest.Shared(t), headless.Desktop)
	shots := browsertest.NewArtefacts(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?token=%s&hunt=%d", e.URL(), url.QueryEscape(tok.Token), w.hunt.ID))))
	defer shots.Shoot(ctx, "last")
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected' && document.querySelector('#banner').hidden`)
	e.Close()
	poll(t, ctx, `document.querySelector('#state').textContent === 'reconnecting' && !document.querySelector('#banner').hidden`)
	if err := headless.OnScreen(ctx, "#banner", "#state"); err != nil {
		t.Fatal(err)
	}
	shots.Shoot(ctx, "reconnecting")
	cfg.Listen = strings.TrimPrefix(e.URL(), "http://")
	again, err := edge.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected' && document.querySelector('#banner').hidden`)
}
