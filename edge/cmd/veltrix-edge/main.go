// Command veltrix-edge runs a regional edge. Every flag can also be set by
// an environment variable VELTRIX_EDGE_<FLAG> (upper case, dashes as
// underscores); flags win.
//
//	veltrix-edge -listen :8090 -coordinators http://c1:8080,http://c2:8080 -edge-token … -id eu-west-1
//
// Over https:// coordinators, -coordinator-ca names the CA to trust and
// -coordinator-cert/-coordinator-key the client certificate of mutual TLS.
//
// With -dev it runs a whole local system instead: a single-node coordinator
// in-process, a demo hunt, this edge and a crowd of simulated players.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers on http.DefaultServeMux, served only with -pprof
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/veltrix/veltrix/coordinator/certfile"
	"github.com/veltrix/veltrix/coordinator/flagenv"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/dev"
)

type options struct {
	listen, coordinators, edgeToken, id, region, publicURL string
	regions, siblings                                      string
	tickHz, radius, crowd, positionBudget, crowdPlayers    int
	devMode                                                bool
	devDir, logLevel, pprofAddr                            string
	gcPercent                                              int
	tlsCert, tlsKey, origins                               string
	coordCA, coordCert, coordKey                           string
	transport                                              string
	rings, maxConns                                        int
	claimRate, claimBurst                                  float64
	drainDelay                                             time.Duration
	nats, natsCluster, natsRoutes                          string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("veltrix-edge", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", edge.DefaultListen, "HTTP and WebSocket listen address")
	fs.StringVar(&o.coordinators, "coordinators", "", "coordinator API base URLs, comma-separated")
	fs.StringVar(&o.edgeToken, "edge-token", "", "this edge's credential with the coordinators (never their admin token)")
	fs.StringVar(&o.coordCA, "coordinator-ca", "", "CA bundle (PEM) that signs the https:// coordinators' certificates (default: the system roots)")
	fs.StringVar(&o.coordCert, "coordinator-cert", "", "client certificate (PEM) for https:// coordinators that require one (mutual TLS; re-read when the file changes)")
	fs.StringVar(&o.coordKey, "coordinator-key", "", "private key of -coordinator-cert")
	fs.StringVar(&o.id, "id", "", "edge id (default: the id the -edge-token is bound to, else <hostname>-<port>)")
	fs.StringVar(&o.region, "region", "", "region this edge serves: its event stream carries only the hunts homed there or nowhere, and players of hunts homed elsewhere are redirected (-regions)")
	fs.StringVar(&o.regions, "regions", "", "routing table for GET /v1/route and REDIRECT: 'name ws=URL [wt=URL] [cells=h3,…]; …' (coarse H3 cells, resolution ≤ 5)")
	fs.StringVar(&o.siblings, "siblings", "", "the other edges of this region, 'id ws=URL [wt=URL]; …': on shutdown, players are redirected to them")
	fs.StringVar(&o.publicURL, "public-url", "", "WebSocket URL players use (default: ws://<listen>/ws)")
	fs.IntVar(&o.tickHz, "tick-hz", core.DefaultTickHz, "fan-out ticks per second")
	fs.Float64Var(&o.claimRate, "claim-rate", core.DefaultClaimRate, "CLAIMs per second per player; beyond it a claim is answered rate_limited")
	fs.Float64Var(&o.claimBurst, "claim-burst", core.DefaultClaimBurst, "CLAIMs a player may make at once before -claim-rate applies")
	fs.IntVar(&o.radius, "radius", core.DefaultRadius, "interest radius in cells (grid disk k)")
	fs.IntVar(&o.crowdPlayers, "crowd-players", core.DefaultCrowdPlayers, "players in a cell's interest area above which it is in crowd mode: sampled, with a CELL_SUMMARY, players near refined (default: the budget over 17-byte entries)")
	fs.IntVar(&o.positionBudget, "position-budget", core.DefaultPositionBudget, "CELL_UPDATE bytes per second per player, for hunts that set none (at least 1024)")
	fs.BoolVar(&o.devMode, "dev", false, "run a whole local system: in-process coordinator, demo hunt, simulated crowd")
	fs.StringVar(&o.devDir, "dev-dir", "data/dev", "dev mode: coordinator data directory")
	fs.IntVar(&o.crowd, "crowd", 20, "dev mode: simulated players")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "certificate for wss://, https:// and WebTransport (default: HTTP, and rotating self-signed certificates for WebTransport)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "private key of -tls-cert")
	fs.StringVar(&o.origins, "allowed-origins", "", "browser origins allowed besides the edge's own, comma-separated (scheme://host[:port])")
	fs.StringVar(&o.transport, "transport", edge.DefaultTransport, "WebSocket transport: auto (io_uring where the kernel allows, else netpoll, logged), uring or netpoll")
	fs.IntVar(&o.rings, "rings", edge.DefaultRings, "io_uring rings, pinned to the CPUs in turn (default: one per CPU, or as many as -max-conns needs: each ring holds the soft RLIMIT_NOFILE less headroom)")
	fs.IntVar(&o.maxConns, "max-conns", edge.DefaultMaxConns, "io_uring transport: most connections, beyond which they are answered 503 (default: what the rings hold); refused at startup if the soft RLIMIT_NOFILE cannot hold them")
	fs.DurationVar(&o.drainDelay, "drain-delay", 0, "on SIGTERM/SIGINT, answer /readyz with 503 for this long (so load balancers stop sending players) before telling connected players to reconnect elsewhere")
	fs.StringVar(&o.natsCluster, "nats-cluster", "", "the embedded NATS server's route listen address (host:port) for the region's other edges; empty: it runs alone")
	fs.StringVar(&o.natsRoutes, "nats-routes", "", "the region's edges' NATS cluster addresses (host:port), comma-separated; this edge's own may be listed")
	fs.StringVar(&o.nats, "nats", "", "external NATS cluster URLs (nats://host:port, comma-separated) instead of the embedded server")
	fs.StringVar(&o.pprofAddr, "pprof", "", "serve net/http/pprof on this address (e.g. 127.0.0.1:6060); off by default")
	fs.IntVar(&o.gcPercent, "gc-percent", defaultGCPercent, "the Go GC's target heap growth over live data, in percent (GOGC); the GOGC environment variable, when set, wins")
	if err := flagenv.Apply(fs, "VELTRIX_EDGE_"); err != nil {
		return nil, err
	}
	return o, fs.Parse(args)
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "veltrix-edge:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "veltrix-edge:", err)
		os.Exit(1)
	}
}

