package sim

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// The crowd scenario's measures (issue 15): what each player is sent of
// positions (CELL_UPDATE and CELL_SUMMARY bytes per second, over players),
// and how stale what an observer holds of its neighbours is.
//
// Histograms hold durations; bytes per second are recorded as that many
// microseconds (hist's range, 1 µs … 1 min, covers 1 B/s … 60 MB/s).

// forgetAfter is when a receiver forgets a neighbour not heard of (SPEC.md
// §2.2 CELL_UPDATE: 10 s).
const forgetAfter = 10 * time.Second

// nearRange is the radius within which a neighbour should be updated at
// 1 Hz or better.
const nearRange = 50.0

// neighbour is what an observer holds of another player.
type neighbour struct {
	at       time.Time
	lat, lng int32
	kid      protocol.Cell // the fine cell whose REFINED snapshot listed it (0: none)
}

// crowdWatch is an observer's view of its neighbours (crowd scenario only).
type crowdWatch struct {
	mu    sync.Mutex
	held  map[uint32]neighbour
	last  map[uint32]time.Time // when each player was last heard of (never forgotten)
	since time.Time            // when the watch began
	// byKid is the players each fine cell's last REFINED snapshot listed
	// (some since held by another): its next snapshot replaces just
	// those, not a scan of every neighbour held for each of ~40 fine cells
	// a second (which cost the generator more than the edge at 15,000).
	byKid map[protocol.Cell][]uint32
}

// newCrowdWatch is a watch that begins at now.
func newCrowdWatch(now time.Time) *crowdWatch {
	return &crowdWatch{held: map[uint32]neighbour{}, last: map[uint32]time.Time{}, since: now,
		byKid: map[protocol.Cell][]uint32{}}
}

// age is how long ago id was last heard of at now (since the watch began
// if never). cw.mu is held.
func (cw *crowdWatch) age(id uint32, now time.Time) time.Duration {
	if at, ok := cw.last[id]; ok {
		return now.Sub(at)
	}
	return now.Sub(cw.since)
}

// heard records entries of a decoded CELL_UPDATE at now. A REFINED
// snapshot (SPEC.md §2.2) replaces the players its fine cell listed
// before: so the neighbours held with a kid are the observer's refined
// interest area.
func (cw *crowdWatch) heard(cu *protocol.CellUpdate, self uint32, now time.Time) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	refined := cu.Flags&protocol.FlagRefined != 0
	if refined && cu.Flags&protocol.FlagSnapshot != 0 {
		listed := cw.byKid[cu.Cell]
		for _, id := range listed {
			if n, ok := cw.held[id]; ok && n.kid == cu.Cell {
				delete(cw.held, id)
			}
		}
		cw.byKid[cu.Cell] = listed[:0]
	}
	for i := range cu.Entries {
		e := &cu.Entries[i]
		switch {
		case e.Player == self:
		case e.Op == protocol.OpLeft:
			delete(cw.held, e.Player)
		default:
			kid := cw.held[e.Player].kid // a sample keeps the fine cell that listed it
			if refined {
				kid = cu.Cell
				cw.byKid[kid] = append(cw.byKid[kid], e.Player)
			}
			cw.held[e.Player] = neighbour{at: now, lat: e.Lat, lng: e.Lng, kid: kid}
			cw.last[e.Player] = now
		}
	}
}

// oldest is the age of the oldest neighbour held at now (neighbours not
// heard of for forgetAfter are forgotten), over all and within nearRange
// of (lat, lng).
func (cw *crowdWatch) oldest(now time.Time, lat, lng float64) (all, near time.Duration, any, anyNear bool) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	me := geo.Point{Lat: lat, Lng: lng}
	for id, n := range cw.held {
		age := now.Sub(n.at)
		if age > forgetAfter {
			delete(cw.held, id)
			continue
		}
		all, any = max(all, age), true
		if geo.Distance(me, geo.PointE7(n.lat, n.lng)) <= nearRange {
			near, anyNear = max(near, age), true
		}
	}
	return all, near, any, anyNear
}

// nearestK is how many of an observer's nearest neighbours within
// nearRange the nearest measure covers: fewer than the edge's refined
// interest area holds where it shrinks to fit the budget (SPEC.md §2.2:
// every player within 50 m, or the nearest ~350).
const nearestK = 100

// oldestNearest is the age of the oldest of the nearestK neighbours held
// nearest to (lat, lng) within nearRange at now (call oldest first: it
// forgets).
func (cw *crowdWatch) oldestNearest(now time.Time, lat, lng float64) (age time.Duration, any bool) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	me := geo.Point{Lat: lat, Lng: lng}
	type far struct {
		d   float64
		age time.Duration
	}
	all := make([]far, 0, len(cw.held))
	for _, n := range cw.held {
		all = append(all, far{geo.Distance(me, geo.PointE7(n.lat, n.lng)), now.Sub(n.at)})
	}
	slices.SortFunc(all, func(a, b far) int { return cmp.Compare(a.d, b.d) })
	for _, f := range all[:min(nearestK, len(all))] {
		if f.d > nearRange {
			break
		}
		age, any = max(age, f.age), true
	}
	return age, any
}

// crowdStats is the worker's crowd measures.
type crowdStats struct {
	staleness, near *hist.H
	nearest         *hist.H // the oldest of the nearestK nearest
	every50, area   *hist.H // against the truth (truth.go)
	bytes           *hist.H // per player: position bytes per second, as µs
}

// newCrowdStats is empty crowd measures.
func newCrowdStats() *crowdStats {
	return &crowdStats{staleness: hist.New(), near: hist.New(), nearest: hist.New(),
		every50: hist.New(), area: hist.New(), bytes: hist.New()}
}

// sampleStaleness records, once a second until ctx ends, each observer's
// oldest neighbour: of those it holds, and against the truth.
func (w *worker) sampleStaleness(ctx context.Context, cs *crowdStats) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	tr := newTruth(w.job.City, w.res)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, p := range w.players {
				if p.watch != nil {
					w.sampleHeld(p, cs, now)
				}
			}
			w.sampleTruth(tr, cs, now)
		}
	}
}

// sampleHeld records the oldest of the neighbours p holds: of all, within
// nearRange, and of its nearestK nearest within nearRange.
func (w *worker) sampleHeld(p *player, cs *crowdStats, now time.Time) {
	p.mu.Lock()
	lat, lng := p.lat, p.lng
	p.mu.Unlock()
	all, near, any, anyNear := p.watch.oldest(now, lat, lng)
	if any {
		cs.staleness.Record(max(all, time.Microsecond))
	}
	if anyNear {
		cs.near.Record(max(near, time.Microsecond))
	}
	if age, ok := p.watch.oldestNearest(now, lat, lng); ok {
		cs.nearest.Record(max(age, time.Microsecond))
	}
}

// positionBytes records each connected player's position bytes per second
// over the phase of length elapsed.
func (w *worker) positionBytes(cs *crowdStats, elapsed time.Duration) {
	for _, p := range w.players {
		if p.cl == nil {
			continue
		}
		perSec := float64(p.posBytes.Load()-p.posBase) / elapsed.Seconds()
		cs.bytes.Record(time.Duration(max(perSec, 1)) * time.Microsecond)
	}
}
