package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Failover: a client with Reconnect whose edge stops answering (the dial
// fails: refused, unreachable, timed out — not an edge's refusal) tries
// the other entry points its route named (Route.Alternates), round robin,
// one per backoff step. Before dialing one it asks that edge's GET
// /v1/route again, so that the list follows the region's live edges.

// dialError is a failure to reach an edge at all: no transport connection.
type dialError struct {
	url string
	err error
}

func (e *dialError) Error() string { return fmt.Sprintf("cannot connect to %s: %v", e.url, e.err) }
func (e *dialError) Unwrap() error { return e.err }

// entryPoints is where a route says to connect: the route's own URLs
// first, then its alternates.
func entryPoints(r Route) []Alternate {
	return append([]Alternate{{WS: r.WS, WT: r.WT}}, r.Alternates...)
}

// nextAlternate is the entry point to try after cur failed to answer: the
// one after cur in ring, round robin (the first when cur is none of them).
func nextAlternate(ring []Alternate, cur string) (Alternate, bool) {
	if len(ring) == 0 {
		return Alternate{}, false
	}
	for i, a := range ring {
		if a.WS == cur || (a.WT != "" && a.WT == cur) {
			return ring[(i+1)%len(ring)], true
		}
	}
	return ring[0], true
}

// urlOf is a's URL for this client: WebTransport when it prefers it (or
// was on it) and a offers it, WebSocket otherwise.
func urlOf(a Alternate, wt bool) string {
	if wt && a.WT != "" {
		return a.WT
	}
	return a.WS
}

// httpBase is the http(s):// base of the edge serving a WebSocket URL.
func httpBase(wsURL string) string {
	u, err := url.Parse(wsURL)
	if err != nil {
		return wsURL // Lookup says what is wrong with it
	}
	scheme := "http://"
	if u.Scheme == "wss" {
		scheme = "https://"
	}
	return scheme + u.Host
}

// failover moves the client to the next entry point after err, when err
// says its edge could not be reached and it knows another: it asks that
// one's route first (the region's live edges now) and connects where it
// answers, else to it as listed.
func (cl *Client) failover(err error) {
	var de *dialError
	if !errors.As(err, &de) {
		return
	}
	cl.mu.Lock()
	next, ok := nextAlternate(cl.ring, cl.url)
	wt := cl.opts.PreferWebTransport || strings.HasPrefix(cl.url, "https://")
	cl.mu.Unlock()
	if !ok {
		return
	}
	to := urlOf(next, wt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	r, lerr := Lookup(ctx, httpBase(next.WS), cl.opts.Hunt, cl.opts.Near)
	cancel()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if lerr == nil {
		to, cl.ring = urlOf(Alternate{WS: r.WS, WT: r.WT}, wt), entryPoints(r)
	}
	cl.url = to
}
