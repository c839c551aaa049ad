package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LatLng is a position in degrees.
type LatLng struct{ Lat, Lng float64 }

// Route is where a hunt's players connect: the answer of an edge's GET
// /v1/route.
type Route struct {
	Region string `json:"region"`
	WS     string `json:"ws"`           // WebSocket URL
	WT     string `json:"wt,omitempty"` // WebTransport URL ("": none)
	Hunt   uint32 `json:"hunt,omitempty"`
	Home   bool   `json:"home"` // the region is the hunt's home (else chosen by position, or the edge's own)
	// Alternates are where to connect when WS and WT stop answering: the
	// region's other live edges, or its load balancer (SPEC.md §2.2).
	Alternates []Alternate `json:"alternates,omitempty"`
}

// Alternate is another entry point of a route's region.
type Alternate struct {
	WS string `json:"ws"`
	WT string `json:"wt,omitempty"`
}

// Lookup asks the edge at base (http:// or https://) where hunt is served,
// for a player near (nil: anywhere): GET /v1/route?hunt=&lat=&lng=.
func Lookup(ctx context.Context, base string, hunt uint32, near *LatLng) (Route, error) {
	q := url.Values{}
	if hunt != 0 {
		q.Set("hunt", strconv.FormatUint(uint64(hunt), 10))
	}
	if near != nil {
		q.Set("lat", strconv.FormatFloat(near.Lat, 'f', -1, 64))
		q.Set("lng", strconv.FormatFloat(near.Lng, 'f', -1, 64))
	}
	u := strings.TrimRight(base, "/") + "/v1/route?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Route{}, fmt.Errorf("cannot look the route up at %s: %w", base, err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return Route{}, fmt.Errorf("cannot look the route up: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return Route{}, fmt.Errorf("route lookup at %s: %s: %s", base, resp.Status, strings.TrimSpace(string(body)))
	}
	var r Route
	if err := json.Unmarshal(body, &r); err != nil || !supportedURL(r.WS) || (r.WT != "" && !supportedURL(r.WT)) {
		return Route{}, fmt.Errorf("route lookup at %s: an answer without usable URLs: %q", base, body)
	}
	r.Alternates = slices.DeleteFunc(r.Alternates, func(a Alternate) bool { return !supportedURL(a.WS) || (a.WT != "" && !supportedURL(a.WT)) })
	return r, nil
}
