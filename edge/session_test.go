package edge_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/veltrix/veltrix/coordinator/api"
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
