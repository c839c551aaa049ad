package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// redirectingEdge answers every HELLO with a REDIRECT to target, or to
// itself for "" (a loop between misconfigured edges).
func redirectingEdge(t *testing.T, target string) *fakeEdge {
	var e *fakeEdge
	e = newFakeEdge(t, func(int) []byte {
		to := target
		if to == "" {
			to = e.url()
		}
		return protocol.AppendRedirect(nil, &protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text(to)})
	})
	return e
}

// TestRedirectLoopIsBounded: a client follows REDIRECTs that answer HELLO,
// at most MaxRedirects in a row, then stops with ErrRedirectLoop (and with
// Reconnect it does not start over).
func TestRedirectLoopIsBounded(t *testing.T) {
	for _, c := range []struct{ max, hellos int32 }{{0, DefaultMaxRedirects + 1}, {2, 3}, {-1, 1}} {
		e := redirectingEdge(t, "")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := Dial(ctx, Options{URL: e.url(), Hunt: 1, Reconnect: true, MaxRedirects: int(c.max)})
		cancel()
		var re *RedirectError
		if !errors.Is(err, ErrRedirectLoop) || !errors.As(err, &re) || !re.Loop {
			t.Fatalf("MaxRedirects %d: Dial = %v, want a redirect loop", c.max, err)
		}
		if got := int32(len(e.hellos)); got != c.hellos {
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

// TestMobileRoutedAndRedirected: a Mobile with SetRoute asks the route,
// connects where it says, follows the REDIRECT its HELLO gets (OnRedirect
// tells the app) and is welcomed by the edge it was sent to.
func TestMobileRoutedAndRedirected(t *testing.T) {
	e := newRecordingEdge(t, false)
	other := redirectingEdge(t, e.url())
	var query string
	router := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		_, _ = w.Write([]byte(`{"region":"b","ws":"` + other.url() + `"}`))
	}))
	defer router.Close()
	r := &recorder{seen: make(chan string, 16)}
	m := NewMobile("", "tok-1", 7, "", r)
	m.SetRoute(router.URL, 52.5, 4.25, true, false)
	if err := m.Connect(10_000); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if h := <-e.hellos; h.Hunt != 7 || query != "hunt=7&lat=52.5&lng=4.25" {
		t.Errorf("HELLO %+v after asking %q", h, query)
	}
	if c := nextCall(t, r); c != "redirect 14 "+e.url() {
		t.Errorf("first handler call %q, want the redirect", c)
	}
	if c := nextCall(t, r); c != "welcome 1 7" {
		t.Errorf("second handler call %q, want welcome 1 7", c)
	}
}

// laggingEdge refuses the first HELLO wrong_hunt (its replica has not heard
// of the hunt yet) and welcomes the next ones.
func laggingEdge(t *testing.T) *fakeEdge {
	return newFakeEdge(t, func(n int) []byte {
		if n == 1 {
			return protocol.AppendError(nil, &protocol.ErrorMessage{Code: protocol.CodeWrongHunt, Text: protocol.Text("no such hunt on this edge")})
		}
		return welcome(1)
	})
}

// TestWrongHuntAfterRedirectIsRetried: the edge a REDIRECT names may not
// know the hunt yet; its wrong_hunt is tried again after a backoff. The
// same refusal from an edge the client chose itself is final.
func TestWrongHuntAfterRedirectIsRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target := laggingEdge(t)
	cl, err := Dial(ctx, Options{URL: redirectingEdge(t, target.url()).url(), Hunt: 1})
	if err != nil || len(target.hellos) != 2 {
		t.Fatalf("after a redirect: Dial = %v with %d HELLOs to the lagging edge, want a WELCOME at the second", err, len(target.hellos))
	}
	cl.Close()
	direct := laggingEdge(t)
	var refused *RefusedError
	if _, err := Dial(ctx, Options{URL: direct.url(), Hunt: 1}); !errors.As(err, &refused) || refused.Code != protocol.CodeWrongHunt || len(direct.hellos) != 1 {
		t.Fatalf("without a redirect: Dial = %v after %d HELLOs, want wrong_hunt at once", err, len(direct.hellos))
	}
}
