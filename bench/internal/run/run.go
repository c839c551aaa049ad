// Package run orchestrates one load-generator run: it brings up (or
// attaches to) the system under test, creates the hunt, spreads the crowd
// over worker processes sized by the open-files limit, ramps them up,
// samples the edge while they play, drives hunt-status load and the
// coordinator failover, then merges what the workers measured into a
// report.Run with its correctness checks.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/veltrix/veltrix/bench/internal/report"
	"github.com/veltrix/veltrix/bench/internal/sample"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
	"github.com/veltrix/veltrix/bench/internal/system"
	"github.com/veltrix/veltrix/internal/uring"
)

// City is where the simulated hunt takes place (Amsterdam).
var City = [2]float64{52.3676, 4.9041}

// Resolution of the bench hunt's cells (res 9: ~174 m edges).
const Resolution = 9

// Options configure Execute.
type Options struct {
	Self     string    // this executable, started as "Self worker"
	Progress io.Writer // progress bars; nil: none
	Logs     io.Writer // the local system's logs; nil: discarded
}

// Execute runs cfg and returns what it measured.
func Execute(ctx context.Context, cfg scenario.Config, o Options) (*report.Run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	nofile, err := OpenFilesLimit()
	if err != nil {
		return nil, err
	}
	if cfg.Client == "auto" {
		cfg.Client = "go"
		if _, err := uring.Probe(); err == nil && cfg.Transport == "ws" {
			cfg.Client = "uring"
		}
	}
	if cfg.Workers == 0 && cfg.Client == "uring" {
		cfg.Workers = (cfg.Players + scenario.PlayersPerRingWorker - 1) / scenario.PlayersPerRingWorker
	} else if cfg.Workers == 0 {
		if cfg.Workers, err = scenario.WorkersFor(cfg.Players, nofile, 512); err != nil {
			return nil, err
		}
	}
	if cfg.Label == "" {
		cfg.Label = cfg.Scenario
		if len(cfg.EdgeArgs) > 0 {
			cfg.Label = strings.Join(cfg.EdgeArgs, " ")
		}
	}
	var sys *system.System
	if cfg.Edge == "" {
		voters := 1
		if cfg.Scenario == "failover" {
			voters = 3
		}
		fmt.Fprintf(o.Progress, "[%s] starting %d coordinator(s) and an edge from %s\n", cfg.Label, voters, cfg.BinDir)
		if sys, err = system.Start(system.LocalOptions{BinDir: cfg.BinDir, Voters: voters, EdgeArgs: cfg.EdgeArgs, Stderr: o.Logs, Edges: cfg.Edges}); err != nil {
			return nil, err
		}
		defer sys.Close()
	} else {
		sys = system.Attach(cfg.Edge, cfg.Coordinator, cfg.AdminToken)
	}
	r := &report.Run{Label: cfg.Label, Scenario: cfg.Scenario, Config: cfg, Machine: report.ThisMachine(nofile),
		Date: time.Now().UTC(), Workers: cfg.Workers}
	hc := &http.Client{Timeout: 10 * time.Second}
	metricsURL := sys.Edge + "/metrics"
	if base, err := sample.Scrape(ctx, hc, metricsURL); err == nil {
		r.Edge.BaseRSS, r.Edge.BaseHeap, r.Edge.Sampled = base.RSS, base.HeapInuse+base.StackInuse, true
	} else {
		fmt.Fprintf(o.Progress, "[%s] the edge's /metrics cannot be read (%v): edge figures are left out\n", cfg.Label, err)
	}
	job, err := prepare(cfg, sys)
	if err != nil {
		return nil, err
	}
	return r, play(ctx, cfg, o, sys, r, job, hc, metricsURL)
}

