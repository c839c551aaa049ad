package client

import (
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// Neighbour is a player a client sees.
type Neighbour struct {
	Lat, Lng int32         // degrees × 10⁷
	Cell     protocol.Cell // the cell it was last listed in
	Origin   uint32        // the edge whose player it is (SPEC.md §2.5); 0: none said
	Seen     time.Time     // when it was last listed
}

// Neighbours merges the CELL_UPDATEs a client receives, from one edge or
// forwarded from the other edges of its region, into the players it sees,
// as SPEC.md §2.2 and §2.5 say. It is not safe for concurrent use: call it
// from the client's handler.
type Neighbours struct {
	Self    uint32 // the client's own player, never listed
	Players map[uint32]Neighbour
}

// Apply merges one CELL_UPDATE received at now.
func (n *Neighbours) Apply(m *protocol.CellUpdate, now time.Time) {
	if n.Players == nil {
		n.Players = map[uint32]Neighbour{}
	}
	whole := m.Flags&protocol.FlagSnapshot != 0
	ofOrigin := m.Flags&protocol.FlagOriginSnapshot != 0 && m.Flags&protocol.FlagContinued == 0
	if whole || ofOrigin {
		for id, p := range n.Players {
			if p.Cell == m.Cell && (whole || p.Origin == m.Origin) {
				delete(n.Players, id)
			}
		}
	}
	for _, e := range m.Entries {
		switch {
		case e.Player == n.Self:
		case e.Op == protocol.OpLeft:
			if p, ok := n.Players[e.Player]; ok && p.Origin == m.Origin {
				delete(n.Players, e.Player)
			}
		case e.Op == protocol.OpEntered || e.Op == protocol.OpMoved: // other ops are skipped (SPEC.md §2.2)
			n.Players[e.Player] = Neighbour{Lat: e.Lat, Lng: e.Lng, Cell: m.Cell, Origin: m.Origin, Seen: now}
		}
	}
}

// Forget drops the players not listed for after (SPEC.md §2.2: 10 s).
func (n *Neighbours) Forget(now time.Time, after time.Duration) {
	for id, p := range n.Players {
		if now.Sub(p.Seen) > after {
			delete(n.Players, id)
		}
	}
}
