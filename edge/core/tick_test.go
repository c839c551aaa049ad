package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
)

// TestFramesPerTickEqualChangedCells: each tick encodes exactly one frame
// per changed, watched cell — counted before encoding (LastTickCells) and
// by the encoder (LastTickFrames) — however many sessions watch the cell.
func TestFramesPerTickEqualChangedCells(t *testing.T) {
	r := newRig(t, func(c *Config) { c.SnapshotEvery = 1 << 30; c.PositionRate, c.PositionBurst = 1e6, 1e6 })
	// Five spots 2 km apart (no shared interest areas), two players each.
	var spots []geo.Point
	var ids [][2]SessionID
	for i := range 5 {
		spots = append(spots, eastOf(dam, float64(2000*i)))
		ids = append(ids, [2]SessionID{r.join(uint32(10 + 2*i)), r.join(uint32(11 + 2*i))})
		for _, id := range ids[i] {
			if err := r.move(id, spots[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.c.Tick()
	for step, movers := range [][]int{{0, 1, 2}, {}, {0, 1, 2, 3, 4}, {4}} {
		r.now = r.now.Add(time.Second)
		for _, i := range movers {
			p := spots[i]
			p.Lat += float64(step+1) * 1e-6
			if err := r.move(ids[i][0], p); err != nil {
				t.Fatal(err)
			}
		}
		before := r.c.Snapshot()
		r.c.Tick()
		st := r.c.Snapshot()
		if st.LastTickCells != len(movers) || st.LastTickFrames != st.LastTickCells || st.FramesEncoded-before.FramesEncoded != uint64(len(movers)) ||
			st.CellsChanged-before.CellsChanged != uint64(len(movers)) {
			t.Errorf("step %d: %d cells changed, %d counted, %d frames encoded (%d in FramesEncoded)",
				step, len(movers), st.LastTickCells, st.LastTickFrames, st.FramesEncoded-before.FramesEncoded)
		}
		if q := st.FramesQueued - before.FramesQueued; q != 2*uint64(len(movers)) {
			t.Errorf("step %d: %d frames queued, want each cell's frame to both its players", step, q)
		}
		for _, pair := range ids {
			r.pull(pair[0])
			r.pull(pair[1])
		}
	}
}
