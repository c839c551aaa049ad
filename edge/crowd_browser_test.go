package edge_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// TestDemoPageDrawsHeatMapOfACrowd: 45 players (more than the crowd
// threshold this edge is given, 40) stand on one spot; the page, standing
// among them, gets the crowded cell's CELL_SUMMARY and draws it as a heat
// map.
func TestDemoPageDrawsHeatMapOfACrowd(t *testing.T) {
	w := newWorld(t, "netpoll")
	e, err := edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin,
		Transport: "netpoll", DisableWT: true, CrowdPlayers: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	waitHunt(t, e, w.hunt.ID)
	// The centre of a treasure's cell: a few metres around it stay in the
	// cell (its edge is 66 m at the hunt's resolution 10).
	centre, err := geo.CellCenter(geo.Cell(w.hunt.Treasures[0].Cell))
	if err != nil {
		t.Fatal(err)
	}
	lat, lng := centre.Lat, centre.Lng
	for i := range 45 {
		var tok struct{ Token string }
		w.call("POST", "/v1/tokens", api.TokenRequest{Player: uint32(700 + i), Hunt: w.hunt.ID}, &tok)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := client.Dial(ctx, client.Options{URL: e.WSURL(), Token: tok.Token, Hunt: w.hunt.ID, Kind: protocol.KindBot,
			Handler: func(protocol.Message) {}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Position(lat+float64(i%7)*1e-5, lng+float64(i/7)*1e-5, 3); err != nil {
			t.Fatal(err)
		}
	}
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 800, Hunt: w.hunt.ID}, &tok)
	ctx := browser(t)
	page := fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%f&lng=%f&transport=ws", e.URL(), url.QueryEscape(tok.Token), w.hunt.ID, lat, lng)
	must(t, chromedp.Do(ctx, chromedp.Navigate(page)))
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
	poll(t, ctx, `document.querySelector('#rate').textContent === '10 Hz'`) // WELCOME's tick rate
	// The summary counts the crowd (and the page itself once it stands in the
	// cell), and at least one child cell is drawn as heat.
	poll(t, ctx, `+document.querySelector('#crowd').textContent >= 45`)
	poll(t, ctx, `+document.querySelector('#map').dataset.heat >= 1`)
}
