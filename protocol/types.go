package protocol

import "fmt"

// Version is the protocol version this package speaks, carried by HELLO.
const Version = 1

// Type is a message type number, the first byte of every message.
type Type uint8

// Client → edge message types.
const (
	TypeHello    Type = 0x01
	TypePosition Type = 0x02
	TypeClaim    Type = 0x03
	TypePing     Type = 0x04
	TypeBye      Type = 0x05
	TypeToken    Type = 0x06
)

// Edge → client message types.
const (
	TypeWelcome     Type = 0x41
	TypeCellUpdate  Type = 0x42
	TypeTreasures   Type = 0x43
	TypeHint        Type = 0x44
	TypeClaimResult Type = 0x45
	TypeEvent       Type = 0x46
	TypeHuntStatus  Type = 0x47
	TypeError       Type = 0x48
	TypeRedirect    Type = 0x49
	TypePong        Type = 0x4A
	TypeCellSummary Type = 0x4B
	TypeTickRate    Type = 0x4C
	TypeFineCell    Type = 0x4D
)

var typeNames = map[Type]string{
	TypeHello: "HELLO", TypePosition: "POSITION", TypeClaim: "CLAIM", TypePing: "PING",
	TypeBye: "BYE", TypeToken: "TOKEN", TypeWelcome: "WELCOME", TypeCellUpdate: "CELL_UPDATE",
	TypeTreasures: "TREASURES", TypeHint: "HINT", TypeClaimResult: "CLAIM_RESULT",
	TypeEvent: "EVENT", TypeHuntStatus: "HUNT_STATUS", TypeError: "ERROR",
	TypeRedirect: "REDIRECT", TypePong: "PONG", TypeCellSummary: "CELL_SUMMARY", TypeTickRate: "TICK_RATE",
	TypeFineCell: "FINE_CELL",
}

// String returns the spec name of t ("POSITION"), or its number for unknown types.
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("TYPE(0x%02x)", uint8(t))
}

// FromClient reports whether t is in the client → edge range.
func (t Type) FromClient() bool { return t >= 0x01 && t <= 0x3F }

// FromEdge reports whether t is in the edge → client range.
func (t Type) FromEdge() bool { return t >= 0x40 && t <= 0x7F }

// Limits from SPEC.md §3.
const (
	HeaderSize        = 3     // type u8 + length u16
	MaxMessage        = 16384 // header + body
	MaxBody           = MaxMessage - HeaderSize
	MaxWebSocketFrame = 65536 // payload bytes of one WebSocket frame
	MaxDatagram       = 1200  // payload bytes of one WebTransport datagram
	MaxToken          = 2048  // HELLO and TOKEN token bytes
	MaxText           = 256   // ERROR text bytes
	MaxURL            = 1024  // REDIRECT url bytes
	MaxCellEntries    = 960   // CELL_UPDATE entries per message
	MaxTreasures      = 1000  // TREASURES entries per message
	MaxLeaders        = 10    // HUNT_STATUS leaderboard rows
	CellEntrySize     = 17    // op u8, player u32, lat i32, lng i32, stamp u32
	TreasureEntrySize = 15    // treasure u32, lat i32, lng i32, points u16, state u8
	LeaderEntrySize   = 8     // player u32, score u32
	cellUpdateFixed   = 15    // cell u64, tick u32, flags u8, count u16
	// MaxDatagramCellEntries is how many CELL_UPDATE entries fit in one datagram.
	MaxDatagramCellEntries = (MaxDatagram - HeaderSize - cellUpdateFixed - cellUpdateOrigin) / CellEntrySize
	cellUpdateOrigin       = 4 // the appended origin u32 (SPEC.md §2.5)
)

// Client kinds carried by HELLO.
const (
	KindUnknown uint8 = 0
	KindBrowser uint8 = 1
	KindMobile  uint8 = 2
	KindBot     uint8 = 3
)

// CELL_UPDATE entry operations.
const (
	OpEntered uint8 = 1
	OpMoved   uint8 = 2
	OpLeft    uint8 = 3
)

// Flags of CELL_UPDATE and TREASURES.
const (
	FlagSnapshot  uint8 = 1 << 0 // entries are the complete set
	FlagContinued uint8 = 1 << 1 // continues the previous message of the same cell and tick
	// FlagOriginSnapshot (CELL_UPDATE only): the entries are the complete
	// set of the players of one origin in the cell (SPEC.md §2.5).
	FlagOriginSnapshot uint8 = 1 << 2
	// FlagRefined (CELL_UPDATE only): the cell is a finer child of a
	// crowded area's cell, sent once a second as a SNAPSHOT of the child
	// to the players whose refined interest area holds it (SPEC.md §2.2).
	FlagRefined uint8 = 1 << 3
)

// TREASURES entry states.
const (
	TreasureAvailable uint8 = 0
	TreasureClaimed   uint8 = 1
	TreasureHidden    uint8 = 2
)

// CLAIM_RESULT outcomes.
const (
	OutcomeWon            uint8 = 1
	OutcomeAlreadyClaimed uint8 = 2
	OutcomeTooFar         uint8 = 3
	OutcomeHuntNotActive  uint8 = 4
	OutcomeUnknown        uint8 = 5
	OutcomeRateLimited    uint8 = 6
	OutcomeUnavailable    uint8 = 7
	OutcomeRequestReused  uint8 = 8
)

// EVENT kinds.
const (
	EventTreasureClaimed uint8 = 1
	EventTreasureSpawned uint8 = 2
	EventHuntStarted     uint8 = 3
	EventHuntEnded       uint8 = 4
)

// HUNT_STATUS states.
const (
	HuntScheduled uint8 = 1
	HuntActive    uint8 = 2
	HuntEnded     uint8 = 3
)

// HINT distance bands (the same numbers as geo.Band).
const (
	HintUnknown  uint8 = 0
	HintBurning  uint8 = 1 // < 25 m
	HintHot      uint8 = 2 // < 100 m
	HintWarm     uint8 = 3 // < 300 m
	HintCool     uint8 = 4 // < 1 km
	HintCold     uint8 = 5 // < 3 km
	HintFreezing uint8 = 6
)
