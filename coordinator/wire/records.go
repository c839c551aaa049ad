package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/veltrix/veltrix/geo"
)

// HuntState is where a hunt is in its life. The numbers match the wire
// protocol's HUNT_STATUS states; the API spells them with String.
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
	// PositionBudget is the CELL_UPDATE bytes per second an edge may send
	// each player of the hunt; 0: the edge's own (8 KiB/s by default).
	PositionBudget int `json:"position_budget,omitempty"`
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

// UpdateLeaders records that player now has score (scores only grow) in a
// leaderboard of at most MaxLeaders rows, best first, ties by player id.
// The coordinator's state machine and the edges' replicas both keep their
// boards with it, so they agree.
func UpdateLeaders(leaders []Leader, player, score uint32) []Leader {
	i := slices.IndexFunc(leaders, func(l Leader) bool { return l.Player == player })
	switch {
	case i >= 0:
		leaders[i].Score = score
	case len(leaders) < MaxLeaders:
		leaders = append(leaders, Leader{player, score})
	case score > leaders[len(leaders)-1].Score:
		leaders[len(leaders)-1] = Leader{player, score}
	default:
		return leaders
	}
	slices.SortFunc(leaders, func(a, b Leader) int {
		if a.Score != b.Score {
			return int(b.Score) - int(a.Score)
		}
		return int(a.Player) - int(b.Player)
	})
	return leaders
}

// Edge is a registered edge node (the body of POST /v1/edge/register).
type Edge struct {
	ID     string   `json:"id"`
	Region string   `json:"region"`
	URLs   []string `json:"urls"`
	Since  int64    `json:"since"`
	// Instance is new at every start of the edge process: the coordinator
	// refuses a second live edge under one id by it.
	Instance string `json:"instance,omitempty"`
}

// EventKind says what an Event records. Kinds 1–4 match the wire protocol's
// EVENT kinds.
type EventKind uint8

// Event kinds.
const (
	EventTreasureClaimed EventKind = 1
	EventTreasurePlaced  EventKind = 2
	EventHuntStarted     EventKind = 3
	EventHuntEnded       EventKind = 4
	EventScoreChanged    EventKind = 5
	EventHuntCreated     EventKind = 6
	EventHuntDeleted     EventKind = 7
	EventHuntHomed       EventKind = 8 // the hunt's home region changed (Region)
)

// Event is one entry of the ordered event log edges follow. Events are
// ordered by (Index, Seq): the Raft index of the entry that caused them and
// their position within it.
type Event struct {
	Index    uint64    `json:"index"`
	Seq      uint32    `json:"seq"`
	Kind     EventKind `json:"kind"`
	Hunt     uint32    `json:"hunt"`
	Treasure uint32    `json:"treasure,omitempty"`
	Player   uint32    `json:"player,omitempty"`
	Lat      int32     `json:"lat,omitempty"`
	Lng      int32     `json:"lng,omitempty"`
	Points   uint32    `json:"points,omitempty"` // treasure value, or the score for EventScoreChanged
	Region   string    `json:"region,omitempty"` // EventHuntHomed: the new home ("": any region)
	Time     int64     `json:"time"`
}

// Claim is one claim as an edge submits it.
type Claim struct {
	Edge     string `json:"edge"`    // the edge that submitted it
	Request  uint64 `json:"request"` // the player's CLAIM request id; with Hunt and Player, the idempotency key (only the low 32 bits count)
	Hunt     uint32 `json:"hunt"`
	Treasure uint32 `json:"treasure"`
	Player   uint32 `json:"player"`
	Cell     uint64 `json:"cell"` // the player's reported cell at the hunt's resolution
}

// Outcome is the result of one claim. Code is a protocol CLAIM_RESULT
// outcome (protocol.OutcomeWon, …).
type Outcome struct {
	Code     uint8  `json:"code"`
	Treasure uint32 `json:"treasure"`
	Points   uint32 `json:"points,omitempty"`
	Score    uint32 `json:"score,omitempty"`
	Index    uint64 `json:"index"` // log entry that decided it
}

// MaxEdgeIDLen bounds an edge id.
const MaxEdgeIDLen = 64

// ValidEdgeID reports whether id is a usable edge id: 1 to MaxEdgeIDLen
// letters, digits, '.', '_' or '-', starting with a letter or digit (ids
// appear in claim keys, credential files and metrics labels).
func ValidEdgeID(id string) bool {
	if id == "" || len(id) > MaxEdgeIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// RegionRule says in words what ValidRegion accepts.
const RegionRule = "a region is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"

// ValidRegion reports whether name is a usable region name (a hunt's home,
// a region of the edges' routing tables): geo.ValidRegion.
func ValidRegion(name string) bool { return geo.ValidRegion(name) }

// HashToken returns the hex SHA-256 of an edge token: what a line of the
// coordinators' credentials file holds for it (Terraform's sha256() computes
// the same).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
