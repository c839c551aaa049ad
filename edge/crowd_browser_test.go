package edge_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
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

// TestDemoPageDrawsFineCellNeighbours: the page reads a FINE_CELL (SPEC.md
// §2.2) as the REFINED snapshot it stands for and draws its players where
// their offsets put them, south-west and north-east of it (negative and
// positive offsets). The FINE_CELL is handed to the page's WebSocket as an
// edge would, once a second (the refined snapshots' rate), by a wrapper
// installed before the page's scripts run.
func TestDemoPageDrawsFineCellNeighbours(t *testing.T) {
	w := newWorld(t, "netpoll")
	tr := w.hunt.Treasures[0]
	latE7, lngE7 := tr.Lat, tr.Lng
	lat, lng := float64(latE7)/1e7, float64(lngE7)/1e7
	fine, err := geo.CellOf(geo.Point{Lat: lat, Lng: lng}, 12)
	if err != nil {
		t.Fatal(err)
	}
	// Two players: 15 m south and 17 m west, 11 m north and 20 m east.
	entries := []protocol.FineEntry{{Player: 901, DLat: -34, DLng: -62}, {Player: 902, DLat: 25, DLng: 74}}
	frame := protocol.AppendFineCell(nil, &protocol.FineCell{Cell: protocol.Cell(fine), Tick: 1, Flags: protocol.FlagSnapshot,
		Lat: latE7, Lng: lngE7, Entries: entries, Origin: 3})
	inject := fmt.Sprintf(`(() => {
  const fine = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    set onmessage(f) {
      super.onmessage = f;
      setInterval(() => f(new MessageEvent('message', { data: fine.slice().buffer })), 1000);
    }
    get onmessage() { return super.onmessage; }
  };
})()`, base64.StdEncoding.EncodeToString(frame))
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 800, Hunt: w.hunt.ID}, &tok)
	ctx := browser(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: inject}); err != nil {
		t.Fatal(err)
	}
	u := fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%.7f&lng=%.7f&transport=ws", w.edge.URL(), url.QueryEscape(tok.Token), w.hunt.ID, lat, lng)
	must(t, chromedp.Do(ctx, chromedp.Navigate(u)))
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
	poll(t, ctx, `document.querySelector('#players').textContent === '2'`)
	// Where map.js projects them (0.8 m a CSS pixel; x east, y south).
	want := map[[2]float64][3]int{}
	for _, e := range entries {
		const deg = protocol.FineUnit * 1e-7 // degrees of one offset unit
		north, east := float64(e.DLat)*deg*111320, float64(e.DLng)*deg*111320*math.Cos(lat*math.Pi/180)
		want[[2]float64{math.Round(east / 0.8), math.Round(-north / 0.8)}] = blue
	}
	pixelsShow(t, ctx, "the FINE_CELL's players", want)
}
