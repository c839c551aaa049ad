package edge_test

import (
	"context"
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

// mapView is JavaScript that defines centre() (where the map draws the
// player, in viewport CSS px: the middle of the part of the map the panel
// does not cover, as the phone's bottom sheet lies over the map) and
// px(dx, dy) (the canvas's colour dx, dy CSS px from there).
const mapView = `const c = document.querySelector('#map');
const centre = () => {
  const r = c.getBoundingClientRect(), p = document.querySelector('aside').getBoundingClientRect();
  let visible = r.height;
  if (p.top > r.top && p.top < r.bottom && p.left <= r.left + 1 && p.right >= r.right - 1) visible = p.top - r.top;
  return { x: r.left + r.width / 2, y: r.top + visible / 2 };
};
const px = (dx, dy) => {
  const r = c.getBoundingClientRect(), k = c.width / r.width, o = centre();
  return Array.from(c.getContext('2d').getImageData(Math.round((o.x - r.left + dx) * k), Math.round((o.y - r.top + dy) * k), 1, 1).data.slice(0, 3));
};
const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 16);`

// The colours map.js draws.
var (
	green   = [3]int{0x7b, 0xd8, 0x8f} // the player
	gold    = [3]int{0xe0, 0xa5, 0x26} // an available treasure
	blue    = [3]int{0x5a, 0xa9, 0xe6} // another player
	grey    = [3]int{0x6b, 0x74, 0x80} // a claimed treasure
	scaleFg = [3]int{0xdd, 0xe3, 0xea} // the scale bar
	hot     = [3]int{0xff, 0x8a, 0x1f} // the hint arrow, band hot (25 to 100 m)
)

// pixelsShow waits until the canvas shows each colour at its offset from
// the player (each channel within 16).
func pixelsShow(t *testing.T, ctx context.Context, what string, want map[[2]float64][3]int) {
	t.Helper()
	var checks, reads []string
	for at, col := range want {
		checks = append(checks, fmt.Sprintf("near(px(%g, %g), [%d, %d, %d])", at[0], at[1], col[0], col[1], col[2]))
		reads = append(reads, fmt.Sprintf("'%g,%g: ' + px(%g, %g)", at[0], at[1], at[0], at[1]))
	}
	cond := fmt.Sprintf("(() => { %s; return %s; })()", mapView, strings.Join(checks, " && "))
	if err := headless.Poll(ctx, cond, 20*time.Second); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("(() => { %s; return [%s]; })()", mapView, strings.Join(reads, ", "))))
		t.Fatalf("the map does not show %s: at (dx,dy) from the player it has %v, want %v", what, got, want)
	}
}

// checkPixels: the player's green dot, the treasure's gold one above it
// with the hint's arrow (hot: 40 m) pointing at it, the other player's blue
// dot to its right, and the middle of the 50 m scale bar (from (14, 28),
// map.js; here relative to the player).
func checkPixels(t *testing.T, ctx context.Context) {
	t.Helper()
	o := centreOf(t, ctx)
	pixelsShow(t, ctx, "the player, a treasure, the hint, another player and the scale bar", map[[2]float64][3]int{
		{0, 0}: green, {0, -treasureAbove}: gold, {0, -30}: hot, {treasureAbove, 0}: blue,
		{14 + 25/0.8 - o[0], 28 - o[1]}: scaleFg,
	})
}

// centreOf is where the map draws the player, relative to the canvas.
func centreOf(t *testing.T, ctx context.Context) [2]float64 {
	t.Helper()
	o, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(
		"(() => { %s; const o = centre(), r = c.getBoundingClientRect(); return [o.x - r.left, o.y - r.top, o.x, o.y]; })()", mapView)))
	if err != nil || len(o) != 4 {
		t.Fatalf("cannot find the map's centre: %v %v", o, err)
	}
	return [2]float64{o[0], o[1]}
}

