package client

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// nextCall returns the next handler call r records.
func nextCall(t *testing.T, r *recorder) string {
	t.Helper()
	select {
	case c := <-r.seen:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no handler call within 10 s")
		return ""
	}
}

// Connect says HELLO as a mobile player of the hunt with the token, hands
// WELCOME to OnWelcome, and then the player's calls reach the edge; Close
// ends in OnClosed.
func TestMobileConnect(t *testing.T) {
	e := newRecordingEdge(t, false)
	r := &recorder{seen: make(chan string, 16)}
	m := NewMobile(e.url(), "tok-1", 7, "", r)
	if err := m.Connect(10_000); err != nil {
		t.Fatal(err)
	}
	h := <-e.hellos
	if h.Kind != protocol.KindMobile || h.Hunt != 7 || string(h.Token) != "tok-1" {
		t.Errorf("HELLO %+v, want a mobile player of hunt 7 with tok-1", h)
	}
	if c := nextCall(t, r); c != "welcome 1 7" {
		t.Errorf("first handler call %q, want welcome 1 7", c)
	}
	if err := m.SendPosition(52.3730796, 4.8924534, 12.5); err != nil {
		t.Fatal(err)
	}
	if p := e.next(t, protocol.TypePosition).(*protocol.Position); p.Lat != 523730796 || p.Lng != 48924534 || p.Accuracy != 125 {
		t.Errorf("POSITION %+v", p)
	}
	if err := m.Claim(9, 42); err != nil {
		t.Fatal(err)
	}
	if c := e.next(t, protocol.TypeClaim).(*protocol.Claim); c.Request != 9 || c.Treasure != 42 {
		t.Errorf("CLAIM %+v", c)
	}
	if err := m.Ping(); err != nil {
		t.Fatal(err)
	}
	e.next(t, protocol.TypePing)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// The reason after the app's own Close is the client's read error
	// today ("use of closed network connection"), not "closed".
	if c := nextCall(t, r); !strings.HasPrefix(c, "closed ") {
		t.Errorf("after Close: %q, want OnClosed", c)
	}
}

// An edge that replaces the session right after WELCOME: the handler
// hears the ERROR and then OnClosed with the reason, and the client does
// not come back.
func TestMobileConnectReplaced(t *testing.T) {
	e := newRecordingEdge(t, true)
	r := &recorder{seen: make(chan string, 16)}
	m := NewMobile(e.url(), "tok", 7, "", r)
	if err := m.Connect(10_000); err != nil {
		t.Fatal(err)
	}
	var calls []string
	for !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "closed ") }) {
		calls = append(calls, nextCall(t, r))
	}
	slices.Sort(calls) // OnWelcome comes from Connect, the rest from the reader
	want := []string{"closed ", "error 17 replaced", "welcome 1 7"}
	if len(calls) != 3 || !strings.HasPrefix(calls[0], want[0]) || !strings.Contains(calls[0], "replaced") || calls[1] != want[1] || calls[2] != want[2] {
		t.Errorf("handler calls %q, want welcome, error 17 replaced, and closed with the reason", calls)
	}
	if len(e.hellos) != 1 {
		t.Errorf("%d HELLOs: a replaced session was retried", len(e.hellos))
	}
}

// Connect fails, and leaves the Mobile unconnected, on a bad certificate
// hash, an edge that refuses the player, and an edge that never welcomes
// within the timeout.
func TestMobileConnectFails(t *testing.T) {
	refusing := newFakeEdge(t, func(int) []byte {
		return protocol.AppendError(nil, &protocol.ErrorMessage{Code: protocol.CodeUnauthorized, Text: protocol.Text("bad token")})
	})
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, tc := range []struct {
		name, url, hash string
		timeoutMs       int64
		want            string
	}{
		{"bad certificate hash", "https://127.0.0.1:1/wt", "not base64!", 10_000, "illegal base64"},
		{"refused", refusing.url(), "", 10_000, "bad token"},
		{"no welcome in time", "ws://" + silent.Addr().String() + "/ws", "", 100, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			m := NewMobile(tc.url, "tok", 7, tc.hash, r)
			err := m.Connect(tc.timeoutMs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Connect: %v, want an error containing %q", err, tc.want)
			}
			if err := m.SendPosition(1, 2, 3); err != errNotConnected {
				t.Errorf("SendPosition after a failed Connect: %v", err)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if len(r.calls) != 0 {
				t.Errorf("handler called after a failed Connect: %q", r.calls)
			}
		})
	}
}
