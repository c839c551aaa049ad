// Package edge assembles a regional edge: the core (sessions, cells,
// fan-out), the WebSocket transport, the coordinator link, the tick loop and
// the HTTP endpoints (/ws, /v1/hunts/{id}/status from the local replica,
// /healthz, /readyz, /metrics). The binary (cmd/veltrix-edge) and the tests
// start it through Start.
package edge

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/link"
	"github.com/veltrix/veltrix/edge/region"
	"github.com/veltrix/veltrix/edge/ringnet"
	"github.com/veltrix/veltrix/edge/wsnet"
	"github.com/veltrix/veltrix/edge/wtnet"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// Defaults of Config that are the edge's own (the core's are core.Default*),
// named once: Start applies them and cmd/veltrix-edge's flags read them.
const (
	DefaultListen    = "127.0.0.1:8090"
	DefaultLoadEvery = 10 * time.Second // load report period
	DefaultTransport = "auto"
	// DefaultRings and DefaultMaxConns (0) size the io_uring transport from
	// the soft RLIMIT_NOFILE, which caps each ring's direct-descriptor
	// table (ringnet.Plan): one ring per CPU holding what its table holds,
	// or, with MaxConns set, as many rings as those connections need.
	DefaultRings    = 0
	DefaultMaxConns = 0
)

// Config configures an edge. Zero values mean defaults.
type Config struct {
	Listen       string   // HTTP listen address; default 127.0.0.1:8090
	Coordinators []string // coordinator API base URLs; required
	EdgeToken    string   // the coordinators' edge bearer token; required
	ID           string   // edge id; default the edge token's (a per-edge credential), else link.DefaultEdgeID
	Region       string
	PublicURL    string            // ws:// or wss:// URL players use; default from Listen
	PublicKey    ed25519.PublicKey // verifies player tokens; nil: fetched from a coordinator
	TickHz       int               // default 10
	Radius       int               // interest radius k; default 1
	ClaimRate    float64           // CLAIMs per second per player; default 2
	ClaimBurst   float64           // claim bucket depth; default 10
	// PositionBudget is the CELL_UPDATE bytes per second per player, for
	// hunts that set none; default core.DefaultPositionBudget (8 KiB/s).
	PositionBudget int
	// CrowdPlayers: a cell with more players in its interest area is in
	// crowd mode (sampled, summarised, its players refined); default
	// core.DefaultCrowdPlayers.
	CrowdPlayers int
	CheckOrigin  func(*http.Request) bool
	// WebTransport: UDP on the HTTP listener's address unless WTListen is
	// set; TLSCert/TLSKey files, or rotating self-signed dev certificates
	// (browsers pin them by the hash GET /v1/wt serves).
	WTListen        string
	TLSCert, TLSKey string
	DisableWT       bool
	Logger          *slog.Logger
	LoadEvery       time.Duration            // load report period; default 10s
	Extra           func(mux *http.ServeMux) // more routes (dev mode adds its own)
	// Transport for WebSocket (and the HTTP port): "auto" (default: io_uring
	// rings where the kernel allows, else Go's netpoller, with a log line
	// saying why), "uring" (fail if unavailable) or "netpoll".
	Transport string
	Rings     int // io_uring rings; default one per CPU, or more where MaxConns needs them
	// MaxConns bounds the io_uring transport's WebSocket and HTTP
	// connections; more are answered 503 (counted). Default: what the
	// rings' direct-descriptor tables hold (ringnet.Plan).
	MaxConns int

	// CoordinatorTLS is the client TLS configuration for https://
	// coordinators: the CA to trust and the client certificate to present
	// (mutual TLS). nil: the system roots, no client certificate.
	CoordinatorTLS *tls.Config
	// RefuseAdminToken makes Start fail when EdgeToken is the coordinators'
	// admin token (the binary sets it; tests may use the admin token).
	RefuseAdminToken bool

	// Routing. Region (geo.ValidRegion) is the region this edge serves:
	// its event stream carries only the hunts homed there or nowhere, and
	// HELLOs for hunts homed elsewhere are redirected; "": every hunt.
	// Regions is the routing table, in geo.ParseTable's text form
	// ("eu ws=wss://… wt=https://… cells=831f…,…; us ws=…"): each region's
	// entry points and coarse cells. GET /v1/route answers from it, and a
	// HELLO for a hunt homed in another region is sent there (REDIRECT).
	Regions string
	// Siblings are the other edges of this region, in the same form (the
	// names are theirs: edge ids): a draining edge sends its players there
	// (REDIRECT) instead of only closing them shutting_down.
	Siblings string
	// Cells shared with the region's other edges (edge/region): the edge
	// embeds a NATS server; NATSCluster is its listen address for routes
	// (host:port, "" alone) and NATSRoutes the other edges' cluster
	// addresses. NATS (nats://…) joins an external cluster instead.
	NATS        string
	NATSCluster string
	NATSRoutes  []string
}