// tapToWalkAndClaim plays the phone: a tap on the treasure walks 25 m
// (the most a tap walks) towards it, a second tap on it walks onto it, the
// Claim button wins it, and a tap below walks 25 m away: the treasure is
// drawn claimed (grey) 25 m above the player, and the trail shows the way.
func tapToWalkAndClaim(t *testing.T, ctx context.Context) {
	t.Helper()
	tap := func(dx, dy float64) {
		t.Helper()
		before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#me').textContent`))
		must(t, err)
		c, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf("(() => { %s; const o = centre(); return [o.x, o.y]; })()", mapView)))
		must(t, err)
		must(t, chromedp.Do(ctx, chromedp.TapXY(c[0]+dx, c[1]+dy)))
		poll(t, ctx, fmt.Sprintf(`document.querySelector('#me').textContent !== %q`, before))
	}
	tap(0, -treasureAbove)            // 25 m of the 40 m
	tap(0, -(southOfTreasure-25)/0.8) // the last 15 m
	must(t, chromedp.Do(ctx, chromedp.Tap("#claim")))
	poll(t, ctx, `document.querySelector('#result').textContent.includes('won')`)
	tap(0, 100) // 25 m south
	pixelsShow(t, ctx, "the claimed treasure", map[[2]float64][3]int{{0, -25 / 0.8}: grey, {0, 0}: green})
	// The trail (translucent green, over whatever lies below) runs through
	// the player: from where it started, 15 m below, to the treasure.
	trail := fmt.Sprintf("(() => { %s; const [r, g, b] = px(0, 14); return g > r + 20 && g > b + 10; })()", mapView)
	if err := headless.Poll(ctx, trail, 20*time.Second); err != nil {
		t.Fatalf("no trail below the player: %v", err)
	}
}

// TestDemoPageDrawsHuntArea: a player 40 m inside the hunt's south-west
// corner sees the area's outline (dashed, blue) 50 px to its left and
// 50 px below it.
func TestDemoPageDrawsHuntArea(t *testing.T) {
	w := newWorld(t, "netpoll") // its area's south-west corner is 52.36, 4.88
	lat := 52.36 + 40/111320.0
	lng := 4.88 + 40/(111320*math.Cos(lat*math.Pi/180))
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 720, Hunt: w.hunt.ID}, &tok)
	ctx := browsertest.Tab(t, browsertest.Shared(t), headless.Desktop)
	shots := browsertest.NewArtefacts(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%.7f&lng=%.7f&transport=ws",
		w.edge.URL(), url.QueryEscape(tok.Token), w.hunt.ID, lat, lng))))
	defer shots.Shoot(ctx, "area")
	// Some pixel within 2 px of each side's line, along 20 px of it (the
	// line is dashed), is the outline's blue (not a player's or the hint's).
	outline := fmt.Sprintf(`(() => { %s;
	  const blue = (p) => p.every((v, i) => Math.abs(v - [0x5b, 0x86, 0xb8][i]) <= 24); // map.js colours.area
	  const along = (f) => { for (let i = 10; i < 30; i++) for (let d = -2; d <= 2; d++) if (blue(f(i, d))) return true; return false; };
	  return along((i, d) => px(-50 + d, -i)) && along((i, d) => px(i, 50 + d));
	})()`, mapView)
	if err := headless.Poll(ctx, outline, 20*time.Second); err != nil {
		t.Fatalf("no area outline 50 px left of and below the player: %v", err)
	}
}

// TestDemoPageShowsReconnect: when its edge shuts down the page shows
// "reconnecting" (the badge, and a banner on screen over the map), says a
// claim cannot be made, and retries; once an edge listens on the address again the page is
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
	// A claim while disconnected says so instead of vanishing.
	must(t, chromedp.Do(ctx, chromedp.Click("#claim")))
	poll(t, ctx, `document.querySelector('#result').textContent.startsWith('not connected')`)
	cfg.Listen = strings.TrimPrefix(e.URL(), "http://")
	again, err := edge.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected' && document.querySelector('#banner').hidden`)
}
