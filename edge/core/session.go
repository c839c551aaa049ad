package core

import (
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// Session lifetime (SPEC.md §2.3): a token refreshed by TOKEN, an expiry and
// an idle limit checked on the tick (no timer per session), and one session
// per player and hunt (the newest wins).

var (
	errOtherPlayer = &protocol.Error{Code: protocol.CodeUnauthorized, Kind: "session", Msg: "TOKEN names another player than the session's"}
	errExpired     = &protocol.Error{Code: protocol.CodeTokenExpired, Kind: "session", Msg: "token expired without a TOKEN refresh"}
	errIdle        = &protocol.Error{Code: protocol.CodeIdle, Kind: "session", Msg: "no message within the idle limit (send PING to keep a session open)"}
	errReplaced    = &protocol.Error{Code: protocol.CodeReplaced, Kind: "session", Msg: "a newer connection of this player replaced this one"}
)

// seatKey names a player in a hunt: it holds at most one welcomed session.
type seatKey struct{ hunt, player uint32 }

// expiryOf is when a session holding the token that carried claims must
// end: the token's expiry plus the grace (for clock skew and a refresh in
// flight).
func (c *Core) expiryOf(claims *token.Claims) int64 {
	return claims.ExpiresAt.UnixMicro() + c.cfg.TokenGrace.Microseconds()
}

// tokenLocked handles TOKEN: a fresh token for the same player and hunt
// moves the session's expiry; anything else is fatal, as at HELLO.
func (c *Core) tokenLocked(s *slot, body []byte) error {
	var m protocol.Token
	if err := m.Decode(body); err != nil {
		return err
	}
	claims, err := token.Verify(c.cfg.PublicKey, string(m.Token), s.hunt, c.cfg.Now())
	if err != nil {
		return err
	}
	if claims.Player != s.player {
		return errOtherPlayer
	}
	s.expires = c.expiryOf(claims)
	c.touchLocked(s, c.cfg.Now().UnixMicro())
	c.stats.TokensRefreshed++
	return nil
}

// seatLocked makes welcomed session id the player's only one in its hunt:
// an older session of the same player and hunt is sent ERROR replaced and
// closed.
func (c *Core) seatLocked(id SessionID, s *slot) {
	k := seatKey{s.hunt, s.player}
	if old, ok := c.seats[k]; ok && old != id {
		if prev := c.tab.get(old); prev != nil && prev.state == stateActive {
			// Out of its cell now, before the new session's first
			// POSITION: watchers see "left" before "entered", never after.
			c.unplaceLocked(old, prev)
			_ = c.failLocked(old, prev, errReplaced)
		}
	}
	c.seats[k] = id
}

// unseatLocked forgets closing session id as its player's session.
func (c *Core) unseatLocked(id SessionID, s *slot) {
	k := seatKey{s.hunt, s.player}
	if c.seats[k] == id {
		delete(c.seats, k)
	}
}

// touchLocked records a frame received at now: the session's deadline is
// its token's expiry or now + IdleTimeout, whichever comes first. Keeping
// the one deadline makes the tick's check a single comparison.
func (c *Core) touchLocked(s *slot, now int64) {
	s.deadline = min(s.expires, now+c.cfg.IdleTimeout.Microseconds())
}

// expireLocked closes a welcomed session whose deadline (now >=
// s.deadline) has come, ERROR first: token_expired when its token expired
// (past the grace), idle when it sent nothing for IdleTimeout.
func (c *Core) expireLocked(id SessionID, s *slot, now int64) {
	if now >= s.expires {
		_ = c.failLocked(id, s, errExpired)
		return
	}
	_ = c.failLocked(id, s, errIdle)
}