// Transport is what the edge needs of a WebSocket transport: the core's
// Notifier (it registers with the core when built), the /ws handler, and
// closing and counting connections.
type Transport interface {
	core.Notifier
	http.Handler
	CloseAll(code protocol.Code)
	Shutdown()
	Conns() int
}

// Edge is a running edge.
type Edge struct {
	cfg    Config
	Core   *core.Core
	WS     Transport
	rings  *ringnet.Server // nil on the netpoll transport
	WT     *wtnet.Server
	Link   *link.Link
	Region *region.Region     // the cells shared with the region's other edges
	addr   net.Addr           // the HTTP port, bound first (listen)
	ringLn *ringnet.Listeners // bound for the rings, until they serve them
	tcpLn  net.Listener       // bound for the netpoll transport, until it serves it
	ln     net.Listener       // what net/http serves
	udp    net.PacketConn
	certs  *wtnet.DevCerts // nil with certificate files
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup

	draining atomic.Bool // set by Drain: /readyz answers 503
	table    *geo.Table  // Config.Regions
	siblings []geo.Region
}

// Start starts an edge: it fetches the token key if needed, connects the
// coordinator link, and serves.
func Start(cfg Config) (*Edge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	e := &Edge{cfg: cfg}
	e.table, _ = geo.ParseTable(cfg.Regions) // Validate parsed both
	sib, _ := geo.ParseTable(cfg.Siblings)
	e.siblings = sib.Regions()
	if err := e.listen(); err != nil {
		return nil, err
	}
	if err := e.build(); err != nil {
		e.unlisten()
		if e.Region != nil {
			e.Region.Close()
		}
		return nil, err
	}
	ln := e.ln
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.srv = &http.Server{Handler: e.routes(), ReadHeaderTimeout: wsnet.DefaultHeaderTimeout}
	e.run(ctx, func() { e.Link.Run(ctx, e.Core) })
	e.run(ctx, func() { e.tickLoop(ctx) })
	e.run(ctx, func() { e.loadLoop(ctx) })
	e.run(ctx, func() { _ = e.srv.Serve(ln) }) // TLS, if any, is in ln (listen)
	if e.WT != nil {
		e.run(ctx, func() { _ = e.WT.Serve(e.udp) })
	}
	return e, nil
}

// Validate says what is wrong with c, in words: every problem at once.
// Zero values are defaults; negative ones are errors.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Coordinators) == 0 {
		errs = append(errs, errors.New("coordinator URLs are required"))
	}
	for _, u := range c.Coordinators {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("coordinator URL %q is not http(s)://host[:port]", u))
		}
	}
	if c.EdgeToken == "" {
		errs = append(errs, errors.New("an edge token is required"))
	}
	switch c.Transport {
	case "", "auto", "uring", "netpoll":
	default:
		errs = append(errs, fmt.Errorf("transport %q: want auto, uring or netpoll", c.Transport))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("a TLS certificate and its key go together"))
	}
	if c.Region != "" && !geo.ValidRegion(c.Region) {
		errs = append(errs, fmt.Errorf("region %q: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", c.Region))
	}
	if _, err := geo.ParseTable(c.Regions); err != nil {
		errs = append(errs, fmt.Errorf("regions: %w", err))
	}
	if _, err := geo.ParseTable(c.Siblings); err != nil {
		errs = append(errs, fmt.Errorf("siblings: %w", err))
	}
	if err := (&region.Config{URL: c.NATS, ClusterListen: c.NATSCluster, Routes: c.NATSRoutes}).Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.TickHz < 0 || c.Radius < 0 || c.ClaimRate < 0 || c.ClaimBurst < 0 || c.LoadEvery < 0 || c.Rings < 0 {
		errs = append(errs, fmt.Errorf("tick rate %d, radius %d, claim rate %v, claim burst %v, load period %v and rings %d cannot be negative",
			c.TickHz, c.Radius, c.ClaimRate, c.ClaimBurst, c.LoadEvery, c.Rings))
	}
	if c.CrowdPlayers < 0 {
		errs = append(errs, fmt.Errorf("crowd threshold %d players cannot be negative", c.CrowdPlayers))
	}
	if c.PositionBudget < 0 || c.PositionBudget > 0 && c.PositionBudget < core.MinPositionBudget {
		errs = append(errs, fmt.Errorf("position budget %d B/s: want at least %d", c.PositionBudget, core.MinPositionBudget))
	}
	if c.Transport != "netpoll" && c.MaxConns >= 0 && c.Rings >= 0 {
		if _, _, _, err := ringnet.Plan(c.MaxConns, c.Rings); err != nil {
			errs = append(errs, err)
		}
	} else if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max-conns %d cannot be negative", c.MaxConns))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	return nil
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.TickHz == 0 {
		c.TickHz = core.DefaultTickHz
	}
	if c.LoadEvery == 0 {
		c.LoadEvery = DefaultLoadEvery
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Transport == "" {
		c.Transport = DefaultTransport
	}
}

