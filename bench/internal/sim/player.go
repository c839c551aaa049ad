package sim

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// player is one simulated player: its connection, its walk, and what it
// has seen. Its frame handler runs on the client's reader goroutine; step
// runs on a sender goroutine; mu guards what both touch.
type player struct {
	w       *worker
	idx     int // within the worker
	id      uint32
	observe bool // decodes everything and measures delivery latency
	cl      playerConn
	walk    *walker

	mu       sync.Mutex
	lat, lng float64
	visible  []protocol.TreasureEntry // unclaimed treasures in the interest area
	claimed  map[uint32]bool          // treasures this player asked for
	pending  map[uint32]time.Time     // claim request → when sent
	nextReq  uint32
	lastTry  time.Time

	// what the player received: its own counters, so that thousands of
	// readers do not contend on one (the worker sums them)
	msgs, entries atomic.Int64
	posBytes      atomic.Int64 // CELL_UPDATE, FINE_CELL and CELL_SUMMARY bytes, headers included
	posBase       int64        // posBytes when the measured phase began
	watch         *crowdWatch  // crowd scenario observers: the neighbours held

	cu protocol.CellUpdate // decoded into, reused
	fc protocol.FineCell   // decoded into, reused
	// the last CELL_UPDATE seen, to type its continuations
	lastCell     protocol.Cell
	lastTick     uint32
	lastSnapshot bool
	tr           protocol.Treasures
}

// nowStamp is the low 32 bits of the clock in microseconds, as POSITION
// time and CELL_UPDATE stamps carry it.
func nowStamp() uint32 { return uint32(time.Now().UnixMicro()) }

// onFrame handles one frame from the edge (bytes valid during the call).
func (p *player) onFrame(frame []byte) {
	w := p.w
	var msgs, entries int64 // added once per frame to the player's own counters
	sampled := false        // one latency sample per frame
	defer func() {
		p.msgs.Add(msgs)
		p.entries.Add(entries)
	}()
	for len(frame) > 0 {
		t, body, rest, err := protocol.Split(frame)
		if err != nil {
			w.count(&w.c.badFrames, 1)
			return
		}
		frame = rest
		msgs++
		switch t {
		case protocol.TypeCellUpdate:
			entries += p.cellUpdate(body, &sampled)
			p.posBytes.Add(int64(protocol.HeaderSize + len(body)))
		case protocol.TypeFineCell:
			p.fineCell(body)
			p.posBytes.Add(int64(protocol.HeaderSize + len(body)))
		case protocol.TypeCellSummary:
			p.posBytes.Add(int64(protocol.HeaderSize + len(body)))
		case protocol.TypeTreasures:
			p.treasures(body)
		case protocol.TypeClaimResult:
			p.claimResult(body)
		case protocol.TypeError:
			var m protocol.ErrorMessage
			if m.Decode(body) == nil {
				w.countError(m.Code)
			}
		case protocol.TypeEvent:
			w.count(&w.c.events, 1)
		case protocol.TypeHint:
			w.count(&w.c.hints, 1)
		}
	}
}

// cellUpdate counts the positions delivered from the header alone (the
// entries of updates that are not snapshots: a snapshot, whole-cell or of
// one origin, repeats positions already delivered); observers also decode,
// check that the entries lie in the cell the update is for, and measure
// the latency of one entry per frame (from the sender's POSITION time;
// *sampled once taken): a frame's entries were all queued in one tick, so
// more samples of it would only cost the generator CPU, and weigh frames
// by their size.
func (p *player) cellUpdate(body []byte, sampled *bool) (entries int64) {
	w := p.w
	if len(body) < 15 {
		return 0
	}
	// A long update comes in parts; only the first carries SNAPSHOT (or
	// ORIGIN_SNAPSHOT), the rest say CONTINUED (same cell and tick) and are
	// of the same kind. A part whose first part was not seen is skipped:
	// its kind is unknown.
	cell, tick, flags := protocol.Cell(binary.LittleEndian.Uint64(body)), binary.LittleEndian.Uint32(body[8:]), body[12]
	snapshot := flags&(protocol.FlagSnapshot|protocol.FlagOriginSnapshot) != 0
	if flags&protocol.FlagContinued != 0 {
		if cell != p.lastCell || tick != p.lastTick {
			return 0
		}
		snapshot = p.lastSnapshot
	}
	p.lastCell, p.lastTick, p.lastSnapshot = cell, tick, snapshot
	if !snapshot {
		entries = int64(binary.LittleEndian.Uint16(body[13:15]))
	}
	if !p.observe || !w.measuring.Load() {
		return entries
	}
	if err := p.cu.Decode(body); err != nil {
		w.count(&w.c.badFrames, 1)
		return entries
	}
	now := nowStamp()
	if p.watch != nil {
		p.watch.heard(&p.cu, p.id, time.Now())
	}
	for i := range p.cu.Entries {
		e := &p.cu.Entries[i]
		if e.Op == protocol.OpLeft {
			continue
		}
		if i%16 == 0 && !inCell(e, geo.Cell(p.cu.Cell)) { // a sample: CellOf costs ~0.3 µs
			w.count(&w.c.wrongCell, 1)
		}
		if *sampled || snapshot || e.Stamp == 0 || e.Player == p.id {
			continue // a snapshot repeats old positions: not a delivery
		}
		w.delivery.Record(p.idx, time.Duration(now-e.Stamp)*time.Microsecond)
		*sampled = true
	}
	return entries
}

