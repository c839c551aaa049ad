package core

import "github.com/veltrix/veltrix/protocol"

// Redirects (SPEC.md §2.2 REDIRECT): a HELLO for a hunt another region
// serves, or any HELLO while the edge drains to a sibling, is answered
// REDIRECT and the session closed with code redirect; RedirectAll and
// RedirectHunt move welcomed sessions the same way.

// errRedirected ends a session that was sent elsewhere. Its REDIRECT, which
// carries the code, is all the client gets: no ERROR follows it.
var errRedirected = &protocol.Error{Code: protocol.CodeRedirect, Kind: "session", Msg: "redirected"}

// Router says where players go instead of this edge. The edge implements it
// from its routing table and its drain state; the core calls it with its
// lock held, so it must not block or call the core.
type Router interface {
	// Redirect returns the URL a HELLO of player for hunt (over
	// WebTransport or not) is sent to instead of being served here; ""
	// serves it here.
	Redirect(hunt, player uint32, webTransport bool) string
}

// webTransport is implemented by a transport whose sessions are
// WebTransport sessions (their REDIRECT names a WebTransport URL).
type webTransport interface{ WebTransport() bool }

func (c *Core) webTransportLocked(s *slot) bool {
	w, ok := c.owners[s.owner].(webTransport)
	return ok && w.WebTransport()
}

// redirectLocked sends session id to url and closes it (code redirect).
func (c *Core) redirectLocked(id SessionID, s *slot, url string) error {
	c.controlLocked(id, s, protocol.AppendRedirect(c.ctrlBuf(id), &protocol.Redirect{Code: protocol.CodeRedirect, URL: protocol.Text(url)}))
	c.closeLocked(id, s, protocol.CodeRedirect)
	return errRedirected
}

// RedirectAll sends every welcomed session where the Router says (a
// draining edge: its sibling) and closes it, code redirect; sessions the
// Router keeps ("") stay. It returns how many it sent away.
func (c *Core) RedirectAll() int { return c.redirect(0) }

// RedirectHunt is RedirectAll for the sessions of one hunt (its home moved
// to another region).
func (c *Core) RedirectHunt(hunt uint32) int { return c.redirect(hunt) }

// redirect asks the Router about every welcomed session of hunt (0: all).
func (c *Core) redirect(hunt uint32) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.Router == nil {
		return 0
	}
	n := 0
	for i := range c.tab.slots {
		s := &c.tab.slots[i]
		if s.state != stateActive || (hunt != 0 && s.hunt != hunt) {
			continue
		}
		if url := c.cfg.Router.Redirect(s.hunt, s.player, c.webTransportLocked(s)); url != "" {
			_ = c.redirectLocked(makeID(uint32(i), s.gen), s, url)
			n++
		}
	}
	return n
}
