// Package sim is the simulated crowd: players that connect to an edge with
// the public Go client, walk (roaming the city or milling around
// hotspots), send positions at a set rate, claim treasures they reach, and
// check what they receive. A worker runs a slice of the crowd — one per
// process, so that connections spread over several processes' open-file
// limits — and reports counters, histograms and a per-second series that
// the parent merges.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/ringclient"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// Job is one worker's share of a run.
type Job struct {
	Config scenario.Config `json:"config"`
	Worker int             `json:"worker"`
	First  int             `json:"first"` // player ids are First+1 … First+len(Tokens)
	Tokens []string        `json:"tokens"`
	URL    string          `json:"url"` // ws:// or https:// (WebTransport)
	// URLs, when set, spread the players over several edges: player id p
	// connects to URLs[p % len(URLs)].
	URLs     []string     `json:"urls,omitempty"`
	CertHash []byte       `json:"cert_hash,omitempty"`
	Hunt     uint32       `json:"hunt"`
	Res      int          `json:"res"` // the hunt's H3 resolution
	City     [2]float64   `json:"city"`
	Hotspots [][2]float64 `json:"hotspots,omitempty"`
	Spread   float64      `json:"spread"` // hotspot crowd spread, m
	// Disc, when set, stands the hotspot players uniformly within Disc
	// metres of their hotspot instead (the crowd scenario's stadium).
	Disc    float64 `json:"disc,omitempty"`
	Observe int     `json:"observe"` // every Observe-th player measures delivery
	Seed    uint64  `json:"seed"`
}

// walker is the walk of a player of job around hotspot hs (nil: roaming).
func (job Job) walker(rng *rand.Rand, hs *[2]float64) *walker {
	if hs != nil && job.Disc > 0 {
		return newDiskWalker(rng, *hs, job.Disc)
	}
	return newWalker(rng, job.City, job.Config.CitySize, hs, job.Spread)
}

// Progress is what a worker reports while it ramps up.
type Progress struct {
	Worker     int   `json:"worker"`
	Connected  int64 `json:"connected"`
	DialErrors int64 `json:"dial_errors"`
	Messages   int64 `json:"messages"`
	Done       bool  `json:"done"` // the ramp is over: waiting for start
}

// Interval is one second of the measured phase.
type Interval struct {
	T         float64 `json:"t"` // seconds since the phase began
	Messages  int64   `json:"messages"`
	Entries   int64   `json:"entries"`
	Positions int64   `json:"positions"`
	Claims    int64   `json:"claims"`
	// Errors: ERROR messages from the edge, failed sends, disconnects and
	// claims answered "unavailable" (or with an unknown outcome).
	Errors   int64   `json:"errors"`
	Delivery *hist.H `json:"delivery"`
	Claim    *hist.H `json:"claim"`
}

// Result is a worker's report (or several merged).
type Result struct {
	Players    int                 `json:"players"`
	Connected  int64               `json:"connected"`
	DialErrors int64               `json:"dial_errors"`
	DialError  string              `json:"dial_error,omitempty"` // the first one
	Elapsed    time.Duration       `json:"elapsed_ns"`           // measured phase
	Handshake  *hist.H             `json:"handshake"`
	Delivery   *hist.H             `json:"delivery"`
	Claim      *hist.H             `json:"claim"`
	Counters   map[string]int64    `json:"counters"`
	Errors     map[string]int64    `json:"errors"` // ERROR messages by code
	Winners    map[uint32][]uint32 `json:"winners"`
	Series     []Interval          `json:"series"`
	// The crowd scenario's: per player, position bytes per second (as µs:
	// see crowd.go); each observer's oldest neighbour, sampled each second,
	// over those it holds (all, within 50 m and its 100 nearest within
	// 50 m) and over those that truly stand within 50 m of it and in its
	// refined interest area (truth.go).
	PositionBytes    *hist.H `json:"position_bytes,omitempty"`
	Staleness        *hist.H `json:"staleness,omitempty"`
	NearStaleness    *hist.H `json:"near_staleness,omitempty"`
	NearestStaleness *hist.H `json:"nearest_staleness,omitempty"`
	Near50Staleness  *hist.H `json:"near50_staleness,omitempty"`
	AreaStaleness    *hist.H `json:"area_staleness,omitempty"`
}

