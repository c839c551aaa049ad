package sim

import (
	"math"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// truthWorker is a worker of players standing at the given offsets (m
// north of the city's centre), player 1 an observer whose watch began 3 s
// before now.
func truthWorker(now time.Time, north ...float64) *worker {
	city := [2]float64{48.85, 2.35}
	w := &worker{job: Job{City: city}, res: 9}
	for i, n := range north {
		p := &player{w: w, id: uint32(i + 1), lat: city[0] + n/metresPerDegLat, lng: city[1]}
		w.players = append(w.players, p)
	}
	w.players[0].watch = newCrowdWatch(now.Add(-3 * time.Second))
	return w
}

// TestTruthCountsNeighboursNeverHeard: the staleness of every neighbour
// within 50 m counts the ones the observer never heard of (from when its
// watch began), which the held-neighbour measures cannot see; players
// beyond the refined reach count for neither.
func TestTruthCountsNeighboursNeverHeard(t *testing.T) {
	now := time.Now()
	w := truthWorker(now, 0, 20, 45, 300)
	p2 := w.players[1]
	cu := protocol.CellUpdate{Entries: []protocol.CellEntry{{Player: 2, Lat: int32(p2.lat * 1e7), Lng: int32(p2.lng * 1e7)}}}
	w.players[0].watch.heard(&cu, 1, now.Add(-500*time.Millisecond))
	cs := newCrowdStats()
	w.sampleTruth(newTruth(w.job.City, w.res), cs, now)
	if cs.every50.Count() != 1 || cs.every50.Max() < 2900*time.Millisecond {
		t.Fatalf("every neighbour within 50 m: %d samples, max %v; want the never-heard player 3 (3 s)", cs.every50.Count(), cs.every50.Max())
	}
	if cs.area.Count() != 1 || cs.area.Max() < 2900*time.Millisecond {
		t.Fatalf("interest area: %d samples, max %v, want 3 s", cs.area.Count(), cs.area.Max())
	}
	_, near, _, anyNear := w.players[0].watch.oldest(now, w.players[0].lat, w.players[0].lng)
	if !anyNear || near > time.Second {
		t.Fatalf("held within 50 m: %v (%v); the held measure sees only player 2, 0.5 s", near, anyNear)
	}
}

// TestTruthHeardEverySecond: an observer that heard every neighbour
// within the last second shows at most a second; one beyond the reach
// (300 m) never heard of does not count.
func TestTruthHeardEverySecond(t *testing.T) {
	now := time.Now()
	w := truthWorker(now, 0, 10, 30, 49, 300)
	cu := protocol.CellUpdate{Entries: []protocol.CellEntry{{Player: 2}, {Player: 3}, {Player: 4}}}
	w.players[0].watch.heard(&cu, 1, now.Add(-900*time.Millisecond))
	cs := newCrowdStats()
	w.sampleTruth(newTruth(w.job.City, w.res), cs, now)
	if m := cs.every50.Max(); cs.every50.Count() != 1 || m > time.Second {
		t.Fatalf("every neighbour within 50 m: max %v, want ≤ 1 s", m)
	}
	if m := cs.area.Max(); m > time.Second {
		t.Fatalf("interest area: max %v, want ≤ 1 s (player 5 stands 300 m away)", m)
	}
}

// TestTruthFineCellSticks: as on the edge, a player keeps its fine cell
// until it stands 1.1 fine edges from its centre, then takes the one it
// stands in.
func TestTruthFineCellSticks(t *testing.T) {
	city := [2]float64{48.85, 2.35}
	tr := newTruth(city, 9)
	at := func(north float64) (float64, float64) {
		lat := city[0] + north/metresPerDegLat
		x, y := tr.xy(lat, city[1])
		return tr.fineOf(1, lat, city[1], x, y)
	}
	fx, fy := at(0)
	for north := 0.5; north < 60; north += 0.5 {
		gx, gy := at(north)
		_, y := tr.xy(city[0]+north/metresPerDegLat, city[1])
		moved := gx != fx || gy != fy
		if away := math.Hypot(fx, fy-y); moved == (away <= tr.stay) {
			t.Fatalf("at %.1f m north, %.1f m from its fine cell's centre (stay %.1f m): changed %v", north, away, tr.stay, moved)
		}
		fx, fy = gx, gy
	}
}
