package client

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"sync"
	"testing"

	"github.com/veltrix/veltrix/protocol"
)

// TestMobileSurfaceIsBindable checks that the exported methods of Mobile and
// MobileHandler only use types gomobile binds: int64, float64, string, bool,
// error, MobileHandler and *Mobile.
func TestMobileSurfaceIsBindable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "mobile.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{"int64": true, "float64": true, "string": true, "bool": true, "error": true, "MobileHandler": true, "*Mobile": true}
	check := func(where string, fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, field := range fl.List {
			typ := types(field.Type)
			if !ok[typ] {
				t.Errorf("%s uses %s, which gomobile cannot bind", where, typ)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch d := n.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() {
				check(d.Name.Name, d.Type.Params)
				check(d.Name.Name, d.Type.Results)
			}
		case *ast.InterfaceType:
			for _, m := range d.Methods.List {
				if ft, isFn := m.Type.(*ast.FuncType); isFn {
					check(m.Names[0].Name, ft.Params)
					check(m.Names[0].Name, ft.Results)
				}
			}
		}
		return true
	})
}

func types(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return "*" + types(x.X)
	}
	return "?"
}

// recorder is a MobileHandler that writes each call as one line, and
// also sends it on seen when that is set (calls come from the client's
// goroutines).
type recorder struct {
	mu    sync.Mutex
	calls []string
	seen  chan string
}

func (r *recorder) add(format string, a ...any) {
	call := fmt.Sprintf(format, a...)
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.mu.Unlock()
	if r.seen != nil {
		r.seen <- call
	}
}
func (r *recorder) OnWelcome(p, h int64) { r.add("welcome %d %d", p, h) }
func (r *recorder) OnPlayer(p int64, lat, lng float64, left bool) {
	r.add("player %d %.7f %.7f %v", p, lat, lng, left)
}
func (r *recorder) OnTreasure(id int64, lat, lng float64, pts int64, avail bool) {
	r.add("treasure %d %.7f %.7f %d %v", id, lat, lng, pts, avail)
}
func (r *recorder) OnHint(band int64, bearing float64) { r.add("hint %d %.2f", band, bearing) }
func (r *recorder) OnClaimResult(req, tr, out, pts, sc int64) {
	r.add("claim %d %d %d %d %d", req, tr, out, pts, sc)
}
func (r *recorder) OnEvent(k, h, tr, p int64, lat, lng float64, tm int64) {
	r.add("event %d %d %d %d %.7f %.7f %d", k, h, tr, p, lat, lng, tm)
}
func (r *recorder) OnHuntStatus(h, st, rem, tot, pl, s, e int64) {
	r.add("status %d %d %d %d %d %d %d", h, st, rem, tot, pl, s, e)
}
func (r *recorder) OnLeader(rank, p, sc int64)        { r.add("leader %d %d %d", rank, p, sc) }
func (r *recorder) OnError(code int64, text string)   { r.add("error %d %s", code, text) }
func (r *recorder) OnRedirect(code int64, url string) { r.add("redirect %d %s", code, url) }
func (r *recorder) OnPong(echo, tm int64)             { r.add("pong %d %d", echo, tm) }
func (r *recorder) OnClosed(reason string)            { r.add("closed %s", reason) }

