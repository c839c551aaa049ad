package edge_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/edge"
	headless "github.com/veltrix/veltrix/internal/browser"
	"github.com/veltrix/veltrix/internal/browser/browsertest"
	"github.com/veltrix/veltrix/protocol"
)

// TestOperatorViewOnScreen opens the coordinator's live view (/live, the
// admin token in the URL fragment) at the three viewports while an edge
// reports its load every 100 ms: two players on it, one treasure claimed.
// The view shows the edge with its connections, the raft leader, the hunt's
// claimed and remaining treasures and its players; the map canvas draws the
// heat of the players' cells and both kinds of treasure; the header and
// the map are on screen and not covered, and nothing scrolls sideways.
func TestOperatorViewOnScreen(t *testing.T) {
	w := newWorld(t, "netpoll")
	e, err := edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin,
		Transport: "netpoll", ID: "edge-live", LoadEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	waitHunt(t, e, w.hunt.ID)
	a, b := w.hunt.Treasures[0], w.hunt.Treasures[1]
	c1, in1 := w.standOnAt(e, 801, a)
	if r := w.claim(c1, in1, 1, a.ID); r.Outcome != protocol.OutcomeWon {
		t.Fatalf("claim: %+v, want won", r)
	}
	c2, in2 := w.standOnAt(e, 802, b)

	br := browsertest.Shared(t)
	shots := browsertest.NewArtefacts(t)
	for _, v := range headless.Viewports {
		t.Run(v.Name, func(t *testing.T) {
			ctx := browsertest.Tab(t, br, v)
			must(t, chromedp.Do(ctx, chromedp.Navigate(w.coord.URL()+"/live#token="+admin)))
			defer shots.Shoot(ctx, v.Name)
			card := fmt.Sprintf("#hunt-%d", w.hunt.ID)
			for _, cond := range []string{
				`document.querySelector('#edges').textContent.includes('edge-live')`,
				`document.querySelector('#edges').textContent.includes('websocket 2')`,
				`document.querySelector('#leader').textContent.startsWith('leader ')`,
				`document.querySelector('#servers').textContent.includes('★')`,
				fmt.Sprintf(`document.querySelector('%s .legend')?.textContent.includes('1 claimed')`, card),
				fmt.Sprintf(`document.querySelector('%s .legend')?.textContent.includes('2 players in 2 cells')`, card),
			} {
				if err := headless.Poll(ctx, cond, 20*time.Second); err != nil {
					t.Fatal(err)
				}
			}
			if err := headless.OnScreen(ctx, "header", card+" canvas", "#leader"); err != nil {
				t.Fatalf("at %s: %v", v.Name, err)
			}
			counts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](fmt.Sprintf(countColours, card+" canvas")))
			if err != nil || counts["heat"] == 0 || counts["remaining"] == 0 || counts["claimed"] == 0 {
				t.Fatalf("the hunt's map has %v pixels of each colour (%v): want heat, remaining and claimed treasures", counts, err)
			}
		})
	}

	// TestOperatorViewOnScreen's last step, in one more tab: the view
	// refreshes by itself (a second claim shows up without a reload), and it
	// polls at most once per 2 s.
	ctx := browsertest.Tab(t, br, headless.Desktop)
	must(t, chromedp.Do(ctx, chromedp.Navigate(w.coord.URL()+"/live#token="+admin)))
	card := fmt.Sprintf("#hunt-%d .legend", w.hunt.ID)
	if err := headless.Poll(ctx, fmt.Sprintf(`document.querySelector('%s')?.textContent.includes('1 claimed')`, card), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := w.claim(c2, in2, 1, b.ID); r.Outcome != protocol.OutcomeWon {
		t.Fatalf("second claim: %+v, want won", r)
	}
	if err := headless.Poll(ctx, fmt.Sprintf(`document.querySelector('%s').textContent.includes('2 claimed')`, card), 20*time.Second); err != nil {
		t.Fatalf("the view did not refresh: %v", err)
	}
	polls, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/v1/live')).length, performance.now()]`))
	if err != nil || len(polls) != 2 {
		t.Fatalf("cannot count the page's requests: %v, %v", polls, err)
	}
	if polls[0] > polls[1]/2000+1 {
		t.Fatalf("%.0f requests to /v1/live in %.0f ms: want at most one per 2 s", polls[0], polls[1])
	}
}

// countColours counts the opaque pixels of a canvas near the live view's
// heat (a cell at the most players), treasure and claimed colours.
const countColours = `(() => {
  const c = document.querySelector('%s'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const want = { heat: [255, 90, 40], remaining: [0xe0, 0xa5, 0x26], claimed: [0x6b, 0x74, 0x80] }, out = { heat: 0, remaining: 0, claimed: 0 };
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 250) continue;
    for (const [k, [r, g, b]] of Object.entries(want)) if (Math.abs(d[i] - r) <= 8 && Math.abs(d[i + 1] - g) <= 8 && Math.abs(d[i + 2] - b) <= 8) out[k]++;
  }
  return out;
})()`
