package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

// fakeEdge is a WebSocket server that reads HELLO, answers with reply and
// reports each HELLO it received.
type fakeEdge struct {
	srv    *httptest.Server
	hellos chan protocol.Hello
}

func newFakeEdge(t *testing.T, reply func(n int) []byte) *fakeEdge {
	e := &fakeEdge{hellos: make(chan protocol.Hello, 8)}
	var n atomic.Int32 // connections may overlap (a client redirected at HELLO)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		defer c.Close()
		data, err := wsutil.ReadClientBinary(c)
		if err != nil {
			return
		}
		t, body, _, err := protocol.Split(data)
		var h protocol.Hello
		if err != nil || t != protocol.TypeHello || h.Decode(body) != nil {
			return
		}
		h.Token = append(protocol.Text(nil), h.Token...)
		e.hellos <- h
		if wsutil.WriteServerBinary(c, reply(int(n.Add(1)))) != nil {
			return
		}
		for { // hold the connection until the client goes
			if _, err := wsutil.ReadClientBinary(c); err != nil {
				return
			}
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *fakeEdge) url() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") }

func welcome(player uint32) []byte {
	return protocol.AppendWelcome(nil, &protocol.Welcome{Player: player, Hunt: 7, Resolution: 11, TickHz: 10, Radius: 1})
}

// TestRedirectReconnectsToTheNewEdge: an edge that answers WELCOME then
// REDIRECT sends the client, with Reconnect, to the other edge at once; the
// typed callbacks see the REDIRECT and the second WELCOME.
func TestRedirectReconnectsToTheNewEdge(t *testing.T) {
	b := newFakeEdge(t, func(int) []byte { return welcome(2) })
	a := newFakeEdge(t, func(int) []byte {
		return protocol.AppendRedirect(welcome(1), &protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text(b.url())})
	})
	redirected := make(chan string, 1)
	welcomed := make(chan protocol.Welcome, 1)
	cb := &Callbacks{
		OnRedirect: func(_ protocol.Code, url string) { redirected <- url },
		OnWelcome:  func(w protocol.Welcome) { welcomed <- w },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, Options{URL: a.url(), Token: "tok", Hunt: 7, Reconnect: true, Handler: cb.Handle})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if h := <-a.hellos; string(h.Token) != "tok" { // Dial returned after edge a's WELCOME
		t.Fatalf("edge a got HELLO %+v", h)
	}
	select {
	case url := <-redirected:
		if url != b.url() {
			t.Fatalf("OnRedirect got %q, want %q", url, b.url())
		}
	case <-ctx.Done():
		t.Fatal("no OnRedirect")
	}
	select {
	case h := <-b.hellos:
		if string(h.Token) != "tok" || h.Hunt != 7 {
			t.Fatalf("edge b got HELLO %+v", h)
		}
	case <-ctx.Done():
		t.Fatal("the client never reached edge b")
	}
	select {
	case w := <-welcomed:
		if w.Player != 2 {
			t.Fatalf("WELCOME after the redirect: player %d, want 2", w.Player)
		}
	case <-ctx.Done():
		t.Fatal("no WELCOME from edge b")
	}
	if got := cl.Welcome().Player; got != 2 {
		t.Fatalf("Welcome() after the redirect: player %d", got)
	}
}

// TestRedirectWithoutReconnectStopsWithItsURL: without Reconnect the client
// stops and says where the edge sent it; a REDIRECT to an unsupported URL is
// an error, never a dial.
func TestRedirectWithoutReconnectStopsWithItsURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		wantErr string
	}{
		{"wss://edge-2.example:443/ws", ""},
		{"file:///etc/passwd", "not a ws://, wss:// or https:// URL"},
	} {
		a := newFakeEdge(t, func(int) []byte {
			return protocol.AppendRedirect(welcome(1), &protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text(tc.url)})
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cl, err := Dial(ctx, Options{URL: a.url(), Token: "tok", Hunt: 7})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		select {
		case <-cl.Done():
		case <-ctx.Done():
			t.Fatalf("%s: client did not stop", tc.url)
		}
		cancel()
		var re *RedirectError
		switch {
		case tc.wantErr == "" && (!errors.As(cl.Err(), &re) || re.URL != tc.url || re.Code != protocol.CodeRedirect):
			t.Errorf("%s: Err() = %v, want a RedirectError with its URL", tc.url, cl.Err())
		case tc.wantErr != "" && (cl.Err() == nil || !strings.Contains(cl.Err().Error(), tc.wantErr)):
			t.Errorf("%s: Err() = %v, want %q", tc.url, cl.Err(), tc.wantErr)
		}
	}
}