// prepare creates the hunt and picks the hotspots.
func prepare(cfg scenario.Config, sys *system.System) (sim.Job, error) {
	hunt := cfg.Hunt
	if hunt == 0 {
		var err error
		hunt, err = sys.CreateHunt(system.HuntOptions{Center: City, SizeKm: cfg.CitySize, Resolution: Resolution,
			Treasures: treasureCount(cfg), Respawn: cfg.Scenario == "failover"})
		if err != nil {
			return sim.Job{}, fmt.Errorf("cannot create the hunt: %w", err)
		}
	}
	job := sim.Job{Hunt: hunt, Res: Resolution, City: City, Spread: 150, Observe: 4, Seed: 1}
	rng := rand.New(rand.NewPCG(7, 7))
	switch cfg.Scenario {
	case "claim-storm": // the crowd stands on the treasures
		d, err := sys.Hunt(hunt)
		if err != nil {
			return job, err
		}
		for i := 0; i < cfg.Hotspots && i < len(d.Treasures); i++ {
			t := d.Treasures[i]
			job.Hotspots = append(job.Hotspots, [2]float64{float64(t.Lat) / 1e7, float64(t.Lng) / 1e7})
		}
		job.Spread = 15
	case "crowd": // a stadium: everyone uniformly within 300 m of the city's centre
		job.Disc = 300
		job.Hotspots = [][2]float64{City}
	case "hotspot": // one cell and its ring
		job.Spread = 60
		fallthrough
	default:
		half := cfg.CitySize / 2 * 0.8
		for range cfg.Hotspots {
			dy, dx := (rng.Float64()*2-1)*half, (rng.Float64()*2-1)*half
			job.Hotspots = append(job.Hotspots, [2]float64{City[0] + dy/111.32, City[1] + dx/(111.32*0.6101)})
		}
	}
	if cfg.Players > 4000 {
		job.Observe = cfg.Players / 1000 // about a thousand observers decode everything
	}
	if cfg.Transport == "wt" {
		url, hash, err := sys.WTInfo()
		if err != nil {
			return job, fmt.Errorf("the edge has no WebTransport: %w", err)
		}
		job.URL, job.CertHash = url, hash
	} else {
		job.URL = sys.WSURL()
	}
	if len(sys.Edges) > 1 { // players spread evenly over the region's edges
		for _, e := range sys.Edges {
			job.URLs = append(job.URLs, "ws://"+strings.TrimPrefix(e, "http://")+"/ws")
		}
	}
	return job, nil
}

// treasureCount is how many treasures the bench hunt of cfg holds.
func treasureCount(cfg scenario.Config) int {
	switch cfg.Scenario {
	case "claim-storm":
		return max(cfg.Hotspots, 1) * 4
	case "crowd": // a small city (2 km: 46 cells at resolution 9, 13 of them 2 apart)
		return 10
	}
	return 200
}

// workersCPU is the CPU seconds the worker processes have used so far.
func workersCPU(ws []*workerProc) float64 {
	t := 0.0
	for _, w := range ws {
		if c, err := sample.ProcCPU(w.cmd.Process.Pid); err == nil {
			t += c
		}
	}
	return t
}

