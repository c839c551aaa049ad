package core

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// HuntInfo is what the core needs to know of a hunt.
type HuntInfo struct {
	ID         uint32
	Resolution int  // H3 resolution players are bucketed at
	Active     bool // claims are accepted only while active
	// PositionBudget is the hunt's CELL_UPDATE bytes per second per
	// connection; 0: the edge's Config.PositionBudget.
	PositionBudget int
}

// Hunts looks hunts up; the edge's replica of coordinator state implements it.
type Hunts interface {
	Hunt(id uint32) (HuntInfo, bool)
}

// Claims receives the claims players make. Submit must not block: the result
// comes back later through Core.ClaimResult.
type Claims interface {
	Submit(id SessionID, player, hunt uint32, request, treasure uint32, cell uint64)
}

// Treasures answers what players should see of a hunt's treasures; the
// edge's replica implements it. The core calls it with its lock held.
type Treasures interface {
	// TreasuresIn appends the unclaimed treasures lying in cells to dst.
	TreasuresIn(hunt uint32, cells []geo.Cell, dst []protocol.TreasureEntry) []protocol.TreasureEntry
	// Hint is the hot/cold hint from a position to the nearest unclaimed treasure.
	Hint(hunt uint32, lat, lng int32) (protocol.Hint, bool)
	// NoSuchTreasure reports that hunt certainly has no treasure id, so a
	// claim of it is answered at once, without a coordinator trip. It
	// answers false when unsure (a treasure may be newer than the replica).
	NoSuchTreasure(hunt, id uint32) bool
	// ClaimedByOther reports that hunt is active and its treasure id was
	// won by another player than player, with player's score: a claim of
	// it is answered "already claimed" at once, without a coordinator
	// trip. It answers false when unsure.
	ClaimedByOther(hunt, id, player uint32) (score uint32, ok bool)
}

// Notifier is the transport side of the core. The core calls only the
// session's owner (the Notifier whose Owner was given to Open), passing back
// the handle given to Open, with its lock held: implementations must not
// block or call back into the core.
type Notifier interface {
	// Ready says session id has output waiting; the transport calls Pull.
	Ready(id SessionID, handle uint64)
	// Hangup asks the transport to close session id with code after
	// flushing what Pull still returns.
	Hangup(id SessionID, handle uint64, code protocol.Code)
}

