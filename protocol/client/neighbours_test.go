package client

import (
	"slices"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

func TestNeighboursMergeOrigins(t *testing.T) {
	const cell = protocol.Cell(0x8928308280fffff)
	t0 := time.Unix(1795000000, 0)
	cu := func(origin uint32, flags uint8, ops ...[2]uint32) *protocol.CellUpdate {
		m := &protocol.CellUpdate{Cell: cell, Flags: flags, Origin: origin}
		for _, o := range ops {
			m.Entries = append(m.Entries, protocol.CellEntry{Op: uint8(o[0]), Player: o[1]})
		}
		// Through the codec, as a client receives it.
		b := protocol.AppendCellUpdate(nil, m)
		var got protocol.CellUpdate
		if err := got.Decode(b[protocol.HeaderSize:]); err != nil {
			t.Fatal(err)
		}
		return &got
	}
	ids := func(n *Neighbours) []uint32 {
		var out []uint32
		for id := range n.Players {
			out = append(out, id)
		}
		slices.Sort(out)
		return out
	}
	in, left := uint32(protocol.OpEntered), uint32(protocol.OpLeft)
	n := &Neighbours{Self: 42}
	n.Apply(cu(5, 0, [2]uint32{in, 1}, [2]uint32{in, 2}, [2]uint32{in, 42}), t0)
	n.Apply(cu(6, 0, [2]uint32{in, 1}), t0)                           // player 1 moved to edge 6
	n.Apply(cu(5, 0, [2]uint32{left, 1}), t0)                         // edge 5's late "left": ignored
	n.Apply(cu(5, protocol.FlagOriginSnapshot, [2]uint32{in, 3}), t0) // edge 5 now has only player 3
	if got := ids(n); !slices.Equal(got, []uint32{1, 3}) {
		t.Fatalf("players %v, want [1 3]", got)
	}
	n.Apply(cu(9, protocol.FlagSnapshot, [2]uint32{in, 8}), t0.Add(6*time.Second)) // a whole-cell snapshot
	n.Forget(t0.Add(12*time.Second), 10*time.Second)
	if got := ids(n); !slices.Equal(got, []uint32{8}) {
		t.Fatalf("players %v, want [8]", got)
	}
}

// TestNeighboursRefinedSnapshot: a REFINED snapshot of a fine cell
// replaces that fine cell's players only; a crowded cell's sampled player
// stays.
func TestNeighboursRefinedSnapshot(t *testing.T) {
	const cell, kid = protocol.Cell(0x8928308280fffff), protocol.Cell(0x8c1969c9b3905ff)
	t0 := time.Unix(1795000000, 0)
	entries := func(ps ...uint32) []protocol.CellEntry {
		var out []protocol.CellEntry
		for _, p := range ps {
			out = append(out, protocol.CellEntry{Op: protocol.OpEntered, Player: p})
		}
		return out
	}
	n := &Neighbours{}
	n.Apply(&protocol.CellUpdate{Cell: cell, Entries: entries(1)}, t0)
	refined := protocol.FlagSnapshot | protocol.FlagRefined
	n.Apply(&protocol.CellUpdate{Cell: kid, Flags: refined, Entries: entries(2, 3)}, t0)
	n.Apply(&protocol.CellUpdate{Cell: kid, Flags: refined, Entries: entries(3)}, t0.Add(time.Second))
	if _, ok := n.Players[2]; ok || len(n.Players) != 2 || n.Players[3].Cell != kid {
		t.Errorf("after the fine cell's second snapshot: %v", n.Players)
	}
}