// play runs the workers through ramp and measured phase.
func play(ctx context.Context, cfg scenario.Config, o Options, sys *system.System, r *report.Run, job sim.Job, hc *http.Client, metricsURL string) error {
	ws, err := startWorkers(cfg, o, sys, job)
	if err != nil {
		return err
	}
	defer stopWorkers(ws)
	slab0, slabErr := sample.Slab()
	if err := ramp(ctx, cfg, o, ws, r, hc, metricsURL); err != nil {
		return err
	}
	if slab1, err := sample.Slab(); err == nil && slabErr == nil {
		r.SlabDelta = slab1 - slab0
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()

	phase, cancel := context.WithCancel(ctx)
	defer cancel()
	var before sample.Edge
	scrapes, scrapeCost := 0, 0.0
	if r.Edge.Sampled {
		if before, scrapeCost, err = baseline(ctx, hc, metricsURL); err != nil {
			return err
		}
	}
	regionBefore := scrapeRegion(ctx, hc, sys)
	genBefore := workersCPU(ws)
	var sysc chan syscallCount
	if sys.EdgePID != 0 && r.Edge.Sampled {
		sysc = countSyscalls(phase, sys.EdgePID)
	}
	var st *statusLoad
	if cfg.StatusRate > 0 {
		st = startStatus(phase, fmt.Sprintf("%s/v1/hunts/%d/status", sys.Edge, job.Hunt), cfg.StatusRate)
	}
	r.CoordinatorClaims = -1
	coordBefore, coordErr := sample.Scrape(ctx, hc, sys.Coordinator+"/metrics")
	began := time.Now()
	var fo chan *report.Failover
	if cfg.Scenario == "failover" {
		fo = make(chan *report.Failover, 1)
		go func() { fo <- failover(phase, sys, began, cfg.KillAfter) }()
	}
	if err := goAll(ws); err != nil {
		return err
	}
	for running := true; running; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		running = stillRunning(ws)
		_, _, msgs, werr := progressOf(ws)
		if werr != nil {
			return werr
		}
		el := time.Since(began)
		if r.Edge.Sampled && int(el/time.Second)%timelineEvery == 0 {
			scrapes++
			if e, err := sample.Scrape(ctx, hc, metricsURL); err == nil {
				r.Timeline = append(r.Timeline, edgePoint(el.Seconds(), e))
			}
		}
		fmt.Fprintf(o.Progress, "\r[%s] run  %s %.0f/%.0fs, %d messages received   ", cfg.Label,
			bar(int64(el/time.Second), int64(cfg.Duration/time.Second)), el.Seconds(), cfg.Duration.Seconds(), msgs)
	}
	fmt.Fprintln(o.Progress)
	if r.Edge.Sampled {
		after, err := sample.Scrape(ctx, hc, metricsURL)
		if err != nil {
			return err
		}
		r.Edge.Before, r.Edge.After, r.Edge.Delta = before, after, sample.Between(before, after)
		r.GeneratorCPU = workersCPU(ws) - genBefore
		r.Edge.ScrapeMallocs = scrapeCost * float64(scrapes+1)
	}
	r.Region = regionShares(regionBefore, scrapeRegion(ctx, hc, sys), sys.Edges)
	if coordErr == nil && cfg.Scenario != "failover" { // the same coordinator before and after
		if after, err := sample.Scrape(ctx, hc, sys.Coordinator+"/metrics"); err == nil {
			r.CoordinatorClaims = after.CoordinatorClaims - coordBefore.CoordinatorClaims
		}
	}
	for _, w := range ws { // the players disconnect
		w.stdin.Close()
	}
	cancel()
	if sysc != nil {
		(<-sysc).into(r)
	}
	if st != nil {
		st.wait()
		r.Status, r.StatusSent, r.StatusErrs, r.StatusTS = st.rec.Total(), st.sent.Load(), st.errs.Load(), st.series
	}
	if fo != nil {
		r.Failover = <-fo
	}
	return conclude(cfg, sys, job.Hunt, ws, r)
}

// conclude merges what the workers measured into r and checks it.
func conclude(cfg scenario.Config, sys *system.System, hunt uint32, ws []*workerProc, r *report.Run) error {
	results, err := resultsOf(ws)
	if err != nil {
		return err
	}
	if r.Crowd, err = sim.Merge(results); err != nil {
		return err
	}
	if r.Failover != nil {
		r.Failover.Window(r.Crowd.Series)
	}
	var claimedBy map[uint32]uint32
	if cfg.Claims {
		claimedBy = claimsOf(sys, hunt)
	}
	r.Check(claimedBy)
	r.Derive()
	return nil
}

// baseline scrapes the edge twice before the phase. A scrape allocates in
// the edge too: two back to back measure what one costs, and the scrapes
// made during the phase are taken off its allocation count.
func baseline(ctx context.Context, hc *http.Client, metricsURL string) (before sample.Edge, cost float64, err error) {
	first, err := sample.Scrape(ctx, hc, metricsURL)
	if err != nil {
		return before, 0, err
	}
	if before, err = sample.Scrape(ctx, hc, metricsURL); err != nil {
		return before, 0, err
	}
	return before, before.Mallocs - first.Mallocs, nil
}

// ramp waits until every worker has connected its players, sampling the
// edge's memory against its connections.
func ramp(ctx context.Context, cfg scenario.Config, o Options, ws []*workerProc, r *report.Run, hc *http.Client, metricsURL string) error {
	rampStart := time.Now()
	allReady := make(chan struct{})
	go func() {
		for _, w := range ws {
			<-w.ready
		}
		close(allReady)
	}()
	tick := time.NewTicker(250 * time.Millisecond) // ramp: memory against connections
	defer tick.Stop()
	for ramping := true; ramping; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-allReady:
			ramping = false
		case <-tick.C:
		}
		conn, failed, _, werr := progressOf(ws)
		if werr != nil {
			return werr
		}
		if r.Edge.Sampled {
			if e, err := sample.Scrape(ctx, hc, metricsURL); err == nil {
				r.RampMemory = append(r.RampMemory, edgePoint(time.Since(rampStart).Seconds(), e))
			}
		}
		fmt.Fprintf(o.Progress, "\r[%s] ramp %s %d/%d connected, %d failed   ", cfg.Label, bar(conn, int64(cfg.Players)), conn, cfg.Players, failed)
	}
	r.RampTime = time.Since(rampStart).Seconds()
	fmt.Fprintln(o.Progress)
	return nil
}

