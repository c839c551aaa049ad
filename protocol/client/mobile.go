package client

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// MobileHandler receives the edge's messages with only the types gomobile
// can bind (int64, float64, string, bool); an app implements it in Kotlin or
// Swift. Calls arrive on the client's reader goroutine, in order. Times are
// microseconds since the Unix epoch, coordinates degrees.
type MobileHandler interface {
	OnWelcome(player int64, hunt int64)
	OnPlayer(player int64, lat, lng float64, left bool)
	OnTreasure(treasure int64, lat, lng float64, points int64, available bool)
	OnHint(band int64, bearingDegrees float64)
	OnClaimResult(request, treasure, outcome, points, score int64)
	OnEvent(kind, hunt, treasure, player int64, lat, lng float64, timeMicros int64)
	// OnHuntStatus is followed by one OnLeader per leaderboard row, best
	// first (rank 1, 2, …).
	OnHuntStatus(hunt, state, remaining, total, players, startsMicros, endsMicros int64)
	OnLeader(rank, player, score int64)
	OnError(code int64, text string)
	// OnRedirect: the edge sent the player to url; the client is already
	// reconnecting there.
	OnRedirect(code int64, url string)
	OnPong(echoMicros, serverTimeMicros int64)
	OnClosed(reason string)
}

// MobileCrowdHandler is what a MobileHandler may also implement to hear
// crowds (SPEC.md §2.2 CELL_SUMMARY, TICK_RATE): apps built before them
// keep compiling, and are simply not told.
type MobileCrowdHandler interface {
	// OnCellSummary: crowded cell (H3 index in hex) holds count players
	// centred on lat/lng; one OnCellSummaryChild per finer cell follows.
	OnCellSummary(cell string, count int64, lat, lng float64)
	OnCellSummaryChild(cell string, count int64, lat, lng float64)
	// OnTickRate: the edge now sends tickHz updates a second (reason 1:
	// overload, 0: back to normal).
	OnTickRate(tickHz, reason int64)
}

// Mobile is the gomobile-friendly face of Client: a constructor, methods
// with bindable types and a handler interface. It reconnects by itself.
type Mobile struct {
	url, token, certHash string
	hunt                 int64
	h                    MobileHandler
	c                    *Client
	route                string  // SetRoute: an edge to ask where to connect
	near                 *LatLng // SetRoute: the player's position, if known
	preferWT             bool
}

// NewMobile prepares a client for url (ws://, wss:// or https:// for
// WebTransport; certHashBase64 pins a development certificate, "" for none).
func NewMobile(url, token string, hunt int64, certHashBase64 string, h MobileHandler) *Mobile {
	return &Mobile{url: url, token: token, hunt: hunt, certHash: certHashBase64, h: h}
}

// SetRoute makes Connect ask the edge at baseURL (http:// or https://)
// where the hunt is served (GET /v1/route) and connect there instead of the
// URL given to NewMobile (which may then be ""): over WebTransport when
// preferWebTransport is set and the region offers it. With hasPosition, the
// player's lat and lng (degrees) choose the region of a hunt without a home.
// Should the edge then die, the client reconnects to the route's
// alternates (the region's other live edges, or its load balancer).
func (m *Mobile) SetRoute(baseURL string, lat, lng float64, hasPosition, preferWebTransport bool) {
	m.route, m.near, m.preferWT = baseURL, nil, preferWebTransport
	if hasPosition {
		m.near = &LatLng{Lat: lat, Lng: lng}
	}
}

// Connect dials the edge and waits up to timeoutMillis for WELCOME. A
// REDIRECT is followed (OnRedirect tells the app), at most
// DefaultMaxRedirects times in a row.
func (m *Mobile) Connect(timeoutMillis int64) error {
	var hash []byte
	if m.certHash != "" {
		var err error
		if hash, err = base64.StdEncoding.DecodeString(m.certHash); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutMillis)*time.Millisecond)
	defer cancel()
	o := Options{URL: m.url, Token: m.token, Hunt: uint32(m.hunt), Kind: protocol.KindMobile,
		CertHash: hash, Reconnect: true, Handler: m.dispatch}
	if m.route != "" {
		o.URL, o.Route, o.Near, o.PreferWebTransport = "", m.route, m.near, m.preferWT
	}
	c, err := Dial(ctx, o)
	if err != nil {
		return err
	}
	m.c = c
	w := c.Welcome()
	m.h.OnWelcome(int64(w.Player), int64(w.Hunt))
	go func() {
		<-c.Done()
		reason := "closed"
		if err := c.Err(); err != nil {
			reason = err.Error()
		}
		m.h.OnClosed(reason)
	}()
	return nil
}

