// Package scenario is the load generator's configuration: which scenario,
// against what, with how many players doing what. A Config is a plain
// struct — zero values mean the scenario's defaults, sized for a 2-core
// machine — that Validate explains in words when it is wrong.
package scenario

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Names of the scenarios, in the order the help lists them.
var Names = []string{"connect-storm", "steady", "hotspot", "claim-storm", "hunt-status", "failover", "crowd"}

// Config is one scenario run.
type Config struct {
	Scenario string `json:"scenario"`

	// The system under test. With Edge empty the tool starts its own from
	// the binaries in BinDir (a coordinator — three for failover — and an
	// edge started with EdgeArgs).
	Edge        string   `json:"edge,omitempty"`        // edge base URL, http://host:port
	Coordinator string   `json:"coordinator,omitempty"` // coordinator API base URL (admin)
	AdminToken  string   `json:"-"`
	Hunt        uint32   `json:"hunt,omitempty"` // 0: create one
	BinDir      string   `json:"bin_dir,omitempty"`
	EdgeArgs    []string `json:"edge_args,omitempty"`
	Label       string   `json:"label,omitempty"` // names the target in comparisons

	// The crowd.
	Players   int           `json:"players"`
	Transport string        `json:"transport"` // ws or wt
	Rate      float64       `json:"rate"`      // positions per second per player
	Duration  time.Duration `json:"duration"`  // measured phase, after the ramp
	Ramp      float64       `json:"ramp"`      // connections per second
	Hotspots  int           `json:"hotspots"`
	// HotspotShare of the players walk around hotspots; the rest roam the
	// city.
	HotspotShare float64 `json:"hotspot_share"`
	CitySize     float64 `json:"city_km"` // side of the square city, km
	Claims       bool    `json:"claims"`  // players claim treasures they reach

	StatusRate float64       `json:"status_rate"` // hunt-status requests per second
	KillAfter  time.Duration `json:"kill_after"`  // failover: leader killed this far into the run

	// Sizes: the crowd scenario runs once per size (players), in one
	// invocation; empty: once, with Players.
	Sizes []int `json:"sizes,omitempty"`

	Workers int `json:"workers"` // worker processes; 0: from RLIMIT_NOFILE (go client) or PlayersPerRingWorker
	// Client is how WebSocket players connect: "uring" (io_uring direct
	// descriptors, bench/internal/ringclient: no goroutine or fd per
	// player), "go" (protocol/client), or "auto" (uring where the kernel
	// allows it). WebTransport players always use "go".
	Client  string `json:"client"`
	Sources int    `json:"sources"` // source addresses 127.0.0.2 … (WebSocket)
	// Edges of one region the tool starts (routed over their embedded
	// NATS servers); the players are spread evenly over them.
	Edges int `json:"edges,omitempty"`
}

// Defaults returns the defaults of scenario name.
func Defaults(name string) Config {
	c := Config{Scenario: name, Transport: "ws", Client: "auto", Rate: 1, Duration: 20 * time.Second, Ramp: 1000,
		Hotspots: 4, HotspotShare: 0.5, CitySize: 10, Sources: 8, BinDir: "bin"}
	switch name {
	case "connect-storm":
		// Players connect, place themselves once and stay idle for the
		// measured phase: the edge's memory per idle connection.
		c.Players, c.Rate, c.Duration, c.Ramp = 5000, 0, 5*time.Second, 1000
	case "steady":
		c.Players = 2000
	case "hotspot":
		c.Players, c.Hotspots, c.HotspotShare = 2000, 1, 1
	case "claim-storm":
		c.Players, c.Claims, c.Hotspots, c.HotspotShare = 500, true, 10, 1
	case "hunt-status":
		c.Players, c.StatusRate = 200, 1000
	case "failover":
		c.Players, c.Claims, c.Duration, c.KillAfter = 500, true, 30*time.Second, 10*time.Second
	case "crowd":
		// A stadium: every player uniformly within 300 m of one spot
		// (newDiskWalker in sim), a position a second; a 2 km city around it.
		c.Players, c.Hotspots, c.HotspotShare, c.CitySize = 2000, 1, 1, 2
	}
	return c
}

