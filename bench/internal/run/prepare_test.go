package run

import (
	"context"
	"math"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
	"github.com/veltrix/veltrix/bench/internal/system"
	"github.com/veltrix/veltrix/coordinator"
)

// attached is a system.System on an in-process single-node coordinator
// that leads; its edge is edge (never dialled by prepare for ws).
func attached(t *testing.T, edge string) *system.System {
	t.Helper()
	const admin = "run-test-admin"
	c, err := coordinator.Embedded(t.TempDir(), admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return system.Attach(edge, c.URL(), admin)
}

// prepare creates the hunt each scenario needs and places its hotspots:
// on the treasures for claim-storm, inside the city otherwise.
func TestPrepare(t *testing.T) {
	sys := attached(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		name     string
		cfg      scenario.Config
		spread   float64
		observe  int
		hotspots int
	}{
		{"steady", scenario.Config{Scenario: "steady", Players: 100, Hotspots: 3, CitySize: 12}, 150, 4, 3},
		{"hotspot", scenario.Config{Scenario: "hotspot", Players: 100, Hotspots: 1, CitySize: 12}, 60, 4, 1},
		{"claim-storm", scenario.Config{Scenario: "claim-storm", Players: 100, Hotspots: 5, CitySize: 12}, 15, 4, 5},
		{"large crowd", scenario.Config{Scenario: "steady", Players: 12000, Hotspots: 0, CitySize: 12}, 150, 12, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := prepare(tc.cfg, sys)
			if err != nil {
				t.Fatal(err)
			}
			if job.Hunt == 0 || job.Res != Resolution || job.City != City || job.URL != "ws://127.0.0.1:1/ws" {
				t.Errorf("job: hunt %d, res %d, city %v, url %q", job.Hunt, job.Res, job.City, job.URL)
			}
			if job.Spread != tc.spread || job.Observe != tc.observe || len(job.Hotspots) != tc.hotspots {
				t.Errorf("spread %v, observe %d, %d hotspots; want %v, %d, %d", job.Spread, job.Observe, len(job.Hotspots), tc.spread, tc.observe, tc.hotspots)
			}
			half := tc.cfg.CitySize / 2 / 111.32 / math.Cos(City[0]*math.Pi/180) // the widest, in longitude degrees
			if tc.cfg.Scenario == "claim-storm" {
				// On treasures: a treasure lies in a cell whose centre is in
				// the city, anywhere in that cell (res 9: edges of 0.17 km on average,
				// 0.3 km allows for the grid's distortion).
				half += 0.3 / 111.32 / math.Cos(City[0]*math.Pi/180)
			}
			for _, h := range job.Hotspots {
				if math.Abs(h[0]-City[0]) > half || math.Abs(h[1]-City[1]) > half {
					t.Errorf("hotspot %v outside the %v km city around %v", h, tc.cfg.CitySize, City)
				}
			}
			if tc.cfg.Scenario != "claim-storm" {
				return
			}
			d, err := sys.Hunt(job.Hunt)
			if err != nil {
				t.Fatal(err)
			}
			if d.Total != 4*tc.cfg.Hotspots {
				t.Errorf("claim-storm hunt has %d treasures, want 4 per hotspot", d.Total)
			}
			for i, h := range job.Hotspots {
				tr := d.Treasures[i]
				if h != [2]float64{float64(tr.Lat) / 1e7, float64(tr.Lng) / 1e7} {
					t.Errorf("hotspot %d at %v, not on treasure %d", i, h, tr.ID)
				}
			}
		})
	}
}

// A given hunt is used as it is, and the same config gives the same
// hotspots (the run is reproducible).
func TestPrepareGivenHunt(t *testing.T) {
	sys := attached(t, "http://127.0.0.1:1")
	cfg := scenario.Config{Scenario: "steady", Players: 10, Hotspots: 4, CitySize: 3, Hunt: 77}
	a, err := prepare(cfg, sys)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := prepare(cfg, sys)
	if a.Hunt != 77 || len(a.Hotspots) != 4 || !slices.Equal(a.Hotspots, b.Hotspots) {
		t.Errorf("hunt %d, hotspots %v then %v", a.Hunt, a.Hotspots, b.Hotspots)
	}
	if _, err := sys.Hunt(77); err == nil {
		t.Error("prepare created a hunt though one was given")
	}
}

