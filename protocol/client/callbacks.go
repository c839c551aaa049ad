package client

import "github.com/veltrix/veltrix/protocol"

// Callbacks is a Handler with one typed function per message the edge
// sends; a nil function ignores its message. Pass its Handle method as
// Options.Handler:
//
//	client.Options{..., Handler: (&client.Callbacks{OnHint: showHint}).Handle}
//
// Calls arrive on the client's reader goroutine, in order. Messages and the
// slices and text inside them belong to the callee: the client does not
// reuse them.
type Callbacks struct {
	OnWelcome     func(protocol.Welcome)     // after a reconnection (Dial returns the first)
	OnCellUpdate  func(*protocol.CellUpdate) // players entered, moved or left a cell
	OnTreasures   func(*protocol.Treasures)  // treasures in the interest area
	OnHint        func(protocol.Hint)        // distance band and bearing to the nearest treasure
	OnClaimResult func(protocol.ClaimResult) // the answer to a Claim
	OnEvent       func(protocol.Event)       // treasure claimed or spawned, hunt started or ended
	OnHuntStatus  func(*protocol.HuntStatus) // counts, schedule and leaderboard
	OnError       func(code protocol.Code, text string)
	OnRedirect    func(code protocol.Code, url string) // the client reconnects there by itself
	OnPong        func(protocol.Pong)
	OnCellSummary func(*protocol.CellSummary) // a crowded cell: its count, centroid and finer counts
	OnTickRate    func(protocol.TickRate)     // the edge's fan-out rate changed (overload, recovery)
	// OnOther receives message types this version of the callbacks does
	// not name (none today); nil ignores them.
	OnOther func(protocol.Message)
}

// Handle calls the function for m's type.
func (cb *Callbacks) Handle(m protocol.Message) {
	switch x := m.(type) {
	case *protocol.Welcome:
		call(cb.OnWelcome, *x)
	case *protocol.CellUpdate:
		call(cb.OnCellUpdate, x)
	case *protocol.FineCell: // the refined snapshot it stands for (SPEC.md §2.2)
		if cb.OnCellUpdate != nil {
			var cu protocol.CellUpdate
			x.AsCellUpdate(&cu)
			cb.OnCellUpdate(&cu)
		}
	case *protocol.Treasures:
		call(cb.OnTreasures, x)
	case *protocol.Hint:
		call(cb.OnHint, *x)
	case *protocol.ClaimResult:
		call(cb.OnClaimResult, *x)
	case *protocol.Event:
		call(cb.OnEvent, *x)
	case *protocol.HuntStatus:
		call(cb.OnHuntStatus, x)
	case *protocol.ErrorMessage:
		if cb.OnError != nil {
			cb.OnError(x.Code, string(x.Text))
		}
	case *protocol.Redirect:
		if cb.OnRedirect != nil {
			cb.OnRedirect(x.Code, string(x.URL))
		}
	case *protocol.Pong:
		call(cb.OnPong, *x)
	case *protocol.CellSummary:
		call(cb.OnCellSummary, x)
	case *protocol.TickRate:
		call(cb.OnTickRate, *x)
	default:
		call(cb.OnOther, m)
	}
}

func call[T any](f func(T), v T) {
	if f != nil {
		f(v)
	}
}
