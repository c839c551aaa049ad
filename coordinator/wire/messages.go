package wire

import (
	"time"

	"github.com/veltrix/veltrix/geo"
)

// StreamMessage is one line of the edge event stream, GET
// /v1/edge/events?from=INDEX[&region=NAME] (newline-delimited JSON). Type
// is "snapshot" (Index, Hunts, Edges set), "event" (Event set; Hunts too
// for a hunt's creation, and for a move of its home into the stream's
// region) or "heartbeat" (Index set).
//
// With region, the stream carries only the hunts homed there or nowhere
// (Home ""): the others' events are left out, and a snapshot names their
// homes in Homes instead, so that the edge can redirect their players.
// Moves of a home (EventHuntHomed) are always sent.
type StreamMessage struct {
	Type  string            `json:"type"`
	Index uint64            `json:"index,omitempty"`
	Hunts []HuntDetail      `json:"hunts,omitempty"`
	Edges []Edge            `json:"edges,omitempty"`
	Event *Event            `json:"event,omitempty"`
	Homes map[uint32]string `json:"homes,omitempty"` // hunt → home region of the hunts a region's stream leaves out
}

// HuntSummary is a hunt without its treasures (GET /v1/hunts lists them).
type HuntSummary struct {
	ID          uint32   `json:"id"`
	Spec        HuntSpec `json:"spec"`
	State       string   `json:"state"` // HuntState.String()
	Total       int      `json:"treasures_total"`
	Remaining   int      `json:"treasures_remaining"`
	Leaderboard []Leader `json:"leaderboard"`
	Home        string   `json:"home,omitempty"` // the region that serves it ("": any)
}

// HomeRequest is the body of PUT /v1/hunts/{id}/home: the region whose
// edges serve the hunt ("" serves it in any region).
type HomeRequest struct {
	Region string `json:"region"`
}

// HuntDetail is a hunt with its treasures (GET /v1/hunts/{id}).
type HuntDetail struct {
	HuntSummary
	Treasures []Treasure `json:"treasures"`
}

// HuntStatus is the body of GET /v1/hunts/{id}/status (and of an edge's
// status page, answered from its replica).
type HuntStatus struct {
	Hunt          uint32   `json:"hunt"`
	Name          string   `json:"name"`
	State         string   `json:"state"`
	Total         int      `json:"treasures_total"`
	Remaining     int      `json:"treasures_remaining"`
	Leaderboard   []Leader `json:"leaderboard"`
	PlayersOnline int      `json:"players_online"`
	Starts        int64    `json:"starts,omitempty"` // µs since the Unix epoch
	Ends          int64    `json:"ends,omitempty"`
	// How this answer was read: Consistent answers are linearizable (read on
	// the leader after a barrier); others come from this node's replica, which
	// may lag the leader by up to StalenessMS.
	Node         string `json:"node"`
	AppliedIndex uint64 `json:"applied_index"`
	Consistent   bool   `json:"consistent"`
	StalenessMS  int64  `json:"staleness_ms"`
}

// ClaimsRequest is the body of POST /v1/edge/claims.
type ClaimsRequest struct {
	Claims []Claim `json:"claims"`
}

// ClaimsResponse answers it, one outcome per claim in order.
type ClaimsResponse struct {
	Outcomes []Outcome `json:"outcomes"`
}

// MaxClaimsPerRequest bounds one claims request.
const MaxClaimsPerRequest = 4096

// LoadReport is the body of POST /v1/edge/load: the players online per hunt
// from the registered instance of an edge. Leaving (an edge shutting down)
// ends the instance's liveness at once, so that its successor registers
// without waiting for the load TTL.
type LoadReport struct {
	Edge     string         `json:"edge"`
	Instance string         `json:"instance"`
	Hunts    map[uint32]int `json:"hunts"`
	Leaving  bool           `json:"leaving,omitempty"`
	// Stats is what the operators' live view shows of the edge. Optional:
	// coordinators that predate it ignore it, and reports without it
	// (older edges) still count.
	Stats *EdgeStats `json:"stats,omitempty"`
}

// MaxHuntsPerReport bounds the hunts of one load report.
const MaxHuntsPerReport = 1024