// A WebTransport run against an edge without WebTransport stops before
// any worker starts, saying so.
func TestPrepareWithoutWebTransport(t *testing.T) {
	sys := attached(t, "http://127.0.0.1:1") // nothing listens there
	_, err := prepare(scenario.Config{Scenario: "steady", Players: 10, CitySize: 2, Hunt: 5, Transport: "wt"}, sys)
	if err == nil || !strings.Contains(err.Error(), "no WebTransport") {
		t.Fatalf("prepare for wt: %v", err)
	}
}

// failover against a system whose coordinators are not ours kills nothing
// and says why; a cancelled run kills nothing at all.
func TestFailoverNotOurs(t *testing.T) {
	sys := attached(t, "http://127.0.0.1:1")
	f := failover(context.Background(), sys, time.Now(), 0)
	if !strings.HasPrefix(f.Killed, "none: ") || f.NewLeader != "" {
		t.Errorf("failover: %+v", f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if f := failover(ctx, sys, time.Now(), time.Hour); f.Killed != "" || f.NewLeader != "" {
		t.Errorf("cancelled failover: %+v", f)
	}
}

// worker runs read over out as the stdout of a worker process that has
// exited with the status of a true or false command.
func worker(t *testing.T, out string, exitOK bool) *workerProc {
	t.Helper()
	name := "true"
	if !exitOK {
		name = "false"
	}
	cmd := exec.Command(name)
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot run %s: %v", name, err)
	}
	w := &workerProc{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	w.read(strings.NewReader(out))
	return w
}

// read keeps a worker's latest progress, adds its interval messages,
// keeps its result and its first error, and is ready once the ramp is
// done or the worker has ended.
func TestWorkerRead(t *testing.T) {
	t.Run("progress, intervals and result", func(t *testing.T) {
		w := worker(t, `{"progress":{"worker":1,"connected":5,"dial_errors":1,"messages":10}}
{"progress":{"worker":1,"connected":8,"dial_errors":2,"messages":20,"done":true}}
{"interval":{"t":1,"messages":7}}
{"interval":{"t":2,"messages":3}}
{"result":{"players":8,"connected":8}}
`, true)
		if w.prog != (sim.Progress{Worker: 1, Connected: 8, DialErrors: 2, Messages: 30, Done: true}) {
			t.Errorf("progress %+v", w.prog)
		}
		if w.result == nil || w.result.Players != 8 || w.err != nil {
			t.Errorf("result %+v, err %v", w.result, w.err)
		}
		select {
		case <-w.ready:
		default:
			t.Error("not ready after a done progress")
		}
		conn, failed, msgs, err := progressOf([]*workerProc{w, w})
		if conn != 16 || failed != 4 || msgs != 60 || err != nil {
			t.Errorf("progressOf: %d %d %d %v", conn, failed, msgs, err)
		}
	})
	t.Run("first error wins", func(t *testing.T) {
		w := worker(t, `{"error":"dial refused"}
{"error":"later"}
`, false)
		if w.err == nil || w.err.Error() != "dial refused" {
			t.Errorf("err %v", w.err)
		}
		if _, _, _, err := progressOf([]*workerProc{worker(t, "", true), w}); err != w.err {
			t.Errorf("progressOf err %v, want the failing worker's", err)
		}
	})
	t.Run("garbage, truncated", func(t *testing.T) {
		w := worker(t, strings.Repeat("x", 300)+"\n", true)
		if w.err == nil || !strings.Contains(w.err.Error(), strings.Repeat("x", 200)+"…") || strings.Contains(w.err.Error(), strings.Repeat("x", 201)) {
			t.Errorf("err %v", w.err)
		}
	})
	t.Run("exit status", func(t *testing.T) {
		w := worker(t, "", false)
		if w.err == nil || !strings.HasPrefix(w.err.Error(), "worker: ") {
			t.Errorf("err %v", w.err)
		}
		select {
		case <-w.ready: // a worker that ended never blocks the ramp
		default:
			t.Error("not ready after the worker ended")
		}
	})
}