// fineCell hands an observer's watch the players of a FINE_CELL, read as
// the refined snapshot it stands for (SPEC.md §2.2), with a sample of
// them checked against the fine cell. Like any snapshot it delivers no
// new positions to count.
func (p *player) fineCell(body []byte) {
	w := p.w
	if !p.observe || p.watch == nil || !w.measuring.Load() {
		return
	}
	if err := p.fc.Decode(body); err != nil {
		w.count(&w.c.badFrames, 1)
		return
	}
	p.fc.AsCellUpdate(&p.cu)
	for i := 0; i < len(p.cu.Entries); i += 16 {
		if !inCell(&p.cu.Entries[i], geo.Cell(p.cu.Cell)) {
			w.count(&w.c.wrongCell, 1)
		}
	}
	p.watch.heard(&p.cu, p.id, time.Now())
}

// inCell reports whether entry e can belong to cell: it lies in the cell
// or, by the edge's hysteresis (a player leaves its cell only once well
// past the border), in a neighbour. The cell may be finer than the hunt's
// (a crowd's REFINED fine cell, SPEC.md §2.2).
func inCell(e *protocol.CellEntry, cell geo.Cell) bool {
	c, err := geo.CellOf(geo.PointE7(e.Lat, e.Lng), cell.Resolution())
	if err != nil {
		return false
	}
	if c == cell {
		return true
	}
	d, err := geo.GridDistance(c, cell)
	return err == nil && d <= 1
}

func (p *player) treasures(body []byte) {
	if !p.w.job.Config.Claims {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.tr.Decode(body); err != nil {
		p.w.count(&p.w.c.badFrames, 1)
		return
	}
	p.visible = p.visible[:0]
	for _, t := range p.tr.Treasures {
		if t.State == protocol.TreasureAvailable {
			p.visible = append(p.visible, t)
		}
	}
}

func (p *player) claimResult(body []byte) {
	var m protocol.ClaimResult
	if err := m.Decode(body); err != nil {
		p.w.count(&p.w.c.badFrames, 1)
		return
	}
	p.mu.Lock()
	sent, ok := p.pending[m.Request]
	delete(p.pending, m.Request)
	p.mu.Unlock()
	if !ok {
		p.w.count(&p.w.c.claimUnmatched, 1)
		return
	}
	p.w.answered()
	if p.w.measuring.Load() {
		p.w.claimRTT.Record(p.idx, time.Since(sent))
	}
	p.w.claimOutcome(p.id, m)
}

// claimRange is how near (m) a player must be to claim a treasure in the
// claim-storm: the hunt's claim radius is one cell at resolution 9.
const claimRange = 120

// maybeClaim claims a treasure: the storm claims every treasure within
// reach at once; otherwise a player tries the nearest visible treasure at
// most every few seconds (in range or not: the coordinator judges).
func (p *player) maybeClaim(now time.Time, storm bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.visible) == 0 {
		return
	}
	here := geo.Point{Lat: p.lat, Lng: p.lng}
	if storm {
		for _, t := range p.visible {
			if !p.claimed[t.Treasure] && geo.Distance(here, geo.PointE7(t.Lat, t.Lng)) < claimRange {
				p.sendClaimLocked(now, t.Treasure)
			}
		}
		return
	}
	if now.Sub(p.lastTry) < 3*time.Second {
		return
	}
	best, bestD := -1, 0.0
	for i, t := range p.visible {
		if d := geo.Distance(here, geo.PointE7(t.Lat, t.Lng)); !p.claimed[t.Treasure] && (best < 0 || d < bestD) {
			best, bestD = i, d
		}
	}
	if best >= 0 {
		p.lastTry = now
		p.sendClaimLocked(now, p.visible[best].Treasure)
	}
}

func (p *player) sendClaimLocked(now time.Time, treasure uint32) {
	if p.claimed == nil {
		p.claimed, p.pending = map[uint32]bool{}, map[uint32]time.Time{}
		// Request ids stay unique for the player across runs against the
		// same hunt (SPEC §2.1): start anywhere in the range.
		p.nextReq = rand.Uint32()
	}
	p.claimed[treasure] = true
	p.nextReq++
	p.pending[p.nextReq] = now
	p.w.outstanding.Add(1) // before the send: its answer may come at once
	if err := p.cl.Claim(p.nextReq, treasure); err != nil {
		delete(p.pending, p.nextReq)
		p.w.outstanding.Add(-1)
		p.w.count(&p.w.c.sendErrors, 1)
		return
	}
	p.w.count(&p.w.c.claimsSent, 1)
}

// step moves the player dt seconds on and sends its position.
func (p *player) step(dt float64) {
	lat, lng, acc := p.move(dt)
	if err := p.cl.Position(lat, lng, acc); err != nil {
		p.w.count(&p.w.c.sendErrors, 1)
		return
	}
	p.w.count(&p.w.c.positions, 1)
}

// move walks the player dt seconds on: its position and accuracy.
func (p *player) move(dt float64) (lat, lng, acc float64) {
	lat, lng, acc = p.walk.step(dt)
	p.mu.Lock()
	p.lat, p.lng = lat, lng
	p.mu.Unlock()
	return lat, lng, acc
}

// counters are a worker's event counts (atomics: many players add).
type counters struct {
	positions, events, hints                            atomic.Int64
	badFrames, wrongCell, sendErrors, disconnects       atomic.Int64
	claimsSent, claimUnmatched, dialErrors, edgeErrors  atomic.Int64
	won, alreadyClaimed, tooFar, notActive, otherResult atomic.Int64
}