// errNotConnected answers calls made before Connect succeeded.
var errNotConnected = errors.New("not connected: call Connect first")

// SendPosition sends the player's position in degrees, accuracy in metres.
func (m *Mobile) SendPosition(lat, lng, accuracyMetres float64) error {
	if m.c == nil {
		return errNotConnected
	}
	return m.c.Position(lat, lng, accuracyMetres)
}

// Claim claims treasure; the outcome arrives through OnClaimResult.
func (m *Mobile) Claim(request, treasure int64) error {
	if m.c == nil {
		return errNotConnected
	}
	return m.c.Claim(uint32(request), uint32(treasure))
}

// Ping asks the edge for a PONG (OnPong), to measure the round trip and the
// clock offset.
func (m *Mobile) Ping() error {
	if m.c == nil {
		return errNotConnected
	}
	return m.c.Ping()
}

// RefreshToken presents a fresh token for the same player and hunt before
// the current one expires (SPEC.md §2.3: two thirds into its lifetime, at
// the latest a minute before); reconnections use it too.
func (m *Mobile) RefreshToken(token string) error {
	if m.c == nil {
		return errNotConnected
	}
	return m.c.PresentToken(token)
}

// Close leaves the hunt.
func (m *Mobile) Close() error {
	if m.c == nil {
		return errNotConnected
	}
	return m.c.Close()
}

func (m *Mobile) dispatch(msg protocol.Message) {
	switch x := msg.(type) {
	case *protocol.Welcome:
		m.h.OnWelcome(int64(x.Player), int64(x.Hunt)) // after a reconnection
	case *protocol.CellUpdate:
		for _, e := range x.Entries {
			m.h.OnPlayer(int64(e.Player), degrees(e.Lat), degrees(e.Lng), e.Op == protocol.OpLeft)
		}
	case *protocol.FineCell:
		for i, e := range x.Entries {
			lat, lng := x.At(i)
			m.h.OnPlayer(int64(e.Player), degrees(lat), degrees(lng), false)
		}
	case *protocol.Treasures:
		for _, t := range x.Treasures {
			m.h.OnTreasure(int64(t.Treasure), degrees(t.Lat), degrees(t.Lng), int64(t.Points), t.State == protocol.TreasureAvailable)
		}
	case *protocol.Hint:
		m.h.OnHint(int64(x.Band), float64(x.Bearing)/100)
	case *protocol.ClaimResult:
		m.h.OnClaimResult(int64(x.Request), int64(x.Treasure), int64(x.Outcome), int64(x.Points), int64(x.Score))
	case *protocol.Event:
		m.h.OnEvent(int64(x.Kind), int64(x.Hunt), int64(x.Treasure), int64(x.Player), degrees(x.Lat), degrees(x.Lng), int64(x.Time))
	case *protocol.HuntStatus:
		m.h.OnHuntStatus(int64(x.Hunt), int64(x.State), int64(x.Remaining), int64(x.Total), int64(x.Players), int64(x.Starts), int64(x.Ends))
		for i, l := range x.Leaders {
			m.h.OnLeader(int64(i+1), int64(l.Player), int64(l.Score))
		}
	case *protocol.ErrorMessage:
		m.h.OnError(int64(x.Code), string(x.Text))
	case *protocol.Redirect:
		m.h.OnRedirect(int64(x.Code), string(x.URL))
	case *protocol.Pong:
		m.h.OnPong(int64(x.Echo), int64(x.Time))
	case *protocol.CellSummary, *protocol.TickRate:
		if ch, ok := m.h.(MobileCrowdHandler); ok {
			crowd(ch, msg)
		}
	}
}

// crowd hands a CELL_SUMMARY or TICK_RATE to ch.
func crowd(ch MobileCrowdHandler, msg protocol.Message) {
	switch x := msg.(type) {
	case *protocol.CellSummary:
		ch.OnCellSummary(x.Cell.String(), int64(x.Count), degrees(x.Lat), degrees(x.Lng))
		for _, c := range x.Children {
			ch.OnCellSummaryChild(c.Cell.String(), int64(c.Count), degrees(c.Lat), degrees(c.Lng))
		}
	case *protocol.TickRate:
		ch.OnTickRate(int64(x.TickHz), int64(x.Reason))
	}
}

func degrees(e7 int32) float64 { return float64(e7) / 1e7 }