func (e *Edge) build() error {
	cfg := &e.cfg
	if cfg.PublicURL == "" {
		scheme := "ws://"
		if cfg.TLSCert != "" {
			scheme = "wss://"
		}
		cfg.PublicURL = scheme + e.addr.String() + "/ws"
	}
	if err := e.identify(); err != nil {
		return err
	}
	var err error
	if cfg.PublicKey == nil {
		if cfg.PublicKey, err = fetchKey(cfg.Coordinators, coordinatorClient(cfg.CoordinatorTLS, 5*time.Second)); err != nil {
			return err
		}
	}
	if e.Link, err = link.New(link.Config{Coordinators: cfg.Coordinators, Token: cfg.EdgeToken, EdgeID: cfg.ID,
		Region: cfg.Region, URLs: []string{cfg.PublicURL}, Logger: cfg.Logger,
		Client: coordinatorClient(cfg.CoordinatorTLS, link.DefaultRequestTimeout)}); err != nil {
		return err
	}
	var wtTLS *tls.Config
	if !cfg.DisableWT {
		if wtTLS, err = e.bindWT(); err != nil {
			return err
		}
	}
	if e.Region, err = region.Start(region.Config{URL: cfg.NATS, ClusterListen: cfg.NATSCluster, Routes: cfg.NATSRoutes, Logger: cfg.Logger,
		Self: region.Sibling{Region: cfg.Region, WS: cfg.PublicURL, WT: e.WTURL()}}); err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	var peers core.Peers // nil for an edge alone: nothing to share, nothing to publish
	var origin uint32
	if !e.Region.Alone() {
		peers, origin = e.Region, e.Region.Origin()
	}
	// The core reads hunts, treasures and claims from the link; the
	// transports are built with the core (they register as the owners of
	// their sessions), and the link gets it when it runs (Start); the
	// region gets it once it is built (Attach), for the other edges' frames.
	if e.Core, err = core.New(core.Config{PublicKey: cfg.PublicKey, Hunts: e.Link.Replica(), Claims: e.Link, Treasures: e.Link.Replica(),
		Router: router{e}, TickHz: cfg.TickHz, Radius: cfg.Radius, ClaimRate: cfg.ClaimRate, ClaimBurst: cfg.ClaimBurst,
		PositionBudget: cfg.PositionBudget, CrowdPlayers: cfg.CrowdPlayers, Peers: peers, Origin: origin}); err != nil {
		return err
	}
	e.Region.Attach(e.Core)
	if err := e.serveWS(); err != nil {
		return err
	}
	if wtTLS != nil {
		e.WT = wtnet.New(e.Core, wtnet.Config{TLS: wtTLS, CheckOrigin: cfg.CheckOrigin, Logger: cfg.Logger})
	}
	return nil
}

// bindWT binds the WebTransport UDP socket and returns the TLS
// configuration of its certificates.
func (e *Edge) bindWT() (*tls.Config, error) {
	cfg := &e.cfg
	addr := cfg.WTListen
	if addr == "" {
		addr = e.addr.String()
	}
	udp, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("edge: cannot listen for WebTransport on %s: %w", addr, err)
	}
	e.udp = udp
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS13}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("edge: cannot load TLS certificate: %w", err) // unlisten closes udp
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	} else {
		host, _, _ := net.SplitHostPort(udp.LocalAddr().String())
		e.certs = wtnet.NewDevCerts(host, "localhost")
		tlsCfg.GetCertificate = e.certs.GetCertificate
	}
	return tlsCfg, nil
}

