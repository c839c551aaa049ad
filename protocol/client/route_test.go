package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

// redirectingEdge answers every HELLO with a REDIRECT to itself (a loop
// between misconfigured edges) and counts the HELLOs.
func redirectingEdge(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hellos atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := wsutil.ReadClientBinary(c); err != nil {
			return
		}
		hellos.Add(1)
		self := "ws" + strings.TrimPrefix(srv.URL, "http")
		_ = wsutil.WriteServerBinary(c, protocol.AppendRedirect(nil, &protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text(self)}))
	}))
	t.Cleanup(srv.Close)
	return srv, &hellos
}

// TestRedirectLoopIsBounded: a client follows REDIRECTs that answer HELLO,
// at most MaxRedirects in a row, then stops with ErrRedirectLoop (and with
// Reconnect it does not start over).
func TestRedirectLoopIsBounded(t *testing.T) {
	for _, c := range []struct{ max, hellos int32 }{{0, DefaultMaxRedirects + 1}, {2, 3}, {-1, 1}} {
		srv, hellos := redirectingEdge(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := Dial(ctx, Options{URL: "ws" + strings.TrimPrefix(srv.URL, "http"), Hunt: 1, Reconnect: true, MaxRedirects: int(c.max)})
		cancel()
		var re *RedirectError
		if !errors.Is(err, ErrRedirectLoop) || !errors.As(err, &re) || !re.Loop {
			t.Fatalf("MaxRedirects %d: Dial = %v, want a redirect loop", c.max, err)
		}
		if got := hellos.Load(); got != c.hellos {
			t.Errorf("MaxRedirects %d: %d HELLOs, want %d", c.max, got, c.hellos)
		}
	}
}

// TestDialAsksTheRoute: with Route and no URL, Dial asks GET /v1/route for
// the hunt and position and connects where it answers; a bad answer is an
// error that says so.
func TestDialAsksTheRoute(t *testing.T) {
	e := newRecordingEdge(t, false)
	var query string
	answer := `{"region":"eu","ws":"` + e.url() + `","home":true}`
	router := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Path + "?" + r.URL.RawQuery
		_, _ = w.Write([]byte(answer))
	}))
	defer router.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, Options{Route: router.URL, Hunt: 7, Near: &LatLng{52.5, 4.25}, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if h := <-e.hellos; h.Hunt != 7 || query != "/v1/route?hunt=7&lat=52.5&lng=4.25" {
		t.Errorf("HELLO %+v after asking %s", h, query)
	}
	answer = `{"region":"eu","ws":"ftp://x"}`
	if _, err := Dial(ctx, Options{Route: router.URL, Hunt: 7}); err == nil || !strings.Contains(err.Error(), "without usable URLs") {
		t.Errorf("a route answer with an ftp URL: %v", err)
	}
}
