package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// recordingEdge welcomes every HELLO, then passes on each message a client
// sends; with replaceAfterHello it ends each session right after WELCOME
// with ERROR replaced and a close frame 4017, as an edge does (SPEC.md §2.3).
type recordingEdge struct {
	srv    *httptest.Server
	hellos chan protocol.Hello
	msgs   chan protocol.Message
}

func newRecordingEdge(t *testing.T, replaceAfterHello bool) *recordingEdge {
	e := &recordingEdge{hellos: make(chan protocol.Hello, 8), msgs: make(chan protocol.Message, 64)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		defer c.Close()
		for first := true; ; first = false {
			data, err := wsutil.ReadClientBinary(c)
			if err != nil {
				return
			}
			typ, body, _, err := protocol.Split(data)
			if err != nil {
				return
			}
			m, err := protocol.DecodeMessage(typ, body)
			if err != nil {
				return
			}
			if h, ok := m.(*protocol.Hello); ok && first {
				e.hellos <- *h
				_ = wsutil.WriteServerBinary(c, welcome(1))
				if replaceAfterHello {
					code := protocol.CodeReplaced
					_ = wsutil.WriteServerBinary(c, protocol.AppendError(nil, &protocol.ErrorMessage{Code: code, Text: protocol.Text("replaced")}))
					_ = ws.WriteFrame(c, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusCode(code.WebSocketCloseCode()), code.String())))
					return
				}
				continue
			}
			e.msgs <- m
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *recordingEdge) url() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") }

// next returns the next message of type typ the client sent.
func (e *recordingEdge) next(t *testing.T, typ protocol.Type) protocol.Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-e.msgs:
			if m.Type() == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("the client sent no %v", typ)
		}
	}
}

// TestRefreshPresentsAFreshToken (issue 12 item 7): a client whose token is
// due for refreshing calls Refresh, sends the new token with TOKEN, and
// says HELLO with it when it reconnects.
func TestRefreshPresentsAFreshToken(t *testing.T) {
	_, priv, _ := token.GenerateKey()
	short, _ := token.Mint(priv, 1, 7, "", time.Now(), 50*time.Second) // due at once: under a minute left
	fresh, _ := token.Mint(priv, 1, 7, "", time.Now(), time.Hour)
	calls := make(chan struct{}, 4)
	e := newRecordingEdge(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, Options{URL: e.url(), Token: short, Hunt: 7, Refresh: func(context.Context) (string, error) {
		calls <- struct{}{}
		return fresh, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if h := <-e.hellos; string(h.Token) != short {
		t.Fatal("the first HELLO did not carry Options.Token")
	}
	if got := e.next(t, protocol.TypeToken).(*protocol.Token); string(got.Token) != fresh {
		t.Fatalf("TOKEN carried %q, want the refreshed token", got.Token)
	}
	<-calls
	select {
	case <-calls:
		t.Fatal("Refresh called again although the new token is good for an hour")
	default:
	}
	cl.mu.Lock()
	tok := cl.token
	cl.mu.Unlock()
	if tok != fresh {
		t.Error("a reconnect would not say HELLO with the refreshed token")
	}
	// An app that renews tokens itself presents them the same way.
	own, _ := token.Mint(priv, 1, 7, "", time.Now(), 2*time.Hour)
	if err := cl.PresentToken(own); err != nil {
		t.Fatal(err)
	}
	if got := e.next(t, protocol.TypeToken).(*protocol.Token); string(got.Token) != own {
		t.Fatalf("PresentToken sent %q", got.Token)
	}
}

// TestKeepAliveSendsPing (issue 12 item 8): a client that sends nothing
// sends PING within KeepAlive, so the edge never finds it idle.
func TestKeepAliveSendsPing(t *testing.T) {
	e := newRecordingEdge(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, Options{URL: e.url(), Token: "t", Hunt: 7, KeepAlive: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for range 3 {
		e.next(t, protocol.TypePing)
	}
}

// TestReplacedIsNotRetried (issue 12 item 9): a client closed replaced does
// not reconnect, even with Reconnect: another connection of the player is
// live, and the two would replace each other for ever.
func TestReplacedIsNotRetried(t *testing.T) {
	e := newRecordingEdge(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, Options{URL: e.url(), Token: "t", Hunt: 7, Reconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	<-e.hellos
	select {
	case <-cl.Done():
	case <-ctx.Done():
		t.Fatal("the replaced client kept reconnecting")
	}
	var ce *ClosedError
	if !errors.As(cl.Err(), &ce) || ce.Code != protocol.CodeReplaced {
		t.Fatalf("stopped with %v, want a ClosedError replaced", cl.Err())
	}
	select {
	case <-e.hellos:
		t.Error("the client said HELLO again after it was replaced")
	default:
	}
}
