package edge_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// TestNewestConnectionOfAPlayerWins (issue 12 item 9, SPEC.md §2.3): the
// same player connecting again — over WebTransport while its WebSocket
// connection is open — replaces the older connection: that one gets ERROR
// replaced and the close code replaced, does not reconnect although it
// may, and the edge counts the player once; the new connection plays on.
func TestNewestConnectionOfAPlayerWins(t *testing.T) {
	eachTransport(t, func(t *testing.T, transport string) {
		w := newWorld(t, transport)
		old, oldMsgs := w.playerWith(1, client.Options{URL: w.edge.WSURL(), Reconnect: true})
		watcher, watcherMsgs := w.player(2)
		const lat, lng = 52.3730796, 4.8924534
		old.Position(lat, lng, 3)
		watcher.Position(lat+0.00005, lng, 3)
		await(t, watcherMsgs, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 1) })

		var info struct {
			URL  string `json:"url"`
			Hash []byte `json:"cert_sha256"`
		}
		if code := getJSON(t, w.edge.URL()+"/v1/wt", &info); code != http.StatusOK {
			t.Fatalf("GET /v1/wt: %d", code)
		}
		cur, curMsgs := w.playerWith(1, client.Options{URL: info.URL, CertHash: info.Hash})
		if e := await(t, oldMsgs, func(*protocol.ErrorMessage) bool { return true }); e.Code != protocol.CodeReplaced {
			t.Fatalf("the older connection got ERROR %v, want replaced", e.Code)
		}
		<-old.Done()
		var ce *client.ClosedError
		if !errors.As(old.Err(), &ce) || ce.Code != protocol.CodeReplaced {
			t.Fatalf("the older connection ended with %v, want the close code replaced", old.Err())
		}
		var st api.HuntStatus
		if code := getJSON(t, fmt.Sprintf("%s/v1/hunts/%d/status", w.edge.URL(), w.hunt.ID), &st); code != http.StatusOK {
			t.Fatalf("GET the hunt's status: %d", code)
		}
		if st.PlayersOnline != 2 {
			t.Errorf("players online %d, want 2 (player 1 counted once)", st.PlayersOnline)
		}
		cur.Position(lat+0.00001, lng, 3)
		await(t, watcherMsgs, func(c *protocol.CellUpdate) bool {
			return hasPlayer(c, 1) && entryOf(c, 1).Lat == 523730896 && entryOf(c, 1).Op != protocol.OpLeft
		})
		if err := cur.Ping(); err != nil {
			t.Fatal(err)
		}
		await(t, curMsgs, func(*protocol.Pong) bool { return true })
	})
}

// TestDemoPageRefreshesItsToken (issue 12 item 7): the page, given a
// session by /dev/session, refreshes its token before it expires — here at
// once, as this /dev/session hands out tokens with a minute to live —
// through /dev/session again (a token minted by the coordinator), and
// presents it with TOKEN: the edge accepts it and the page stays connected.
func TestDemoPageRefreshesItsToken(t *testing.T) {
	w := newWorld(t, "netpoll")
	const player = 700
	mint := func() (string, error) { // POST /v1/tokens, as edge/dev does, with a one-minute lifetime
		b, _ := json.Marshal(api.TokenRequest{Player: player, Hunt: w.hunt.ID, TTLSeconds: 60})
		req, _ := http.NewRequest("POST", w.coord.URL()+"/v1/tokens", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var tok struct{ Token string }
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("minting: %s %v", resp.Status, err)
		}
		return tok.Token, nil
	}
	e, err := edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin,
		Transport: "netpoll", DisableWT: true, Extra: func(mux *http.ServeMux) {
			mux.HandleFunc("GET /dev/session", func(rw http.ResponseWriter, r *http.Request) {
				tok, err := mint()
				if err != nil {
					http.Error(rw, err.Error(), http.StatusBadGateway)
					return
				}
				rw.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(rw).Encode(map[string]any{"player": player, "hunt": w.hunt.ID, "token": tok,
					"center": [2]float64{52.3730796, 4.8924534}})
			})
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	waitHunt(t, e, w.hunt.ID)
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(e.URL()+"/?transport=ws")))
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for e.Core.Snapshot().TokensRefreshed == 0 { // an observable counter, polled
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the edge never received a TOKEN from the page")
		}
	}
	st := e.Core.Snapshot()
	if st.Closes[protocol.CodeUnauthorized]+st.Closes[protocol.CodeWrongHunt]+st.Closes[protocol.CodeTokenExpired] != 0 {
		t.Errorf("the refresh closed the page's session: %v", st.Closes)
	}
	poll(t, ctx, `document.querySelector('#state').textContent === 'connected'`)
}
