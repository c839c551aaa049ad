package core

// DropReason is why the core dropped a frame or refused a message;
// Stats.Drops counts by it. Its String is the reason label of the edge's
// veltrix_edge_drops_total metric, which dashboards select on: never
// rename one.
type DropReason uint8

const (
	DropQueueFull            DropReason = iota // a frame pushed out of a full queue
	DropStale                                  // a queued frame older than the arena ring
	DropRateLimited                            // a POSITION over the player's position rate
	DropMessageFlood                           // a message of any type over the session's MessageRate
	DropClaimRateLimited                       // a CLAIM over the player's claim rate
	DropClaimUnknownTreasure                   // a CLAIM of a treasure the edge knows does not exist
	DropImpossibleSpeed                        // a POSITION faster than MaxSpeed from the last one
	DropInvalidPosition                        // a POSITION off the globe, out of order or with too large an accuracy radius
	DropBeforeHello                            // a datagram that overtook its session's HELLO
	DropRemoteFull                             // another edge's frame, the remote inbox being full
	DropRemoteBad                              // another edge's frame that is not a CELL_UPDATE of the cell with an origin
	DropRemoteUnwatched                        // another edge's frame for a cell no local player watches any more
	DropClaimAlreadyClaimed                    // a CLAIM of a treasure the edge knows another player won
	DropBudget                                 // a frame over its connection's position budget
	NumDropReasons                             // the number of reasons, not a reason
)

var dropNames = [NumDropReasons]string{
	DropQueueFull:            "queue_full",
	DropStale:                "stale",
	DropRateLimited:          "rate_limited",
	DropMessageFlood:         "message_flood",
	DropClaimRateLimited:     "claim_rate_limited",
	DropClaimUnknownTreasure: "claim_unknown_treasure",
	DropImpossibleSpeed:      "impossible_speed",
	DropInvalidPosition:      "invalid_position",
	DropBeforeHello:          "before_hello",
	DropRemoteFull:           "remote_full",
	DropRemoteBad:            "remote_bad",
	DropRemoteUnwatched:      "remote_unwatched",
	DropClaimAlreadyClaimed:  "claim_already_claimed",
	DropBudget:               "budget",
}

// String is the reason's metric label.
func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return "unknown"
}
