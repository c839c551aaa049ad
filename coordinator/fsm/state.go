package fsm

import (
	"github.com/veltrix/veltrix/geo"
)

// HuntState is where a hunt is in its life. The numbers match the wire
// protocol's HUNT_STATUS states.
type HuntState uint8

// Hunt states.
const (
	Scheduled HuntState = 1
	Active    HuntState = 2
	Ended     HuntState = 3
)

func (s HuntState) String() string {
	switch s {
	case Scheduled:
		return "scheduled"
	case Active:
		return "active"
	case Ended:
		return "ended"
	}
	return "unknown"
}

// Respawn policies: what happens to a treasure's place once it is claimed.
const (
	RespawnNone  = "none"  // the hunt runs until its treasures are gone
	RespawnAfter = "claim" // a claimed treasure is replaced by a new one elsewhere
)

// HuntSpec is what an operator says when creating a hunt.
type HuntSpec struct {
	Name        string      `json:"name"`
	Area        geo.Polygon `json:"area"`
	Resolution  int         `json:"resolution"`
	Starts      int64       `json:"starts,omitempty"` // µs since the Unix epoch; 0 = on demand
	Ends        int64       `json:"ends,omitempty"`   // µs since the Unix epoch; 0 = on demand
	Treasures   int         `json:"treasures"`
	MinSpacing  int         `json:"min_spacing"`  // grid distance between treasures
	ClaimRadius int         `json:"claim_radius"` // grid distance from player to treasure
	Points      uint16      `json:"points"`       // awarded per treasure; 0 = 100
	Respawn     string      `json:"respawn"`      // RespawnNone or RespawnAfter
}

// Hunt is a hunt and everything it owns.
type Hunt struct {
	ID        uint32              `json:"id"`
	Spec      HuntSpec            `json:"spec"`
	State     HuntState           `json:"state"`
	Started   int64               `json:"started,omitempty"`
	Ended     int64               `json:"ended,omitempty"`
	Treasures map[uint32]Treasure `json:"treasures"`
	Remaining int                 `json:"remaining"` // unclaimed treasures
	Scores    map[uint32]uint32   `json:"scores"`    // player → score
	Leaders   []Leader            `json:"leaders"`   // top MaxLeaders, best first
	// LegacyClaims is read from states written before State.Claims (an
	// outcome per "edge/request" key) and moved there on restore.
	LegacyClaims map[string]Outcome `json:"claims,omitempty"`
}

// Treasure is one placed treasure. Its position lies inside its cell.
type Treasure struct {
	ID        uint32 `json:"id"`
	Cell      uint64 `json:"cell"`
	Lat       int32  `json:"lat"` // degrees × 1e7
	Lng       int32  `json:"lng"`
	Points    uint16 `json:"points"`
	ClaimedBy uint32 `json:"claimed_by,omitempty"`
	ClaimedAt int64  `json:"claimed_at,omitempty"`
}

// Claimed reports whether t has been won.
func (t Treasure) Claimed() bool { return t.ClaimedAt != 0 }

// Leader is one leaderboard row.
type Leader struct {
	Player uint32 `json:"player"`
	Score  uint32 `json:"score"`
}

// MaxLeaders is the length of a hunt's leaderboard.
const MaxLeaders = 10

// Edge is a registered edge node.
type Edge struct {
	ID     string   `json:"id"`
	Region string   `json:"region"`
	URLs   []string `json:"urls"`
	Since  int64    `json:"since"`
	// Instance is new at every start of the edge process: the coordinator
	// refuses a second live edge under one id by it.
	Instance string `json:"instance,omitempty"`
}

// State is the whole replicated state. It is only touched by the FSM's
// Apply (one goroutine at a time, under the FSM's lock).
type State struct {
	Applied      uint64            `json:"applied"` // index of the last applied command
	NextHunt     uint32            `json:"next_hunt"`
	NextTreasure uint32            `json:"next_treasure"`
	Hunts        map[uint32]*Hunt  `json:"hunts"`
	Edges        map[string]Edge   `json:"edges"`
	Nodes        map[string]string `json:"nodes"` // raft server id → HTTP API address
	Events       EventLog          `json:"events"`
	Claims       ClaimLog          `json:"claims"` // recent outcomes, for retries
}

func newState() *State {
	return &State{
		NextHunt: 1, NextTreasure: 1,
		Hunts: map[uint32]*Hunt{}, Edges: map[string]Edge{}, Nodes: map[string]string{},
		Events: EventLog{Cap: DefaultEventCap}, Claims: newClaimLog(),
	}
}
