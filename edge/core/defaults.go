package core

import (
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// Defaults of Config, named once: withDefaults applies them, and the edge's
// flags (cmd/veltrix-edge) and edge.Config read them.
const (
	DefaultTickHz        = 10        // fan-out ticks per second
	DefaultRadius        = 1         // interest radius k (grid disk)
	DefaultMaxSpeed      = 60.0      // m/s
	DefaultMaxAccuracy   = 500.0     // metres
	DefaultPositionRate  = 5.0       // POSITIONs per second per player
	DefaultPositionBurst = 10.0      // POSITION bucket depth
	DefaultClaimRate     = 2.0       // CLAIMs per second per player
	DefaultClaimBurst    = 10.0      // CLAIM bucket depth
	DefaultMessageRate   = 50.0      // messages per second per session
	DefaultMessageBurst  = 100.0     // message bucket depth
	DefaultSlowTicks     = 30        // consecutive ticks with drops before too_slow (SPEC.md §4)
	DefaultSnapshotEvery = 50        // ticks between full snapshots of a watched cell
	DefaultMaxControl    = 256 << 10 // bytes of undelivered control messages before too_slow
	DefaultHysteresis    = 1.1       // × edge length from a cell's centre before leaving it
	// DefaultPositionBudget is the CELL_UPDATE bytes per second a
	// connection may be sent (budget.go); a hunt may set its own.
	DefaultPositionBudget = 8 << 10
	// MinPositionBudget is the smallest budget an edge or a hunt may set:
	// below it a player could not follow its own cell.
	MinPositionBudget = 1 << 10

	// DefaultCrowdPlayers: a cell is crowded when more players than this
	// stand in its interest area — every one's position a second would
	// take the whole default budget (8,192 / 17 bytes an entry).
	DefaultCrowdPlayers = DefaultPositionBudget / protocol.CellEntrySize
	DefaultRefine       = 3    // kids (refine.go) are this many resolutions finer than the hunt's cells
	DefaultChildReach   = 50.0 // m: a refined player hears every player this close once a second
	DefaultCrowdEntries = 16   // a crowded cell's players listed per tick
	DefaultRingEvery    = 5    // ticks between a crowded cell's samples for the ring around it
	DefaultSummaryEvery = 10   // ticks between a crowded cell's CELL_SUMMARYs

	DefaultDilateShare  = 0.5 // of its period a tick may take before the rate drops (dilate.go)
	DefaultDilateAfter  = 3   // ticks over it in a row
	DefaultRecoverAfter = 20  // quick ticks in a row before the rate rises again

	DefaultIdleTimeout = 60 * time.Second // without a message: ERROR idle (SPEC.md §2.3)
	DefaultTokenGrace  = 10 * time.Second // past a token's expiry (SPEC.md §2.3)

	// DefaultRemoteTTL is how long another edge of the region may stay
	// silent (no frame, no heartbeat) before its players leave this edge's
	// view; edge/region sends a heartbeat every second.
	DefaultRemoteTTL   = 3 * time.Second
	DefaultRemoteInbox = 4 << 20 // bytes of other edges' frames waiting for a tick
)

// Defaults the transports (edge/wsnet, edge/ringnet, edge/wtnet) share.
const (
	// DefaultHelloTimeout is the time from a connection to its HELLO
	// (SPEC.md §2.3: closed hello_required after it).
	DefaultHelloTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds one write to a client; a client that does
	// not read for longer is closed too_slow (SPEC.md §4).
	DefaultWriteTimeout = 10 * time.Second
	// DefaultConnIdleTimeout is the WebSocket transports' backstop: a
	// connection without any frame (pings included) for this long is
	// closed idle. It is longer than DefaultIdleTimeout, which the core
	// enforces first with an ERROR.
	DefaultConnIdleTimeout = 90 * time.Second
	// DefaultMaxBacklog is how many bytes a WebSocket client may leave
	// unacknowledged in its socket before output waits in the core.
	DefaultMaxBacklog = 256 << 10
	// DefaultCloseLinger bounds how long a closed WebSocket connection keeps
	// draining input so the client reads the final ERROR and close frame.
	DefaultCloseLinger = time.Second
)