// Config configures a Core. Zero values mean defaults.
type Config struct {
	PublicKey ed25519.PublicKey // verifies HELLO tokens; required
	Hunts     Hunts             // required
	Claims    Claims            // nil: claims are answered "unavailable"
	Treasures Treasures         // nil: no TREASURES or HINTs are sent
	Router    Router            // nil: every HELLO is served here

	TickHz        int     // fan-out ticks per second; default 10
	Radius        int     // interest radius k (grid disk); default 1
	MaxSpeed      float64 // m/s above which a POSITION is a teleport; default 60
	MaxAccuracy   float64 // metres: a POSITION with a larger accuracy radius is rejected invalid_position; default 500
	PositionRate  float64 // POSITIONs per second per player; default 5
	PositionBurst float64 // token bucket depth; default 10
	ClaimRate     float64 // CLAIMs per second per player; default 2
	ClaimBurst    float64 // claim token bucket depth; default 10
	MessageRate   float64 // messages of any type per second per session; default 50
	MessageBurst  float64 // its token bucket depth; default 100
	SlowTicks     int     // consecutive ticks with drops before closing too_slow; default 30
	SnapshotEvery int     // ticks between full snapshots of a watched cell; default 50
	MaxControl    int     // bytes of undelivered control messages before too_slow; default 256 KiB
	Hysteresis    float64 // leave a cell only this far (× edge length) from its centre; default 1.1
	// PositionBudget is the CELL_UPDATE bytes per second a connection may
	// be sent (budget.go), unless its hunt sets one; default 8 KiB/s, at
	// least MinPositionBudget.
	PositionBudget int
	// Crowd mode (crowd.go): a cell with more than CrowdPlayers players
	// in its interest area (default 481) sends at most CrowdEntries of
	// them a tick (default 16)
	// to its own watchers, the same every RingEvery ticks to the ring
	// (default 5) and a CELL_SUMMARY every SummaryEvery ticks (default 10).
	CrowdPlayers, CrowdEntries, RingEvery, SummaryEvery int
	// Refinement (refine.go): players in and around crowded cells are
	// bucketed Refine resolutions finer (default 3; negative: off), and
	// each in a crowded cell hears in full, once a second, the fine cells
	// that hold every player within ChildReach metres of it (default 50).
	Refine     int
	ChildReach float64
	// Tick dilation (dilate.go): a tick longer than DilateShare of its
	// period (default 0.5) for DilateAfter ticks in a row (default 3)
	// slows the rate a step; RecoverAfter quick ticks (default 20) speed
	// it back up.
	DilateShare               float64
	DilateAfter, RecoverAfter int
	// IdleTimeout closes (ERROR idle) a welcomed session that sent no
	// message for this long (SPEC.md §2.3); default 60s.
	IdleTimeout time.Duration
	// TokenGrace is how long past its token's expiry a session lives
	// without a TOKEN refresh before ERROR token_expired closes it
	// (SPEC.md §2.3); default 10s.
	TokenGrace time.Duration
	Now        func() time.Time

	// Peers shares this edge's cells with the other edges of its region
	// (edge/region, SPEC.md §2.5); nil: a lone edge.
	Peers Peers
	// Origin names this edge's players to the region's other edges: a
	// non-zero number no sibling uses (edge/region picks one at random).
	// Required with Peers; every CELL_UPDATE then carries it.
	Origin uint32
	// RemoteTTL: another edge's players leave this edge's view when
	// nothing (a frame or a heartbeat, Core.Alive) came from that edge for
	// this long; default 3s.
	RemoteTTL time.Duration
	// RemoteInbox bounds the bytes of other edges' frames waiting for the
	// next tick (Core.Remote); beyond it they are dropped and counted;
	// default 4 MiB.
	RemoteInbox int
}

// Peers is the region seen from the core: the other edges that share its
// cells. The core calls it with its lock held, so neither method may block
// or call back into the core.
type Peers interface {
	// Publish hands over one tick's CELL_UPDATEs of this edge's own players
	// in (hunt, cell): whole messages back to back, valid only during the
	// call (copy them). originSnapshot says they are the series that lists
	// all of them, encoded as a whole-cell snapshot for local watchers:
	// rewrite the copy with protocol.AsOriginSnapshot before sending it on.
	Publish(hunt uint32, cell uint64, frames []byte, originSnapshot bool)
	// Watch says that this edge's players began (on) or ceased watching
	// (hunt, cell): the first watcher arrived or the last one left.
	Watch(hunt uint32, cell uint64, on bool)
}