// edgePoint is the edge's scrape e at t seconds.
func edgePoint(t float64, e sample.Edge) report.EdgePoint {
	return report.EdgePoint{T: t, Connections: e.Connections, RSS: e.RSS, Heap: e.HeapInuse + e.StackInuse,
		CPU: e.CPUSeconds, Goroutines: e.Goroutines}
}

// claimsOf is who claimed each treasure of the hunt (nil when it cannot be
// read).
func claimsOf(sys *system.System, hunt uint32) map[uint32]uint32 {
	d, err := sys.Hunt(hunt)
	if err != nil {
		return nil
	}
	claimedBy := map[uint32]uint32{}
	for _, t := range d.Treasures {
		claimedBy[t.ID] = t.ClaimedBy
	}
	return claimedBy
}

// timelineEvery is how often (s) the edge is sampled during the phase.
const timelineEvery = 5

type syscallCount struct {
	n   uint64
	err error
}

// countSyscalls counts the edge's system calls until ctx ends.
func countSyscalls(ctx context.Context, pid int) chan syscallCount {
	c := make(chan syscallCount, 1)
	go func() {
		n, err := sample.Syscalls(ctx, pid)
		c <- syscallCount{n, err}
	}()
	return c
}

// into records the count, or why there is none, in r.
func (sc syscallCount) into(r *report.Run) {
	if sc.err != nil {
		r.Edge.SyscallsErr = sc.err.Error()
	} else {
		r.Edge.Syscalls = sc.n
	}
}

// failover kills the coordinator leader at killAfter and times the next
// leader's election.
func failover(ctx context.Context, sys *system.System, began time.Time, killAfter time.Duration) *report.Failover {
	f := &report.Failover{}
	select {
	case <-ctx.Done():
		return f
	case <-time.After(time.Until(began.Add(killAfter))):
	}
	killed, err := sys.KillLeader()
	if err != nil {
		f.Killed = "none: " + err.Error()
		return f
	}
	f.Killed, f.KilledAt = killed, time.Since(began).Seconds()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if l, err := sys.Leader(); err == nil {
			f.NewLeader, f.NewLeaderAt = l, time.Since(began).Seconds()
			return f
		}
		select {
		case <-ctx.Done():
			return f
		case <-t.C:
		}
	}
}

// OpenFilesLimit reads this process's RLIMIT_NOFILE (the soft limit, which
// Go raises to the hard limit at start) from /proc/self/limits.
func OpenFilesLimit() (int, error) {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0, fmt.Errorf("cannot read the open-files limit: %w", err)
	}
	return parseLimits(string(b))
}

func parseLimits(s string) (int, error) {
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "Max open files") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(l, "Max open files"))
		if len(f) < 1 {
			break
		}
		if f[0] == "unlimited" {
			return 1 << 20, nil
		}
		return strconv.Atoi(f[0])
	}
	return 0, errors.New("no \"Max open files\" line in /proc/self/limits")
}

// scrapeRegion scrapes every edge of a region run (nil for a lone edge or
// when one cannot be read).
func scrapeRegion(ctx context.Context, hc *http.Client, sys *system.System) []sample.Edge {
	if len(sys.Edges) < 2 {
		return nil
	}
	var out []sample.Edge
	for _, e := range sys.Edges {
		s, err := sample.Scrape(ctx, hc, e+"/metrics")
		if err != nil {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// regionShares is each edge's CPU and route traffic between two scrapes.
func regionShares(before, after []sample.Edge, urls []string) []report.EdgeShare {
	if len(before) != len(urls) || len(after) != len(urls) {
		return nil
	}
	var out []report.EdgeShare
	for i, u := range urls {
		a, b := before[i], after[i]
		out = append(out, report.EdgeShare{URL: u, Seconds: b.At.Sub(a.At).Seconds(), CPUSeconds: b.CPUSeconds - a.CPUSeconds,
			RouteIn: b.RouteIn - a.RouteIn, RouteOut: b.RouteOut - a.RouteOut})
	}
	return out
}