// Validate says what is wrong with c, in words.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !slices.Contains(Names, c.Scenario) {
		bad("unknown scenario %q (want one of %s)", c.Scenario, strings.Join(Names, ", "))
	}
	c.checkSystem(bad)
	if c.Players < 1 || c.Players > 1_000_000 {
		bad("-players %d: want 1 … 1,000,000", c.Players)
	}
	if c.Transport != "ws" && c.Transport != "wt" {
		bad("-transport %q: want ws (WebSocket) or wt (WebTransport)", c.Transport)
	}
	if c.Rate < 0 || c.Rate > 5 {
		bad("-rate %v: want 0 … 5 positions per second (the edge's per-player limit)", c.Rate)
	}
	if c.Duration < 0 || c.Duration > 24*time.Hour {
		bad("-duration %v: want 0 … 24h", c.Duration)
	}
	if c.Duration == 0 && c.Scenario != "connect-storm" {
		bad("-duration must be positive for %s", c.Scenario)
	}
	if c.Ramp <= 0 || c.Ramp > 100_000 {
		bad("-ramp %v: want a positive rate up to 100,000 connections per second", c.Ramp)
	}
	if c.Hotspots < 0 || c.Hotspots > 1000 {
		bad("-hotspots %d: want 0 … 1000", c.Hotspots)
	}
	if c.HotspotShare < 0 || c.HotspotShare > 1 || (c.HotspotShare > 0 && c.Hotspots == 0) {
		bad("-hotspot-share %v: want 0 … 1, and some -hotspots when positive", c.HotspotShare)
	}
	if c.CitySize < 0.1 || c.CitySize > 100 {
		bad("-city-km %v: want 0.1 … 100", c.CitySize)
	}
	if c.StatusRate < 0 || c.StatusRate > 100_000 {
		bad("-status-rate %v: want 0 … 100,000 per second", c.StatusRate)
	}
	if c.Scenario == "hunt-status" && c.StatusRate == 0 {
		bad("hunt-status needs a positive -status-rate")
	}
	if c.Scenario == "failover" && (c.KillAfter <= 0 || c.KillAfter >= c.Duration) {
		bad("-kill-after %v must fall inside -duration %v", c.KillAfter, c.Duration)
	}
	if len(c.Sizes) > 0 && c.Scenario != "crowd" {
		bad("-sizes is for the crowd scenario")
	}
	for _, n := range c.Sizes {
		if n < 1 || n > 1_000_000 {
			bad("-sizes: %d players: want 1 … 1,000,000", n)
		}
	}
	if c.Client != "auto" && c.Client != "uring" && c.Client != "go" {
		bad("-client %q: want auto, uring or go", c.Client)
	}
	if c.Workers < 0 || c.Workers > 64 {
		bad("-workers %d: want 0 (automatic) … 64", c.Workers)
	}
	if c.Sources < 1 || c.Sources > 250 {
		bad("-sources %d: want 1 … 250 loopback source addresses", c.Sources)
	}
	return errors.Join(errs...)
}

// checkSystem reports, through bad, what is wrong with the system cfg
// names: an existing edge, or how many edges this tool starts.
func (c *Config) checkSystem(bad func(format string, a ...any)) {
	if c.Edge != "" {
		if u, err := url.Parse(c.Edge); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("-edge %q: want the edge's base URL, http://host:port", c.Edge)
		}
		if c.Coordinator == "" || c.AdminToken == "" {
			bad("-edge needs -coordinator and -admin-token (to create the hunt and mint player tokens)")
		}
		if len(c.EdgeArgs) > 0 {
			bad("-edge-args applies to an edge this tool starts, not to -edge")
		}
	}
	if c.Scenario == "failover" && c.Edge != "" {
		bad("failover kills a coordinator leader: it runs only against a system this tool starts (no -edge)")
	}
	if c.Edges < 0 || c.Edges > 8 || c.Edges > 1 && (c.Edge != "" || c.Transport != "ws") {
		bad("-edges %d: want 0 … 8, over WebSocket, on a system this tool starts", c.Edges)
	}
}

