// Package dev is the edge's development mode: a single-node coordinator
// in-process (data under a local directory), a demo hunt around a default
// city, an edge following it, and a crowd of simulated players walking
// around — a whole local Veltrix from one command (make run).
package dev

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// Options configure dev mode.
type Options struct {
	DataDir    string // coordinator data; required
	Listen     string // edge listen address
	AdminToken string // coordinator admin token (the edge gets its own credential)
	Crowd      int    // simulated players
	Logger     *slog.Logger
	// Edge is the edge's configuration (tick rate, radius, transport,
	// rings, TLS, origins, …); dev mode fills in Listen, Coordinators,
	// EdgeToken, Region, Logger and its own routes.
	Edge edge.Config
}

// Center is the demo hunt's centre (Dam Square, Amsterdam).
var Center = [2]float64{52.3730796, 4.8924534}

// Dev is a running development system.
type Dev struct {
	Coordinator *coordinator.Coordinator
	Edge        *edge.Edge
	Hunt        uint32
	opts        Options
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

// Start starts the coordinator, the demo hunt, the edge and the crowd.
func Start(o Options) (*Dev, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := coordinator.Embedded(o.DataDir, o.AdminToken)
	if err != nil {
		return nil, err
	}
	d := &Dev{Coordinator: c, opts: o}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	if err := d.setUp(ctx); err != nil {
		d.Close()
		return nil, err
	}
	for i := range o.Crowd {
		d.wg.Add(1)
		go d.walker(ctx, uint32(1_000_000+i))
	}
	return d, nil
}

func (d *Dev) setUp(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := d.Coordinator.WaitLeader(wctx); err != nil {
		return err
	}
	var err error
	if d.Hunt, err = d.demoHunt(); err != nil {
		return err
	}
	cfg := d.opts.Edge
	if cfg.ID == "" {
		cfg.ID = "dev-edge"
	}
	// The edge gets a credential of its own, bound to its id, as in
	// production (docs/operations.md): never the admin token.
	edgeToken := crand.Text()
	if err := d.Coordinator.API.Credentials().Add(cfg.ID, edgeToken); err != nil {
		return err
	}
	cfg.Listen, cfg.Coordinators, cfg.EdgeToken, cfg.Logger, cfg.Extra = d.opts.Listen, []string{d.Coordinator.URL()}, edgeToken, d.opts.Logger, d.routes
	if cfg.Region == "" {
		cfg.Region = "dev"
	}
	if d.Edge, err = edge.Start(cfg); err != nil {
		return err
	}
	// Players may connect as soon as Start returns (make run prints the
	// URLs): wait until the edge's replica holds the active demo hunt.
	return d.Edge.WaitHunt(wctx, d.Hunt)
}

// demoHunt returns the active demo hunt, creating and starting it if the
// data directory has none.
func (d *Dev) demoHunt() (uint32, error) {
	c := d.admin()
	// Consistent: on a restart the node replays its log after it starts,
	// and a stale read would create a second demo hunt.
	hunts, err := c.ConsistentHunts(context.Background())
	if err != nil {
		return 0, err
	}
	for _, h := range hunts {
		if h.State == "active" {
			return h.ID, nil
		}
	}
	const half = 0.01 // ~2.2 km × 1.4 km
	area := wire.AreaRequest{Outer: [][2]float64{{Center[0] - half, Center[1] - half}, {Center[0] - half, Center[1] + half},
		{Center[0] + half, Center[1] + half}, {Center[0] + half, Center[1] - half}}}
	id, err := c.CreateHunt(context.Background(), wire.HuntRequest{Name: "Amsterdam demo", Area: area, Resolution: 10,
		Treasures: 40, MinSpacing: 2, ClaimRadius: 1, Respawn: wire.RespawnAfter})
	if err != nil {
		return 0, err
	}
	return id, c.StartHunt(context.Background(), id)
}

// admin is a client of the in-process coordinator with the admin token.
func (d *Dev) admin() *wire.Client {
	return wire.NewClient([]string{d.Coordinator.URL()}, d.opts.AdminToken, nil)
}

// Token mints a development token for player in the demo hunt.
func (d *Dev) Token(player uint32) (string, error) {
	return d.admin().Token(context.Background(), wire.TokenRequest{Player: player, Hunt: d.Hunt, Name: "dev"})
}

// routes adds GET /dev/session?player=N: a token and where to connect, for
// the demo page and manual testing. Dev mode only.
func (d *Dev) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /dev/session", func(w http.ResponseWriter, r *http.Request) {
		p, err := strconv.ParseUint(r.URL.Query().Get("player"), 10, 32)
		if err != nil || p == 0 {
			p = uint64(rand.Uint32N(900_000) + 1)
		}
		tok, err := d.Token(uint32(p))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"player": p, "hunt": d.Hunt, "token": tok,
			"ws": d.Edge.WSURL(), "center": Center})
	})
}

// walker is one simulated player: a random walk at walking speed around the
// centre, one position a second, reconnecting after a pause if dropped.
func (d *Dev) walker(ctx context.Context, player uint32) {
	defer d.wg.Done()
	rng := rand.New(rand.NewPCG(uint64(player), 1))
	lat := Center[0] + (rng.Float64()-0.5)*0.01
	lng := Center[1] + (rng.Float64()-0.5)*0.01
	heading := rng.Float64() * 2 * math.Pi
	for ctx.Err() == nil {
		c, err := d.dial(ctx, player)
		if err == nil {
			lat, lng, heading = d.walk(ctx, c, rng, lat, lng, heading)
			c.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func (d *Dev) dial(ctx context.Context, player uint32) (*client.Client, error) {
	tok, err := d.Token(player)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return client.Dial(dctx, client.Options{URL: d.Edge.WSURL(), Token: tok, Hunt: d.Hunt, Kind: protocol.KindBot,
		Refresh: func(context.Context) (string, error) { return d.Token(player) }})
}

func (d *Dev) walk(ctx context.Context, c *client.Client, rng *rand.Rand, lat, lng, heading float64) (float64, float64, float64) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		heading += (rng.Float64() - 0.5) * 0.6
		step := (1 + rng.Float64()) / 111_000 // 1–2 m in degrees of latitude
		lat += step * math.Cos(heading)
		lng += step * math.Sin(heading) / math.Cos(lat*math.Pi/180)
		if math.Abs(lat-Center[0]) > 0.01 || math.Abs(lng-Center[1]) > 0.01 {
			heading += math.Pi // turn back into the hunt area
		}
		if c.Position(lat, lng, 5) != nil {
			return lat, lng, heading
		}
		select {
		case <-ctx.Done():
			return lat, lng, heading
		case <-c.Done():
			return lat, lng, heading
		case <-t.C:
		}
	}
}

// Close stops the crowd, the edge and the coordinator.
func (d *Dev) Close() {
	d.cancel()
	d.wg.Wait()
	if d.Edge != nil {
		d.Edge.Close()
	}
	d.Coordinator.Close()
}