// EdgeStats is an edge's activity in a load report: its connections, its
// last fan-out tick, its drops and closes since it started, and its players
// per cell (the busiest cells first, at most MaxCellsPerReport).
type EdgeStats struct {
	Connections map[string]int    `json:"connections,omitempty"` // open connections by transport
	TickMS      float64           `json:"tick_ms"`               // duration of the last fan-out tick
	Drops       map[string]uint64 `json:"drops,omitempty"`       // by reason
	Closes      map[string]uint64 `json:"closes,omitempty"`      // by close code name
	Cells       []CellLoad        `json:"cells,omitempty"`
}

// CellLoad is the players of one hunt in one H3 cell (at the hunt's
// resolution). Cell is the cell's index in hexadecimal: JSON numbers cannot
// hold 64 bits exactly.
type CellLoad struct {
	Hunt    uint32 `json:"hunt"`
	Cell    string `json:"cell"`
	Players int    `json:"players"`
}

// Bounds of EdgeStats: cells per report, and keys per map (reasons,
// transports and code names are short words).
const (
	MaxCellsPerReport = 4096
	MaxStatKeys       = 64
	MaxStatKeyLen     = 64
)

// Identity answers GET /v1/edge/whoami: the edge id the caller's credential
// is bound to ("" for the shared edge token and the admin token), or for a
// group credential the prefix its ids must have.
type Identity struct {
	Edge   string `json:"edge,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Admin  bool   `json:"admin,omitempty"` // the caller used the admin token
}

// HuntRequest is the body of POST /v1/hunts. Area vertices are [lat, lng]
// pairs in degrees; times are RFC 3339.
type HuntRequest struct {
	Name        string      `json:"name"`
	Area        AreaRequest `json:"area"`
	Resolution  int         `json:"resolution"`
	Starts      *time.Time  `json:"starts,omitempty"`
	Ends        *time.Time  `json:"ends,omitempty"`
	Treasures   int         `json:"treasures"`
	MinSpacing  int         `json:"min_spacing"`
	ClaimRadius int         `json:"claim_radius"`
	Points      uint16      `json:"points,omitempty"`
	Respawn     string      `json:"respawn,omitempty"`
	// PositionBudget: CELL_UPDATE bytes per second per player; 0 or
	// absent: each edge's own.
	PositionBudget int `json:"position_budget,omitempty"`
}

// AreaRequest is a polygon: an outer ring and optional holes.
type AreaRequest struct {
	Outer [][2]float64   `json:"outer"`
	Holes [][][2]float64 `json:"holes,omitempty"`
}

func ring(pts [][2]float64) []geo.Point {
	out := make([]geo.Point, len(pts))
	for i, p := range pts {
		out[i] = geo.Point{Lat: p[0], Lng: p[1]}
	}
	return out
}

// Spec converts the request into the state machine's spec.
func (h *HuntRequest) Spec() HuntSpec {
	s := HuntSpec{
		Name: h.Name, Area: geo.Polygon{Outer: ring(h.Area.Outer)}, Resolution: h.Resolution,
		Treasures: h.Treasures, MinSpacing: h.MinSpacing, ClaimRadius: h.ClaimRadius,
		Points: h.Points, Respawn: h.Respawn, PositionBudget: h.PositionBudget,
	}
	for _, hole := range h.Area.Holes {
		s.Area.Holes = append(s.Area.Holes, ring(hole))
	}
	if h.Starts != nil {
		s.Starts = h.Starts.UnixMicro()
	}
	if h.Ends != nil {
		s.Ends = h.Ends.UnixMicro()
	}
	return s
}

// HuntCreated answers POST /v1/hunts.
type HuntCreated struct {
	Hunt uint32 `json:"hunt"`
}

// TokenRequest is the body of POST /v1/tokens (development).
type TokenRequest struct {
	Player     uint32 `json:"player"`
	Hunt       uint32 `json:"hunt"`
	Name       string `json:"name,omitempty"`
	TTLSeconds int    `json:"ttl_seconds,omitempty"` // default 3600
}

// TokenResponse answers it.
type TokenResponse struct {
	Token string `json:"token"`
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}