// WTURL is the WebTransport URL players connect to ("" when disabled).
func (e *Edge) WTURL() string {
	if e.udp == nil {
		return ""
	}
	return "https://" + e.udp.LocalAddr().String() + "/wt"
}

// AllowOrigins is an origin policy: requests without an Origin (apps, bots)
// and those from the listed origins (scheme://host[:port]) or from the
// edge's own host are allowed; other browser pages are refused.
func AllowOrigins(origins []string) func(*http.Request) bool {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		if o == "" || allowed[o] {
			return true
		}
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
}

func (e *Edge) run(ctx context.Context, f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// tickLoop calls Tick at the core's tick rate, which the core lowers under
// overload and raises again (core/dilate.go).
func (e *Edge) tickLoop(ctx context.Context) {
	hz := e.cfg.TickHz
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.Core.Tick()
			if now := e.Core.TickHz(); now != hz {
				hz = now
				t.Reset(time.Second / time.Duration(hz))
			}
		}
	}
}

// identify settles the edge id: the one the edge token is bound to, else
// the configured one, else link.DefaultEdgeID (after the prefix of a group
// credential).
func (e *Edge) identify() error {
	cfg := &e.cfg
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	who, err := link.WhoAmI(ctx, &http.Client{Timeout: 5 * time.Second}, cfg.Coordinators, cfg.EdgeToken)
	var se *link.StatusError
	switch {
	case errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden):
		return fmt.Errorf("edge: the coordinators refuse the edge token: %w", err)
	case err != nil:
		cfg.Logger.Warn("cannot ask the coordinators which edge the token is", "err", err)
	case who.Admin && cfg.RefuseAdminToken:
		return errors.New("edge: the edge token is the coordinators' admin token: give the edge a credential of its own")
	case who.Edge != "" && cfg.ID != "" && cfg.ID != who.Edge:
		return fmt.Errorf("edge: the edge token is edge %q's, not %q's", who.Edge, cfg.ID)
	case who.Edge != "":
		cfg.ID = who.Edge
	}
	if cfg.ID == "" {
		_, port, _ := net.SplitHostPort(e.addr.String())
		p, _ := strconv.Atoi(port)
		cfg.ID = link.DefaultEdgeID(who.Prefix, p)
	}
	if !strings.HasPrefix(cfg.ID, who.Prefix) {
		return fmt.Errorf("edge: the edge token is for edge ids starting %q, not %q", who.Prefix, cfg.ID)
	}
	if !wire.ValidEdgeID(cfg.ID) {
		return fmt.Errorf("edge: id %q: letters, digits, '.', '_' or '-', at most %d", cfg.ID, wire.MaxEdgeIDLen)
	}
	return nil
}

// ID is the edge's id (settled at Start).
func (e *Edge) ID() string { return e.cfg.ID }

// URL is the edge's HTTP base URL.
func (e *Edge) URL() string { return "http://" + e.addr.String() }

// WSURL is the WebSocket URL players connect to.
func (e *Edge) WSURL() string { return e.cfg.PublicURL }

// Close tells players to reconnect elsewhere — REDIRECT to a sibling edge
// when the edge has Siblings, shutting_down otherwise — stops serving and
// waits for the edge's goroutines.
func (e *Edge) Close() error {
	e.draining.Store(true)
	if n := e.Core.RedirectAll(); n > 0 {
		e.cfg.Logger.Info("players redirected to sibling edges", "players", n)
	}
	e.WS.Shutdown()
	if e.WT != nil {
		e.WT.Shutdown()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := e.srv.Shutdown(ctx)
	e.cancel()
	e.wg.Wait()
	lctx, lcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer lcancel()
	if lerr := e.Link.Leave(lctx); lerr != nil {
		e.cfg.Logger.Warn("cannot tell the coordinators this edge is leaving", "err", lerr)
	}
	if e.udp != nil {
		e.udp.Close()
	}
	e.Region.Close()
	return err
}

func huntParam(r *http.Request) (uint32, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	return uint32(id), err == nil && id > 0
}