// devBanner tells the developer what make run started: the player page and
// the operators' live view first, then the rest.
func devBanner(w io.Writer, d *dev.Dev, crowd int) {
	fmt.Fprintf(w, "Veltrix dev mode\n  play:        %s/ (open in Chromium)\n  live view:   %s/live#token=%s (operators)\n"+
		"  edge:        %s (WebSocket %s, %s)\n  hunt status: %s/v1/hunts/%d/status\n  a player:    %s/dev/session\n  coordinator: %s (admin token %s)\n  crowd:       %d simulated players\n",
		d.Edge.URL(), d.Coordinator.URL(), devAdminToken, d.Edge.URL(), d.Edge.WSURL(), d.Edge.TransportName(), d.Edge.URL(), d.Hunt, d.Edge.URL(),
		d.Coordinator.URL(), devAdminToken, crowd)
}

// devAdminToken is the dev system's admin token (make run).
const devAdminToken = "dev-admin-token"

func run(o *options) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	setGCPercent(o.gcPercent, os.Getenv("GOGC"), log)
	if o.pprofAddr != "" {
		go func() { log.Error("pprof server ended", "err", http.ListenAndServe(o.pprofAddr, nil)) }() // DefaultServeMux holds pprof
	}
	coordTLS, err := o.coordinatorTLS(log)
	if err != nil {
		return err
	}
	cfg := edge.Config{Listen: o.listen, Coordinators: splitList(o.coordinators), EdgeToken: o.edgeToken, CoordinatorTLS: coordTLS,
		ID: o.id, Region: o.region, Regions: o.regions, Siblings: o.siblings, PublicURL: o.publicURL, TickHz: o.tickHz, Radius: o.radius, Logger: log,
		ClaimRate: o.claimRate, ClaimBurst: o.claimBurst, PositionBudget: o.positionBudget, CrowdPlayers: o.crowdPlayers,
		TLSCert: o.tlsCert, TLSKey: o.tlsKey, CheckOrigin: edge.AllowOrigins(splitList(o.origins)), Transport: o.transport, Rings: o.rings, MaxConns: o.maxConns,
		NATS: o.nats, NATSCluster: o.natsCluster, NATSRoutes: splitList(o.natsRoutes), RefuseAdminToken: true}
	var e *edge.Edge
	var stop func() error
	if o.devMode {
		d, err := dev.Start(dev.Options{DataDir: o.devDir, Listen: o.listen, AdminToken: devAdminToken, Crowd: o.crowd, Logger: log, Edge: cfg})
		if err != nil {
			return err
		}
		devBanner(os.Stdout, d, o.crowd)
		e, stop = d.Edge, func() error { d.Close(); return nil }
	} else {
		var err error
		if e, err = edge.Start(cfg); err != nil {
			return err
		}
		log.Info("edge started", "id", e.ID(), "url", e.URL(), "ws", e.WSURL(), "transport", e.TransportName())
		stop = e.Close
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	if o.drainDelay > 0 {
		e.Drain()
		log.Info("draining: /readyz answers 503", "signal", s.String(), "for", o.drainDelay.String())
		select {
		case <-time.After(o.drainDelay):
		case s = <-sig: // a second signal ends the drain early
		}
	}
	log.Info("shutting down: players are told to reconnect", "signal", s.String())
	return stop()
}

// coordinatorTLS is the client TLS for https:// coordinators from
// -coordinator-ca, -coordinator-cert and -coordinator-key (nil without
// them).
func (o *options) coordinatorTLS(log *slog.Logger) (*tls.Config, error) {
	if o.coordCA == "" && o.coordCert == "" && o.coordKey == "" {
		return nil, nil
	}
	for _, c := range splitList(o.coordinators) {
		if !strings.HasPrefix(c, "https://") {
			return nil, fmt.Errorf("-coordinator-ca/-cert/-key need https:// coordinators, not %s", c)
		}
	}
	src, err := certfile.Load(certfile.Files{Cert: o.coordCert, Key: o.coordKey, CA: o.coordCA}, log)
	if err != nil {
		return nil, fmt.Errorf("coordinator TLS: %w", err)
	}
	return src.ClientConfig(), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