type worker struct {
	job       Job
	res       int
	c         counters
	measuring atomic.Bool
	// playing: the measured phase's players send positions (the io_uring
	// rings' wheels send only then)
	playing   atomic.Bool
	delivery  *hist.Recorder
	claimRTT  *hist.Recorder
	handshake *hist.Recorder

	msgBase, entBase int64            // received() when the measured phase began
	ringBase         ringclient.Stats // ringStats() then

	// outstanding counts the claims sent and not yet answered; the answer
	// that brings it to zero signals drained (capacity 1, never blocks).
	outstanding atomic.Int64
	drained     chan struct{}
	// claimGrace is how long, after the measured phase, claims still in
	// flight get to be answered before they count as unanswered.
	claimGrace time.Duration

	mu       sync.Mutex
	errs     map[string]int64
	winners  map[uint32][]uint32
	dialErr  string
	players  []*player
	finished []bool
	// engs are the io_uring clients (Config.Client uring), one per edge
	// URL (urlIndex); none: protocol/client.
	engs []*ringclient.Engine
}

// ClaimGrace is how long claims still in flight when the measured phase
// ends get to be answered before they count as unanswered.
const ClaimGrace = 5 * time.Second

func newWorker(job Job) *worker {
	return &worker{job: job, res: job.Res, delivery: hist.NewRecorder(), claimRTT: hist.NewRecorder(),
		handshake: hist.NewRecorder(), errs: map[string]int64{}, winners: map[uint32][]uint32{},
		drained: make(chan struct{}, 1), claimGrace: ClaimGrace}
}

func (w *worker) count(c *atomic.Int64, n int64) { c.Add(n) }

// Run plays job: it connects the players at the ramp rate (reporting
// progress), then waits for start, then measures for the configured
// duration, reporting each second to interval, and hands the result to
// done while the players are still connected (so that the edge can be
// sampled as it was). It disconnects them and returns once ctx ends.
func Run(ctx context.Context, job Job, start <-chan struct{}, progress func(Progress), interval func(Interval), done func(Result)) error {
	cfg := job.Config
	if job.Observe <= 0 {
		job.Observe = 1
	}
	w := newWorker(job)
	w.players = make([]*player, len(job.Tokens))
	w.finished = make([]bool, len(job.Tokens))
	rng := rand.New(rand.NewPCG(job.Seed, uint64(job.Worker)))
	for i := range w.players {
		p := &player{w: w, idx: i, id: uint32(job.First + i + 1), observe: (job.First+i)%job.Observe == 0}
		if p.observe && cfg.Scenario == "crowd" {
			p.watch = newCrowdWatch(time.Now())
		}
		var hs *[2]float64
		if len(job.Hotspots) > 0 && rng.Float64() < cfg.HotspotShare {
			hs = &job.Hotspots[rng.IntN(len(job.Hotspots))]
		}
		p.walk = job.walker(rand.New(rand.NewPCG(job.Seed, uint64(p.id))), hs)
		w.players[i] = p
	}
	defer w.closeAll()
	if cfg.Client == "uring" && cfg.Transport == "ws" {
		if err := w.startEngines(); err != nil {
			return err
		}
	}
	if err := w.ramp(ctx, progress); err != nil {
		return err
	}
	select {
	case <-start:
	case <-ctx.Done():
		return ctx.Err()
	}
	done(w.measure(ctx, interval))
	<-ctx.Done()
	return nil
}

// ramp dials every player at the ramp rate (this worker's share of it),
// at most 64 handshakes at once.
func (w *worker) ramp(ctx context.Context, progress func(Progress)) error {
	cfg := w.job.Config
	workers := max(cfg.Workers, 1)
	gap := time.Duration(float64(time.Second) * float64(workers) / cfg.Ramp)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	report := time.NewTicker(time.Second)
	defer report.Stop()
	next := time.Now()
	for i, p := range w.players {
		if d := time.Until(next); d > 0 {
			select {
			case <-time.After(d): // pacing the ramp, not synchronisation
			case <-ctx.Done():
				wg.Wait()
				return ctx.Err()
			}
		}
		next = next.Add(gap)
		select {
		case <-report.C:
			progress(w.progress())
		default:
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.dial(ctx, p, i)
		}()
	}
	wg.Wait()
	pr := w.progress()
	pr.Done = true
	progress(pr)
	return nil
}