// TestMobileHandsEveryMessageOnWithItsFields: each edge message reaches the
// handler with all its fields, in bindable types.
func TestMobileHandsEveryMessageOnWithItsFields(t *testing.T) {
	r := &recorder{}
	m := NewMobile("ws://127.0.0.1:1/ws", "tok", 7, "", r)
	for _, msg := range []protocol.Message{
		&protocol.Welcome{Player: 3, Hunt: 7},
		&protocol.CellUpdate{Entries: []protocol.CellEntry{{Player: 4, Lat: 523700000, Lng: 48900000, Op: protocol.OpLeft}}},
		&protocol.Treasures{Treasures: []protocol.TreasureEntry{{Treasure: 5, Lat: 523710000, Lng: 48910000, Points: 10, State: protocol.TreasureAvailable}}},
		&protocol.Hint{Band: 2, Bearing: 9050},
		&protocol.ClaimResult{Request: 9, Treasure: 5, Outcome: protocol.OutcomeWon, Points: 10, Score: 30},
		&protocol.Event{Kind: 1, Hunt: 7, Treasure: 5, Player: 3, Lat: 523710000, Lng: 48910000, Time: 1_700_000_000_000_000},
		&protocol.HuntStatus{Hunt: 7, State: 2, Total: 50, Remaining: 49, Players: 12, Starts: 1, Ends: 2, Leaders: []protocol.Leader{{Player: 3, Score: 30}, {Player: 4, Score: 20}}},
		&protocol.ErrorMessage{Code: protocol.CodeBadMessage, Text: protocol.Text("bad")},
		&protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text("wss://b/ws")},
		&protocol.Pong{Echo: 11, Time: 12},
		&protocol.FineCell{Lat: 523700000, Lng: 48900000, Entries: []protocol.FineEntry{{Player: 6, DLat: 10, DLng: -10}}},
	} {
		m.dispatch(msg)
	}
	want := []string{
		"welcome 3 7",
		"player 4 52.3700000 4.8900000 true",
		"treasure 5 52.3710000 4.8910000 10 true",
		"hint 2 90.50",
		"claim 9 5 1 10 30",
		"event 1 7 5 3 52.3710000 4.8910000 1700000000000000",
		"status 7 2 49 50 12 1 2",
		"leader 1 3 30",
		"leader 2 4 20",
		"error 1 bad",
		"redirect 14 wss://b/ws",
		"pong 11 12",
		"player 6 52.3700400 4.8899600 false",
	}
	if strings.Join(r.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("handler calls:\n%s\nwant:\n%s", strings.Join(r.calls, "\n"), strings.Join(want, "\n"))
	}
	for name, call := range map[string]func() error{
		"SendPosition": func() error { return m.SendPosition(52.37, 4.89, 5) },
		"Claim":        func() error { return m.Claim(1, 5) },
		"Ping":         func() error { return m.Ping() },
		"RefreshToken": func() error { return m.RefreshToken("t") },
		"Close":        m.Close,
	} {
		if err := call(); !errors.Is(err, errNotConnected) {
			t.Errorf("%s before Connect: %v, want errNotConnected", name, err)
		}
	}
}

// crowdRecorder also hears crowds.
type crowdRecorder struct{ recorder }

func (r *crowdRecorder) OnCellSummary(cell string, n int64, lat, lng float64) {
	r.add("summary %s %d %.7f %.7f", cell, n, lat, lng)
}
func (r *crowdRecorder) OnCellSummaryChild(cell string, n int64, lat, lng float64) {
	r.add("child %s %d %.7f %.7f", cell, n, lat, lng)
}
func (r *crowdRecorder) OnTickRate(hz, reason int64) { r.add("tick rate %d %d", hz, reason) }

// TestMobileHandsCrowdsToACrowdHandler: CELL_SUMMARY and TICK_RATE reach a
// handler that implements MobileCrowdHandler, and are skipped for one that
// does not.
func TestMobileHandsCrowdsToACrowdHandler(t *testing.T) {
	msgs := []protocol.Message{
		&protocol.CellSummary{Cell: 0x8928308280fffff, Count: 400, Lat: 523700000, Lng: 48900000,
			Children: []protocol.SummaryChild{{Cell: 0x8a2830828007fff, Count: 300, Lat: 523710000, Lng: 48910000}}},
		&protocol.TickRate{TickHz: 5, Reason: protocol.TickRateOverload},
	}
	r, plain := &crowdRecorder{}, &recorder{}
	for _, h := range []MobileHandler{r, plain} {
		m := NewMobile("ws://127.0.0.1:1/ws", "tok", 7, "", h)
		for _, msg := range msgs {
			m.dispatch(msg)
		}
	}
	want := "summary 8928308280fffff 400 52.3700000 4.8900000\nchild 8a2830828007fff 300 52.3710000 4.8910000\ntick rate 5 1"
	if got := strings.Join(r.calls, "\n"); got != want || len(plain.calls) != 0 {
		t.Errorf("crowd handler calls:\n%s\nwant:\n%s\nplain handler: %v", got, want, plain.calls)
	}
}
