package fsm

import (
	"math/rand/v2"

	"github.com/veltrix/veltrix/geo"
)

// huntIndex holds what respawning needs and can be rebuilt from the state at
// any time: the area's cells and which cells hold an unclaimed treasure. It is
// never encoded, so replicas agree on the state whether or not they built it.
type huntIndex struct {
	cells    []geo.Cell        // the area's cells, sorted
	occupied map[uint64]uint32 // cell → unclaimed treasure
}

// respawnAttempts bounds the search for a free cell; a crowded area may end
// up with fewer treasures rather than an unbounded apply.
const respawnAttempts = 64

func (f *FSM) indexLocked(h *Hunt) (*huntIndex, error) {
	if ix := f.derived[h.ID]; ix != nil {
		return ix, nil
	}
	cells, err := geo.PolygonCells(h.Spec.Area, h.Spec.Resolution)
	if err != nil {
		return nil, err
	}
	ix := &huntIndex{cells: cells, occupied: make(map[uint64]uint32, h.Remaining)}
	for id, t := range h.Treasures {
		if !t.Claimed() {
			ix.occupied[t.Cell] = id
		}
	}
	f.derived[h.ID] = ix
	return ix, nil
}

// respawnLocked places one new treasure in a random free cell of the area,
// drawing from rng (seeded by the claim's log entry).
func (f *FSM) respawnLocked(index uint64, now int64, h *Hunt, rng *rand.Rand) {
	ix, err := f.indexLocked(h)
	if err != nil || len(ix.cells) == 0 {
		return
	}
	for range respawnAttempts {
		c := ix.cells[rng.IntN(len(ix.cells))]
		if !ix.free(c, h.Spec.MinSpacing) {
			continue
		}
		p, err := geo.CellCenter(c)
		if err != nil {
			return
		}
		t := f.addTreasureLocked(h, geo.Treasure{Cell: c, Point: p})
		h.Remaining++
		f.emit(Event{Index: index, Kind: EventTreasurePlaced, Hunt: h.ID, Treasure: t.ID,
			Lat: t.Lat, Lng: t.Lng, Points: uint32(t.Points), Time: now})
		return
	}
}

// free reports whether no unclaimed treasure lies closer to c than spacing.
func (ix *huntIndex) free(c geo.Cell, spacing int) bool {
	if spacing <= 1 {
		_, taken := ix.occupied[uint64(c)]
		return !taken
	}
	disk, err := geo.GridDisk(c, spacing-1)
	if err != nil {
		return false
	}
	for _, d := range disk {
		if _, taken := ix.occupied[uint64(d)]; taken {
			return false
		}
	}
	return true
}
