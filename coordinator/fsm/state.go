package fsm

import "github.com/veltrix/veltrix/coordinator/wire"

// Most records below are defined by coordinator/wire, the edge↔coordinator
// contract, so that a value has one JSON form in the log, in snapshots and
// on the wire.

// HuntState is where a hunt is in its life (wire.HuntState).
type HuntState = wire.HuntState

// Hunt states.
const (
	Scheduled = wire.Scheduled
	Active    = wire.Active
	Ended     = wire.Ended
)

// Respawn policies: what happens to a treasure's place once it is claimed.
const (
	RespawnNone  = wire.RespawnNone
	RespawnAfter = wire.RespawnAfter
)

// HuntSpec is what an operator says when creating a hunt: the fields of
// wire.HuntSpec (so each converts to the other and both encode alike), in
// a type of the state machine's own, which validates and places.
type HuntSpec wire.HuntSpec

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
	// Home is the region whose edges serve the hunt ("": any region; set
	// by SetHome, absent from states written before it).
	Home string `json:"home,omitempty"`
	// LegacyClaims is read from states written before State.Claims (an
	// outcome per "edge/request" key) and moved there on restore.
	LegacyClaims map[string]Outcome `json:"claims,omitempty"`
}

// Treasure is one placed treasure (wire.Treasure).
type Treasure = wire.Treasure

// Leader is one leaderboard row (wire.Leader).
type Leader = wire.Leader

// MaxLeaders is the length of a hunt's leaderboard.
const MaxLeaders = wire.MaxLeaders

// Edge is a registered edge node (wire.Edge).
type Edge = wire.Edge

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