func (w *worker) progress() Progress {
	msgs, _ := w.received()
	return Progress{Worker: w.job.Worker, Connected: w.connected(), DialErrors: w.c.dialErrors.Load(), Messages: msgs}
}

func (w *worker) connected() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := int64(0)
	for _, p := range w.players {
		if p.cl != nil {
			n++
		}
	}
	return n
}

// urlIndex is the index in Job.URLs of the edge player i connects to (0
// without URLs).
func (w *worker) urlIndex(i int) int {
	if n := len(w.job.URLs); n > 0 {
		return (w.job.First + i + 1) % n
	}
	return 0
}

// url is the edge player i connects to.
func (w *worker) url(i int) string {
	if len(w.job.URLs) > 0 {
		return w.job.URLs[w.urlIndex(i)]
	}
	return w.job.URL
}

func (w *worker) dial(ctx context.Context, p *player, i int) {
	cfg := w.job.Config
	url := w.url(i)
	opts := client.Options{URL: url, Token: w.job.Tokens[i], Hunt: w.job.Hunt, Kind: protocol.KindBot,
		CertHash: w.job.CertHash, Frames: p.onFrame}
	if cfg.Transport == "ws" && cfg.Sources > 1 {
		opts.LocalAddr = fmt.Sprintf("127.0.0.%d", 2+(w.job.First+i)%cfg.Sources)
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 := time.Now()
	var cl playerConn
	var err error
	if len(w.engs) > 0 {
		cl, err = w.dialRing(dctx, p, i)
	} else {
		cl, err = client.Dial(dctx, opts)
	}
	if err != nil {
		w.c.dialErrors.Add(1)
		w.mu.Lock()
		if w.dialErr == "" {
			w.dialErr = err.Error()
		}
		w.mu.Unlock()
		return
	}
	w.handshake.Record(i, time.Since(t0))
	w.mu.Lock()
	p.cl = cl
	w.mu.Unlock()
	p.step(0) // place the player at once
}

// measure runs the measured phase.
func (w *worker) measure(ctx context.Context, interval func(Interval)) Result {
	cfg := w.job.Config
	w.resetCounts()
	w.measuring.Store(true)
	began := time.Now()
	pctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	const shards = 4
	var wg sync.WaitGroup
	var crowd *crowdStats
	if cfg.Scenario == "crowd" {
		crowd = newCrowdStats()
		wg.Add(1)
		go func() { defer wg.Done(); w.sampleStaleness(pctx, crowd) }()
	}
	w.playing.Store(true)
	for s := range shards {
		wg.Add(1)
		go func() { defer wg.Done(); w.play(pctx, s, shards) }()
	}
	series := w.everySecond(pctx, began, interval)
	w.playing.Store(false)
	wg.Wait()
	elapsed := time.Since(began)
	msgs, ents := w.received() // the phase's; what comes while claims drain is not
	if cfg.Claims {
		w.awaitClaims(ctx, w.claimGrace)
	}
	w.measuring.Store(false)
	counters := w.counters(msgs, ents)
	w.mu.Lock()
	defer w.mu.Unlock()
	r := Result{Players: len(w.players), Connected: int64(countTrue(w.players)), DialErrors: w.c.dialErrors.Load(),
		DialError: w.dialErr, Elapsed: elapsed, Handshake: w.handshake.Total(), Delivery: w.delivery.Total(),
		Claim: w.claimRTT.Total(), Counters: counters, Errors: w.errs, Winners: w.winners, Series: series}
	if crowd != nil {
		w.positionBytes(crowd, elapsed)
		r.PositionBytes, r.Staleness, r.NearStaleness = crowd.bytes, crowd.staleness, crowd.near
		r.NearestStaleness, r.Near50Staleness, r.AreaStaleness = crowd.nearest, crowd.every50, crowd.area
	}
	return r
}

// resetCounts starts the measured phase's counts from zero: the counters,
// the histograms' intervals and the bases of what players received.
func (w *worker) resetCounts() {
	w.msgBase, w.entBase = w.received()
	w.ringBase = w.ringStats()
	for _, c := range []*atomic.Int64{&w.c.positions, &w.c.events, &w.c.hints, &w.c.badFrames,
		&w.c.wrongCell, &w.c.sendErrors, &w.c.claimsSent, &w.c.claimUnmatched, &w.c.edgeErrors, &w.c.won,
		&w.c.alreadyClaimed, &w.c.tooFar, &w.c.notActive, &w.c.otherResult, &w.c.disconnects} {
		c.Store(0)
	}
	w.delivery.TakeInterval()
	w.claimRTT.TakeInterval()
	for _, p := range w.players {
		p.posBase = p.posBytes.Load()
	}
}

// everySecond reports an Interval each second until ctx ends (and one
// more then), and returns them all.
func (w *worker) everySecond(ctx context.Context, began time.Time, interval func(Interval)) []Interval {
	var series []Interval
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last [5]int64
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		msgs, ents := w.received()
		cur := [5]int64{msgs - w.msgBase, ents - w.entBase, w.c.positions.Load(), w.c.claimsSent.Load(), w.errorCount()}
		iv := Interval{T: time.Since(began).Seconds(), Messages: cur[0] - last[0], Entries: cur[1] - last[1],
			Positions: cur[2] - last[2], Claims: cur[3] - last[3], Errors: cur[4] - last[4],
			Delivery: w.delivery.TakeInterval(), Claim: w.claimRTT.TakeInterval()}
		last = cur
		series = append(series, iv)
		interval(iv)
	}
	return series
}

