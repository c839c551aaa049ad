package core

import (
	"errors"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// Errors the core closes sessions with. They carry their close code.
var (
	ErrUnknownSession  = errors.New("core: unknown session")
	errHelloRequired   = &protocol.Error{Code: protocol.CodeHelloRequired, Kind: "session", Msg: "HELLO must be the first message"}
	errHelloTwice      = &protocol.Error{Code: protocol.CodeBadMessage, Kind: "session", Msg: "HELLO sent twice"}
	errVersion         = &protocol.Error{Code: protocol.CodeUnsupportedVersion, Kind: "session", Msg: "unsupported protocol version"}
	errNoHunt          = &protocol.Error{Code: protocol.CodeWrongHunt, Kind: "session", Msg: "no such hunt on this edge"}
	errWrongDirection  = &protocol.Error{Code: protocol.CodeBadMessage, Kind: "session", Msg: "edge-to-client message sent by a client"}
	errInvalidPosition = &protocol.Error{Code: protocol.CodeInvalidPosition, Kind: "position", Msg: "position out of range or out of order"}
	errInaccurate      = &protocol.Error{Code: protocol.CodeInvalidPosition, Kind: "position", Msg: "position accuracy worse than the edge accepts"}
	errTooFast         = &protocol.Error{Code: protocol.CodeImpossibleSpeed, Kind: "position", Msg: "position implies an impossible speed"}
	errRateLimited     = &protocol.Error{Code: protocol.CodeRateLimited, Kind: "position", Msg: "too many positions; excess dropped"}
	errFlood           = &protocol.Error{Code: protocol.CodeRateLimited, Kind: "session", Msg: "too many messages; excess dropped"}
)

// Deliver hands the core one frame (one or more whole messages) that
// session id received. A non-nil error means the session is being closed:
// the transport should flush what Pull returns, then close with
// protocol.CodeOf(err).
func (c *Core) Deliver(id SessionID, frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.tab.get(id)
	if s == nil {
		return ErrUnknownSession
	}
	now := c.cfg.Now().UnixMicro() // one clock read for the frame's messages
	if len(frame) > 0 {            // activity (SPEC.md §2.3): a frame holds at least a message header
		c.touchLocked(s, now)
	}
	for len(frame) > 0 && s.state != stateClosed {
		t, body, rest, err := protocol.Split(frame)
		if err != nil {
			return c.failLocked(id, s, err)
		}
		frame = rest
		c.stats.MessagesIn[t]++
		if !c.takeMessageLocked(s, now) {
			c.stats.Drops[DropMessageFlood]++
			c.rejectLocked(id, s, errFlood)
			continue
		}
		if err := c.handleLocked(id, s, t, body, now); err != nil {
			if err == errRedirected { // closed already, after its REDIRECT
				return err
			}
			var pe *protocol.Error
			if errors.As(err, &pe) && !pe.Code.Fatal() {
				c.rejectLocked(id, s, pe)
				continue
			}
			return c.failLocked(id, s, err)
		}
	}
	return nil
}

// DeliverUnordered is Deliver for an unordered channel (WebTransport
// datagrams): a message that overtook the session's HELLO on the stream is
// dropped and counted instead of failing the session.
func (c *Core) DeliverUnordered(id SessionID, frame []byte) error {
	c.mu.Lock()
	s := c.tab.get(id)
	early := s != nil && s.state == stateHello
	if early {
		c.stats.Drops[DropBeforeHello]++
	}
	c.mu.Unlock()
	if early {
		return nil
	}
	return c.Deliver(id, frame)
}

// handleLocked handles one message received at now (µs).
func (c *Core) handleLocked(id SessionID, s *slot, t protocol.Type, body []byte, now int64) error {
	if s.state == stateHello && t != protocol.TypeHello {
		return errHelloRequired
	}
	switch t {
	case protocol.TypeHello:
		return c.helloLocked(id, s, body)
	case protocol.TypePosition:
		return c.positionLocked(id, s, body, now)
	case protocol.TypeClaim:
		return c.claimLocked(id, s, body, now)
	case protocol.TypePing:
		var m protocol.Ping
		if err := m.Decode(body); err != nil {
			return err
		}
		c.controlLocked(id, s, protocol.AppendPong(c.ctrlBuf(id), &protocol.Pong{Echo: m.Time, Time: c.nowMicro()}))
	case protocol.TypeBye:
		c.closeLocked(id, s, protocol.CodeNormal)
	case protocol.TypeToken:
		return c.tokenLocked(s, body)
	default:
		if t.FromEdge() {
			return errWrongDirection
		}
		// Unknown client types are skipped (SPEC.md §5).
	}
	return nil
}

func (c *Core) nowMicro() uint64 { return uint64(c.cfg.Now().UnixMicro()) }

func (c *Core) helloLocked(id SessionID, s *slot, body []byte) error {
	if s.state != stateHello {
		return errHelloTwice
	}
	var m protocol.Hello
	if err := m.Decode(body); err != nil {
		return err
	}
	if m.Version != protocol.Version {
		return errVersion
	}
	// A hunt this edge does not hold may be served elsewhere: with a
	// Router, the token is checked first and the player sent there.
	h, ok := c.cfg.Hunts.Hunt(m.Hunt)
	if !ok && c.cfg.Router == nil {
		return errNoHunt
	}
	claims, err := token.Verify(c.cfg.PublicKey, string(m.Token), m.Hunt, c.cfg.Now())
	if err != nil {
		return err
	}
	if c.cfg.Router != nil {
		if url := c.cfg.Router.Redirect(m.Hunt, claims.Player, c.webTransportLocked(s)); url != "" {
			return c.redirectLocked(id, s, url)
		}
	}
	if !ok {
		return errNoHunt
	}
	s.state, s.kind, s.hunt, s.player, s.res = stateActive, m.Kind, m.Hunt, claims.Player, uint8(h.Resolution)
	s.expires = c.expiryOf(claims)
	c.players.addLocked(s.hunt, 1)
	c.touchLocked(s, c.cfg.Now().UnixMicro())
	c.budgetLocked(s, h)
	c.seatLocked(id, s)
	b, ok := c.buckets[s.player]
	if !ok {
		now := c.cfg.Now().UnixMicro()
		b = bucket{tokens: c.cfg.PositionBurst, at: now, claims: c.cfg.ClaimBurst, claimAt: now}
	}
	b.sessions++
	c.buckets[s.player] = b
	c.controlLocked(id, s, protocol.AppendWelcome(c.ctrlBuf(id), &protocol.Welcome{
		Player: s.player, Hunt: s.hunt, Resolution: s.res, TickHz: uint8(c.tickHzAt(c.dilation)),
		Radius: uint8(c.cfg.Radius), Time: c.nowMicro(),
	}))
	return nil
}

// positionLocked is the hot path: it allocates nothing unless the player
// changes cell.
func (c *Core) positionLocked(id SessionID, s *slot, body []byte, now int64) error {
	var m protocol.Position
	if err := m.Decode(body); err != nil {
		return err
	}
	if !c.takeTokenLocked(s, now) {
		c.stats.Drops[DropRateLimited]++
		return errRateLimited
	}
	if m.Lat < -900000000 || m.Lat > 900000000 || m.Lng < -1800000000 || m.Lng > 1800000000 || (s.placed && m.Seq <= s.seq) {
		c.stats.Drops[DropInvalidPosition]++
		return errInvalidPosition
	}
	if float64(m.Accuracy)/10 > c.cfg.MaxAccuracy {
		c.stats.Drops[DropInvalidPosition]++
		return errInaccurate
	}
	p := geo.PointE7(m.Lat, m.Lng)
	if s.placed && c.tooFast(s, p, now, m.Accuracy) {
		c.stats.Drops[DropImpossibleSpeed]++
		return errTooFast
	}
	cell, err := geo.CellOf(p, int(s.res))
	if err != nil {
		return errInvalidPosition
	}
	s.lat, s.lng, s.seq, s.stamp, s.posAt = m.Lat, m.Lng, m.Seq, uint32(m.Time), now
	switch {
	case !s.placed:
		c.enterLocked(id, s, cell)
	case cell != s.cell && c.leftCell(s, p):
		c.moveLocked(id, s, cell)
	default:
		c.recordLocked(cellKey{s.hunt, s.cell}, s, opMoved)
	}
	if c.refines() {
		c.kidLocked(id.index(), s, c.cells[cellKey{s.hunt, s.cell}])
	}
	c.hintLocked(id, s, now)
	return nil
}

// takeTokenLocked takes a POSITION token from the bucket of s's player —
// shared by all the player's sessions, so more connections buy no more
// positions.
func (c *Core) takeTokenLocked(s *slot, now int64) bool {
	b := c.buckets[s.player]
	ok := take(&b.tokens, &b.at, now, c.cfg.PositionRate, c.cfg.PositionBurst)
	c.buckets[s.player] = b
	return ok
}

// takeClaimLocked takes a CLAIM token from the bucket of s's player, shared
// the same way.
func (c *Core) takeClaimLocked(s *slot, now int64) bool {
	b := c.buckets[s.player]
	ok := take(&b.claims, &b.claimAt, now, c.cfg.ClaimRate, c.cfg.ClaimBurst)
	c.buckets[s.player] = b
	return ok
}

// take refills a token bucket holding *tokens, last refilled at *at (µs),
// with rate tokens a second up to burst, and takes one if it can.
func take(tokens *float64, at *int64, now int64, rate, burst float64) bool {
	*tokens = min(burst, *tokens+float64(now-*at)/1e6*rate)
	*at = now
	if *tokens < 1 {
		return false
	}
	*tokens--
	return true
}

// takeMessageLocked takes a token from session s's message bucket: a flood
// of any message type (PINGs that ask for PONGs, CLAIMs, unknown types) is
// dropped beyond MessageRate, answered rate_limited at most once a second,
// so that it costs the edge neither work nor output.
func (c *Core) takeMessageLocked(s *slot, now int64) bool {
	return take(&s.msgTokens, &s.msgAt, now, c.cfg.MessageRate, c.cfg.MessageBurst)
}

// tooFast reports whether reaching p from the last position by now needs a
// speed above MaxSpeed, allowing for the fix's accuracy (at most
// MaxAccuracy, so a client cannot buy distance by claiming a vague fix) and
// 25 m of jitter.
func (c *Core) tooFast(s *slot, p geo.Point, now int64, accuracyDm uint16) bool {
	dt := float64(now-s.posAt) / 1e6
	allowed := c.cfg.MaxSpeed*max(dt, 0.5) + min(float64(accuracyDm)/10, c.cfg.MaxAccuracy) + 25
	return geo.Distance(geo.PointE7(s.lat, s.lng), p) > allowed
}

// leftCell applies hysteresis: a player leaves its cell only once it is
// clearly out of it, so jitter on a border does not flap.
func (c *Core) leftCell(s *slot, p geo.Point) bool {
	edge, err := geo.EdgeLength(int(s.res))
	if err != nil {
		return true
	}
	return geo.Distance(geo.PointE7(s.centLat, s.centLng), p) > c.cfg.Hysteresis*edge
}

func (c *Core) enterLocked(id SessionID, s *slot, cell geo.Cell) {
	s.placed, s.cell = true, cell
	if ctr, err := geo.CellCenter(cell); err == nil {
		s.centLat, s.centLng = ctr.E7()
	}
	k := cellKey{s.hunt, cell}
	cs := c.cellLocked(k)
	cs.players = append(cs.players, id.index())
	c.recordLocked(k, s, opEntered)
	c.watchLocked(s.hunt, cell, id.index(), true)
	c.sendTreasuresLocked(id, s)
}

func (c *Core) moveLocked(id SessionID, s *slot, cell geo.Cell) {
	old := cellKey{s.hunt, s.cell}
	c.recordLocked(old, s, opLeft)
	cs := c.cells[old]
	cs.players = removeIdx(cs.players, id.index())
	c.watchLocked(s.hunt, s.cell, id.index(), false)
	c.enterLocked(id, s, cell)
}

func (c *Core) claimLocked(id SessionID, s *slot, body []byte, now int64) error {
	var m protocol.Claim
	if err := m.Decode(body); err != nil {
		return err
	}
	res := protocol.ClaimResult{Request: m.Request, Treasure: m.Treasure}
	switch {
	case !c.takeClaimLocked(s, now):
		c.stats.Drops[DropClaimRateLimited]++
		res.Outcome = protocol.OutcomeRateLimited
	case m.Treasure == 0 || c.cfg.Treasures != nil && c.cfg.Treasures.NoSuchTreasure(s.hunt, m.Treasure):
		c.stats.Drops[DropClaimUnknownTreasure]++
		res.Outcome = protocol.OutcomeUnknown
	case c.claimedLocked(s, &m, &res):
	case c.cfg.Claims == nil:
		res.Outcome = protocol.OutcomeUnavailable
	case !s.placed:
		res.Outcome = protocol.OutcomeTooFar
	default:
		c.cfg.Claims.Submit(id, s.player, s.hunt, m.Request, m.Treasure, uint64(s.cell))
		return nil
	}
	c.controlLocked(id, s, protocol.AppendClaimResult(c.ctrlBuf(id), &res))
	return nil
}

// ClaimResult delivers the outcome of a claim submitted through Claims.
func (c *Core) ClaimResult(id SessionID, r protocol.ClaimResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.tab.get(id); s != nil && s.state == stateActive {
		c.controlLocked(id, s, protocol.AppendClaimResult(c.ctrlBuf(id), &r))
	}
}

// rejectLocked answers a non-fatal error with an ERROR message, at most one
// per second per session so that a flood of bad input costs little.
func (c *Core) rejectLocked(id SessionID, s *slot, pe *protocol.Error) {
	now := c.cfg.Now().UnixMicro()
	if now-s.errAt < int64(time.Second/time.Microsecond) {
		return
	}
	s.errAt = now
	c.controlLocked(id, s, protocol.AppendError(c.ctrlBuf(id), &protocol.ErrorMessage{Code: pe.Code, Text: protocol.Text(pe.Msg)}))
}

// failLocked sends a fatal ERROR and closes the session.
func (c *Core) failLocked(id SessionID, s *slot, err error) error {
	code := protocol.CodeOf(err)
	c.controlLocked(id, s, protocol.AppendError(c.ctrlBuf(id), &protocol.ErrorMessage{Code: code, Text: protocol.Text(err.Error())}))
	c.closeLocked(id, s, code)
	return err
}