// Validate says what is wrong with c, in words: every problem at once.
// Zero values are defaults; negative ones are errors.
func (c *Config) Validate() error {
	var errs []error
	if len(c.PublicKey) != ed25519.PublicKeySize {
		errs = append(errs, errors.New("an Ed25519 public key is required to verify tokens"))
	}
	if c.Hunts == nil {
		errs = append(errs, errors.New("a hunt source is required"))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"tick rate", float64(c.TickHz)}, {"radius", float64(c.Radius)}, {"maximum speed", c.MaxSpeed},
		{"maximum accuracy", c.MaxAccuracy}, {"position rate", c.PositionRate}, {"position burst", c.PositionBurst},
		{"claim rate", c.ClaimRate}, {"claim burst", c.ClaimBurst}, {"message rate", c.MessageRate},
		{"message burst", c.MessageBurst}, {"slow ticks", float64(c.SlowTicks)}, {"snapshot period", float64(c.SnapshotEvery)},
		{"control bytes limit", float64(c.MaxControl)}, {"hysteresis", c.Hysteresis}, {"position budget", float64(c.PositionBudget)},
		{"crowd players", float64(c.CrowdPlayers)}, {"crowd entries", float64(c.CrowdEntries)}, {"ring period", float64(c.RingEvery)},
		{"summary period", float64(c.SummaryEvery)}, {"dilation share", c.DilateShare}, {"dilation ticks", float64(c.DilateAfter)},
		{"recovery ticks", float64(c.RecoverAfter)},
		{"idle timeout", c.IdleTimeout.Seconds()}, {"token grace", c.TokenGrace.Seconds()},
		{"remote TTL", c.RemoteTTL.Seconds()}, {"remote inbox", float64(c.RemoteInbox)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", f.name, f.v))
		}
	}
	if c.Hysteresis != 0 && c.Hysteresis < 1 {
		errs = append(errs, fmt.Errorf("hysteresis %v is below 1 (a player would leave a cell while inside it)", c.Hysteresis))
	}
	if c.Peers != nil && c.Origin == 0 {
		errs = append(errs, errors.New("an edge sharing cells with peers needs a non-zero origin"))
	}
	if c.DilateShare > 1 {
		errs = append(errs, fmt.Errorf("dilation share %v is above 1 (a tick could take its whole period)", c.DilateShare))
	}
	if c.CrowdEntries > protocol.MaxDatagramCellEntries*4/5 {
		errs = append(errs, fmt.Errorf("crowd entries %d: at most %d (with a quarter more for players leaving, a sample fits a datagram)",
			c.CrowdEntries, protocol.MaxDatagramCellEntries*4/5))
	}
	if c.Refine > 6 || c.ChildReach > 500 {
		errs = append(errs, fmt.Errorf("refinement %d resolutions, reach %v m: at most 6 and 500", c.Refine, c.ChildReach))
	}
	if c.PositionBudget > 0 && c.PositionBudget < MinPositionBudget {
		errs = append(errs, fmt.Errorf("position budget %d B/s is below %d B/s (a player could not follow its own cell)", c.PositionBudget, MinPositionBudget))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("core: %w", err)
	}
	return nil
}

func (c *Config) withDefaults() Config {
	d := *c
	setInt := func(v *int, x int) {
		if *v <= 0 {
			*v = x
		}
	}
	setF := func(v *float64, x float64) {
		if *v <= 0 {
			*v = x
		}
	}
	setInt(&d.TickHz, DefaultTickHz)
	setInt(&d.Radius, DefaultRadius)
	setInt(&d.SlowTicks, DefaultSlowTicks)
	setInt(&d.SnapshotEvery, DefaultSnapshotEvery)
	setInt(&d.MaxControl, DefaultMaxControl)
	setInt(&d.PositionBudget, DefaultPositionBudget)
	setInt(&d.CrowdPlayers, DefaultCrowdPlayers)
	setInt(&d.CrowdEntries, DefaultCrowdEntries)
	setInt(&d.RingEvery, DefaultRingEvery)
	setInt(&d.SummaryEvery, DefaultSummaryEvery)
	setF(&d.ChildReach, DefaultChildReach)
	if d.Refine == 0 {
		d.Refine = DefaultRefine
	}
	setInt(&d.DilateAfter, DefaultDilateAfter)
	setInt(&d.RecoverAfter, DefaultRecoverAfter)
	setF(&d.DilateShare, DefaultDilateShare)
	setF(&d.MaxSpeed, DefaultMaxSpeed)
	setF(&d.MaxAccuracy, DefaultMaxAccuracy)
	setF(&d.PositionRate, DefaultPositionRate)
	setF(&d.PositionBurst, DefaultPositionBurst)
	setF(&d.ClaimRate, DefaultClaimRate)
	setF(&d.ClaimBurst, DefaultClaimBurst)
	setF(&d.MessageRate, DefaultMessageRate)
	setF(&d.MessageBurst, DefaultMessageBurst)
	setF(&d.Hysteresis, DefaultHysteresis)
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = DefaultIdleTimeout
	}
	if d.TokenGrace <= 0 {
		d.TokenGrace = DefaultTokenGrace
	}
	if d.RemoteTTL <= 0 {
		d.RemoteTTL = DefaultRemoteTTL
	}
	setInt(&d.RemoteInbox, DefaultRemoteInbox)
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}