// Flags binds c's fields to flags on fs (c holds the defaults shown).
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Edge, "edge", c.Edge, "edge base URL (default: start a local system from -bin-dir)")
	fs.StringVar(&c.Coordinator, "coordinator", c.Coordinator, "coordinator API base URL (with -edge)")
	fs.StringVar(&c.AdminToken, "admin-token", c.AdminToken, "coordinator admin token (with -edge)")
	fs.Func("hunt", "existing hunt id (default: create one)", func(s string) error {
		var h uint32
		if _, err := fmt.Sscan(s, &h); err != nil || h == 0 {
			return fmt.Errorf("want a positive hunt id")
		}
		c.Hunt = h
		return nil
	})
	fs.StringVar(&c.BinDir, "bin-dir", c.BinDir, "where veltrix-edge and veltrix-coordinator are (make build)")
	fs.Func("edge-args", "extra flags for the edge this tool starts, space-separated (e.g. \"-transport=uring\")", func(s string) error {
		c.EdgeArgs = strings.Fields(s)
		return nil
	})
	fs.StringVar(&c.Label, "label", c.Label, "name of the target in reports")
	fs.IntVar(&c.Players, "players", c.Players, "simulated players")
	fs.StringVar(&c.Transport, "transport", c.Transport, "ws (WebSocket) or wt (WebTransport)")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "positions per second per player")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "measured phase, after all players connected")
	fs.Float64Var(&c.Ramp, "ramp", c.Ramp, "connections per second while ramping up")
	fs.IntVar(&c.Hotspots, "hotspots", c.Hotspots, "hotspots players cluster around")
	fs.Float64Var(&c.HotspotShare, "hotspot-share", c.HotspotShare, "share of players around hotspots (0 … 1)")
	fs.Float64Var(&c.CitySize, "city-km", c.CitySize, "side of the square city players roam, km")
	fs.BoolVar(&c.Claims, "claims", c.Claims, "players claim the treasures they reach")
	fs.Float64Var(&c.StatusRate, "status-rate", c.StatusRate, "hunt-status requests per second")
	fs.DurationVar(&c.KillAfter, "kill-after", c.KillAfter, "failover: kill the coordinator leader this far into the run")
	fs.Func("sizes", "crowd: player counts to run one after the other, comma-separated (e.g. 2000,5000,15000)", func(s string) error {
		c.Sizes = nil
		for _, f := range strings.Split(s, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil {
				return fmt.Errorf("want comma-separated player counts")
			}
			c.Sizes = append(c.Sizes, n)
		}
		return nil
	})
	fs.IntVar(&c.Workers, "workers", c.Workers, "worker processes (0: enough for RLIMIT_NOFILE with -client go, one per 50,000 players on io_uring)")
	fs.StringVar(&c.Client, "client", c.Client, "WebSocket players: uring (io_uring direct descriptors), go (protocol/client: an fd and a reader per player) or auto (uring where the kernel allows)")
	fs.IntVar(&c.Edges, "edges", c.Edges, "edges of one region to start, the players spread evenly over them (cells shared over NATS)")
	fs.IntVar(&c.Sources, "sources", c.Sources, "loopback source addresses 127.0.0.2 … for WebSocket connections")
}

// Parse builds the Config of scenario name from command-line args.
func Parse(name string, args []string) (Config, error) {
	c := Defaults(name)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.Validate()
}

// Split divides the players over workers as evenly as possible: worker i
// gets players [first, first+count).
func Split(players, workers int) (first, count []int) {
	for i := range workers {
		n := players / workers
		if i < players%workers {
			n++
		}
		start := 0
		if i > 0 {
			start = first[i-1] + count[i-1]
		}
		first, count = append(first, start), append(count, n)
	}
	return first, count
}

// PlayersPerRingWorker is how many players one worker process carries on
// io_uring direct descriptors (their count is not bound by RLIMIT_NOFILE).
const PlayersPerRingWorker = 50_000

// WorkersFor is how many worker processes carry players connections when
// each process may open perProcess files (RLIMIT_NOFILE) and keeps reserve
// of them for itself.
func WorkersFor(players, perProcess, reserve int) (int, error) {
	usable := perProcess - reserve
	if usable < 1 {
		return 0, fmt.Errorf("the open-files limit %d leaves no room for connections (reserve %d)", perProcess, reserve)
	}
	return (players + usable - 1) / usable, nil
}