func countTrue(ps []*player) int {
	n := 0
	for _, p := range ps {
		if p.cl != nil {
			n++
		}
	}
	return n
}

// counters are the worker's counts; msgs and ents are received() at the
// end of the measured phase.
func (w *worker) counters(msgs, ents int64) map[string]int64 {
	c := &w.c
	return w.withRingCounters(map[string]int64{"messages": msgs - w.msgBase, "entries": ents - w.entBase, "positions": c.positions.Load(),
		"events": c.events.Load(), "hints": c.hints.Load(), "bad_frames": c.badFrames.Load(), "wrong_cell": c.wrongCell.Load(),
		"send_errors": c.sendErrors.Load(), "disconnects": c.disconnects.Load(), "claims_sent": c.claimsSent.Load(),
		"claim_unmatched": c.claimUnmatched.Load(), "edge_errors": c.edgeErrors.Load(), "claims_won": c.won.Load(),
		"claims_already_claimed": c.alreadyClaimed.Load(), "claims_too_far": c.tooFar.Load(),
		"claims_hunt_not_active": c.notActive.Load(), "claims_other": c.otherResult.Load(),
		"claims_unanswered": w.unanswered()})
}

// play drives shard s of the players: each sends at the configured rate
// (phases spread so that sends do not come in bursts) and claims, and
// counts those disconnected. Players on io_uring rings are sent for by
// their ring's wheel (ringConn.due): then this only claims and counts.
func (w *worker) play(ctx context.Context, s, shards int) {
	cfg := w.job.Config
	storm := cfg.Scenario == "claim-storm"
	period, every := w.period(), 20*time.Millisecond
	if len(w.engs) > 0 {
		period = 0
		if !cfg.Claims {
			every = 250 * time.Millisecond
		}
	}
	next := make([]time.Time, len(w.players))
	now := time.Now()
	for i := s; i < len(w.players); i += shards {
		if period > 0 {
			next[i] = now.Add(time.Duration(uint64(i) * uint64(period) / uint64(len(w.players))))
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now = <-t.C:
		}
		for i := s; i < len(w.players); i += shards {
			p := w.players[i]
			if p.cl == nil || w.finished[i] {
				continue
			}
			if p.cl.Err() != nil {
				w.finished[i] = true // this shard alone writes finished[i]
				w.c.disconnects.Add(1)
				continue
			}
			if period > 0 && !now.Before(next[i]) {
				dt := period.Seconds()
				p.step(dt)
				next[i] = next[i].Add(period)
				if now.Sub(next[i]) > period { // fell behind: do not burst
					next[i] = now.Add(period)
				}
			}
			if cfg.Claims {
				p.maybeClaim(now, storm)
			}
		}
	}
}

func (w *worker) closeAll() {
	if len(w.engs) > 0 { // closing the rings closes their connections
		for _, e := range w.engs {
			if e != nil {
				e.Close()
			}
		}
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, p := range w.players {
		if p.cl == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = p.cl.Close()
		}()
	}
	wg.Wait()
}
