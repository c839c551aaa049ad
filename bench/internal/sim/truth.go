package sim

import (
	"math"
	"time"

	"github.com/veltrix/veltrix/geo"
)

// The crowd scenario's measures against the truth (issue 15's goals): the
// worker knows where each of its players stands, so for each observer it
// takes the players that truly stand near it and asks how long ago the
// observer last heard of each of them:
//   - every neighbour within nearRange (50 m), which should be heard at
//     least once a second;
//   - every player of its refined interest area (SPEC.md §2.2): those
//     whose fine cell (the hunt's resolution + fineLevels; kept, as the
//     edge keeps it, until the player is 1.1 fine edges from its centre)
//     has its centre within 50 m + 1.1 fine edges of the observer, which
//     should be shown at least every 5 s. (The edge's area reaches 3 m
//     farther from where the observer stood when it was chosen, which the
//     bench cannot see: this is the part of it inside, wherever that was.)
//
// A neighbour never heard of counts from when the observer's watch began.
// The truth is the worker's own players: with several worker processes it
// is a random subset of the crowd (players are placed independently of
// their ids), exact with one (the io_uring client runs up to 50,000
// players in one).

// fineLevels is how many resolutions finer than the hunt's the edge's
// fine cells are (edge/core Config.Refine's default).
const fineLevels = 3

// gridSide is the side (m) of the buckets the truth is kept in: no less
// than the refined reach, so that a player's 3 × 3 buckets hold all it
// needs.
const gridSide = 80.0

// truthPos is one player where it truly stands, in metres east (x) and
// north (y) of the city's centre, with the centre of its fine cell.
type truthPos struct {
	id     uint32
	x, y   float64
	fx, fy float64
}

// truth is the worker's players this second, bucketed by gridSide.
type truth struct {
	lat0, lng0, cos0 float64
	res              int
	reach            float64                 // the refined interest area's reach, m
	stay             float64                 // how far from its fine cell's centre a player stays in it, m
	centres          map[geo.Cell][2]float64 // fine cell → centre, x/y (kept)
	fine             map[uint32][2]float64   // player → its fine cell's centre, x/y (kept)
	all              []truthPos
	grid             map[[2]int32][]int32
}

// newTruth is the truth of a hunt at resolution res around city.
func newTruth(city [2]float64, res int) *truth {
	t := &truth{lat0: city[0], lng0: city[1], cos0: math.Cos(city[0] * math.Pi / 180), res: res + fineLevels,
		centres: map[geo.Cell][2]float64{}, fine: map[uint32][2]float64{}, grid: map[[2]int32][]int32{}}
	edge, _ := geo.EdgeLength(t.res)
	t.reach, t.stay = nearRange+1.1*edge, 1.1*edge
	return t
}

// xy is (lat, lng) in metres from the city's centre.
func (t *truth) xy(lat, lng float64) (x, y float64) {
	return (lng - t.lng0) * metresPerDegLat * t.cos0, (lat - t.lat0) * metresPerDegLat
}

// fineCentre is the centre, in x/y, of the fine cell at (lat, lng).
func (t *truth) fineCentre(lat, lng float64) (x, y float64) {
	c, err := geo.CellOf(geo.Point{Lat: lat, Lng: lng}, t.res)
	if err != nil {
		return t.xy(lat, lng)
	}
	if xy, ok := t.centres[c]; ok {
		return xy[0], xy[1]
	}
	p, _ := geo.CellCenter(c)
	x, y = t.xy(p.Lat, p.Lng)
	t.centres[c] = [2]float64{x, y}
	return x, y
}

// fineOf is the centre of player id's fine cell, at (lat, lng) = (x, y):
// the one it was in until it stands 1.1 fine edges from its centre (the
// edge's hysteresis, SPEC.md §2.3).
func (t *truth) fineOf(id uint32, lat, lng, x, y float64) (fx, fy float64) {
	if c, ok := t.fine[id]; ok && math.Hypot(x-c[0], y-c[1]) <= t.stay {
		return c[0], c[1]
	}
	fx, fy = t.fineCentre(lat, lng)
	t.fine[id] = [2]float64{fx, fy}
	return fx, fy
}

// bucket is the grid bucket of (x, y).
func bucket(x, y float64) [2]int32 {
	return [2]int32{int32(math.Floor(x / gridSide)), int32(math.Floor(y / gridSide))}
}

// load takes the players' positions now (players not yet placed are left
// out).
func (t *truth) load(players []*player) {
	t.all = t.all[:0]
	clear(t.grid)
	for _, p := range players {
		p.mu.Lock()
		lat, lng := p.lat, p.lng
		p.mu.Unlock()
		if lat == 0 && lng == 0 {
			continue
		}
		x, y := t.xy(lat, lng)
		fx, fy := t.fineOf(p.id, lat, lng, x, y)
		b := bucket(x, y)
		t.grid[b] = append(t.grid[b], int32(len(t.all)))
		t.all = append(t.all, truthPos{id: p.id, x: x, y: y, fx: fx, fy: fy})
	}
}

// oldest is, for an observer at o with watch cw, the age of the oldest
// neighbour within nearRange and of the oldest player of its refined
// interest area (ok: there were some).
func (t *truth) oldest(o truthPos, cw *crowdWatch, now time.Time) (near, area time.Duration, okNear, okArea bool) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	b := bucket(o.x, o.y)
	for dx := int32(-1); dx <= 1; dx++ {
		for dy := int32(-1); dy <= 1; dy++ {
			for _, i := range t.grid[[2]int32{b[0] + dx, b[1] + dy}] {
				q := &t.all[i]
				if q.id == o.id {
					continue
				}
				age := cw.age(q.id, now)
				if math.Hypot(q.x-o.x, q.y-o.y) <= nearRange {
					near, okNear = max(near, age), true
				}
				if math.Hypot(q.fx-o.x, q.fy-o.y) <= t.reach {
					area, okArea = max(area, age), true
				}
			}
		}
	}
	return near, area, okNear, okArea
}

// sampleTruth records, for each observer, its oldest true neighbour
// within nearRange and of its refined interest area.
func (w *worker) sampleTruth(t *truth, cs *crowdStats, now time.Time) {
	t.load(w.players)
	for i := range t.all {
		o := t.all[i]
		p := w.byID(o.id)
		if p == nil || p.watch == nil {
			continue
		}
		near, area, okNear, okArea := t.oldest(o, p.watch, now)
		if okNear {
			cs.every50.Record(max(near, time.Microsecond))
		}
		if okArea {
			cs.area.Record(max(area, time.Microsecond))
		}
	}
}

// byID is the worker's player of id (ids are First+1 … First+len).
func (w *worker) byID(id uint32) *player {
	i := int(id) - w.job.First - 1
	if i < 0 || i >= len(w.players) {
		return nil
	}
	return w.players[i]
}