// TestCallbacksCallOneTypedFunctionPerMessage decodes one of every edge
// message and checks that exactly its callback ran with its fields.
func TestCallbacksCallOneTypedFunctionPerMessage(t *testing.T) {
	var got []string
	cb := &Callbacks{
		OnWelcome: func(w protocol.Welcome) { got = append(got, "welcome", itoa(w.Player)) },
		OnCellUpdate: func(c *protocol.CellUpdate) {
			got = append(got, "cell", itoa(uint32(len(c.Entries))))
			if c.Flags&protocol.FlagRefined != 0 {
				got = append(got, "refined", itoa(uint32(c.Entries[0].Lat)))
			}
		},
		OnTreasures:   func(x *protocol.Treasures) { got = append(got, "treasures", itoa(uint32(len(x.Treasures)))) },
		OnHint:        func(h protocol.Hint) { got = append(got, "hint", itoa(uint32(h.Band))) },
		OnClaimResult: func(r protocol.ClaimResult) { got = append(got, "claim", itoa(r.Request)) },
		OnEvent:       func(e protocol.Event) { got = append(got, "event", itoa(e.Treasure)) },
		OnHuntStatus:  func(s *protocol.HuntStatus) { got = append(got, "status", itoa(uint32(len(s.Leaders)))) },
		OnError:       func(c protocol.Code, text string) { got = append(got, "error", text) },
		OnRedirect:    func(c protocol.Code, url string) { got = append(got, "redirect", url) },
		OnPong:        func(p protocol.Pong) { got = append(got, "pong", itoa(uint32(p.Echo))) },
		OnCellSummary: func(s *protocol.CellSummary) {
			got = append(got, "summary", itoa(s.Count), itoa(uint32(len(s.Children))))
		},
		OnTickRate: func(r protocol.TickRate) { got = append(got, "rate", itoa(uint32(r.TickHz))) },
	}
	var frame []byte
	frame = protocol.AppendWelcome(frame, &protocol.Welcome{Player: 3})
	frame = protocol.AppendCellUpdate(frame, &protocol.CellUpdate{Entries: []protocol.CellEntry{{Player: 1}, {Player: 2}}})
	frame = protocol.AppendTreasures(frame, &protocol.Treasures{Treasures: []protocol.TreasureEntry{{Treasure: 5}}})
	frame = protocol.AppendHint(frame, &protocol.Hint{Band: 2})
	frame = protocol.AppendClaimResult(frame, &protocol.ClaimResult{Request: 9})
	frame = protocol.AppendEvent(frame, &protocol.Event{Treasure: 4})
	frame = protocol.AppendHuntStatus(frame, &protocol.HuntStatus{Leaders: []protocol.Leader{{Player: 1, Score: 3}}})
	frame = protocol.AppendError(frame, &protocol.ErrorMessage{Code: protocol.CodeBadMessage, Text: protocol.Text("bad")})
	frame = protocol.AppendRedirect(frame, &protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text("wss://x/ws")})
	frame = protocol.AppendPong(frame, &protocol.Pong{Echo: 8})
	frame = protocol.AppendCellSummary(frame, &protocol.CellSummary{Count: 400, Children: []protocol.SummaryChild{{Count: 400}}})
	frame = protocol.AppendTickRate(frame, &protocol.TickRate{TickHz: 5, Reason: protocol.TickRateOverload})
	frame = protocol.AppendFineCell(frame, &protocol.FineCell{Flags: protocol.FlagSnapshot, Lat: 100, Entries: []protocol.FineEntry{{Player: 1, DLat: 3}}})
	for len(frame) > 0 {
		typ, body, rest, err := protocol.Split(frame)
		if err != nil {
			t.Fatal(err)
		}
		m, err := protocol.DecodeMessage(typ, body)
		if err != nil {
			t.Fatal(err)
		}
		cb.Handle(m)
		frame = rest
	}
	want := "welcome 3 cell 2 treasures 1 hint 2 claim 9 event 4 status 1 error bad redirect wss://x/ws pong 8 summary 400 1 rate 5 cell 1 refined 220"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("callbacks saw\n%s\nwant\n%s", s, want)
	}
	(&Callbacks{}).Handle(&protocol.Pong{}) // nil functions ignore their messages
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
