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
	"io"
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
	"github.com/veltrix/veltrix/edge/ringnet"
	"github.com/veltrix/veltrix/edge/wsnet"
	"github.com/veltrix/veltrix/edge/wtnet"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
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
}

// Transport is what the edge needs of a WebSocket transport: the core's
// Notifier, the /ws handler, and closing and counting connections.
type Transport interface {
	core.Notifier
	http.Handler
	Attach(c *core.Core)
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
	ln     net.Listener
	udp    net.PacketConn
	certs  *wtnet.DevCerts // nil with certificate files
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup

	draining atomic.Bool // set by Drain: /readyz answers 503
}

// Start starts an edge: it fetches the token key if needed, connects the
// coordinator link, and serves.
func Start(cfg Config) (*Edge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	e := &Edge{cfg: cfg}
	if err := e.listen(); err != nil {
		return nil, err
	}
	ln := e.ln
	if err := e.build(); err != nil {
		ln.Close()
		if e.rings != nil {
			e.rings.Shutdown()
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.srv = &http.Server{Handler: e.routes(), ReadHeaderTimeout: wsnet.DefaultHeaderTimeout}
	e.run(ctx, func() { e.Link.Run(ctx) })
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
	if c.TickHz < 0 || c.Radius < 0 || c.ClaimRate < 0 || c.ClaimBurst < 0 || c.LoadEvery < 0 || c.Rings < 0 {
		errs = append(errs, fmt.Errorf("tick rate %d, radius %d, claim rate %v, claim burst %v, load period %v and rings %d cannot be negative",
			c.TickHz, c.Radius, c.ClaimRate, c.ClaimBurst, c.LoadEvery, c.Rings))
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

// listen opens the HTTP port: on io_uring rings (one SO_REUSEPORT listener
// per ring; plain HTTP requests are handed to net/http) or a net.Listener.
func (e *Edge) listen() error {
	cfg := &e.cfg
	if cfg.Transport != "netpoll" {
		var err error
		switch {
		case cfg.TLSCert != "":
			err = errors.New("TLS (wss://) is terminated by net/http only")
		default:
			e.rings, err = ringnet.New(ringnet.Config{Listen: cfg.Listen, Rings: cfg.Rings, MaxConns: cfg.MaxConns, CheckOrigin: cfg.CheckOrigin, Logger: cfg.Logger})
		}
		if err == nil {
			st := e.rings.Stats()
			f, _ := uring.Probe()
			cfg.Logger.Info("WebSocket transport: io_uring", "rings", st.Rings, "max_conns", st.MaxConns, "table_slots", st.TableSlots, "kernel", f.Kernel, "msg_ring_wakeups", f.MsgRingWake())
			e.WS, e.ln = e.rings, e.rings.Listener()
			return nil
		}
		if cfg.Transport == "uring" {
			return fmt.Errorf("edge: io_uring transport unavailable: %w", err)
		}
		cfg.Logger.Warn("WebSocket transport: netpoll (io_uring unavailable)", "reason", err.Error())
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("edge: cannot listen on %s: %w", cfg.Listen, err)
	}
	if cfg.TLSCert != "" { // wss:// and https:// with the operator's certificate
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("edge: cannot load TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	}
	ws := wsnet.New(wsnet.Config{CheckOrigin: cfg.CheckOrigin, Logger: cfg.Logger})
	// Upgrades to /ws are taken off the connection by gobwas's zero-copy
	// Upgrader; the rest goes to net/http (which still routes /ws through
	// ServeHTTP for an upgrade on a kept-alive connection).
	e.WS, e.ln = ws, ws.Listen(ln)
	return nil
}

// TransportName is the WebSocket transport running: "uring" or "netpoll".
func (e *Edge) TransportName() string {
	if e.rings != nil {
		return "uring"
	}
	return "netpoll"
}

func (e *Edge) build() error {
	cfg := &e.cfg
	if cfg.PublicURL == "" {
		scheme := "ws://"
		if cfg.TLSCert != "" {
			scheme = "wss://"
		}
		cfg.PublicURL = scheme + e.ln.Addr().String() + "/ws"
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
	if !cfg.DisableWT {
		if err := e.buildWT(); err != nil {
			return err
		}
	}
	if e.Core, err = core.New(core.Config{PublicKey: cfg.PublicKey, Hunts: e.Link.Replica(), Claims: e.Link, Treasures: e.Link.Replica(),
		TickHz: cfg.TickHz, Radius: cfg.Radius, ClaimRate: cfg.ClaimRate, ClaimBurst: cfg.ClaimBurst}); err != nil {
		return err
	}
	e.WS.Attach(e.Core)
	if e.WT != nil {
		e.WT.Attach(e.Core)
	}
	e.Link.Attach(e.Core)
	return nil
}

// buildWT binds the WebTransport UDP socket and its certificates.
func (e *Edge) buildWT() error {
	cfg := &e.cfg
	addr := cfg.WTListen
	if addr == "" {
		addr = e.ln.Addr().String()
	}
	udp, err := net.ListenPacket("udp", addr)
	if err != nil {
		return fmt.Errorf("edge: cannot listen for WebTransport on %s: %w", addr, err)
	}
	e.udp = udp
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS13}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			udp.Close()
			return fmt.Errorf("edge: cannot load TLS certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	} else {
		host, _, _ := net.SplitHostPort(udp.LocalAddr().String())
		e.certs = wtnet.NewDevCerts(host, "localhost")
		tlsCfg.GetCertificate = e.certs.GetCertificate
	}
	e.WT = wtnet.New(wtnet.Config{TLS: tlsCfg, CheckOrigin: cfg.CheckOrigin, Logger: cfg.Logger})
	return nil
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

// fetchKey reads the player-token public key from the first coordinator
// that serves it.
// coordinatorClient is an HTTP client for the coordinators' API with
// tlsConf (nil: Go's defaults) and timeout.
func coordinatorClient(tlsConf *tls.Config, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsConf
	return &http.Client{Timeout: timeout, Transport: t}
}

func fetchKey(coords []string, client *http.Client) (ed25519.PublicKey, error) {
	var last error
	for _, c := range coords {
		resp, err := client.Get(strings.TrimRight(c, "/") + "/v1/keys/token")
		if err != nil {
			last = err
			continue
		}
		pem, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			return token.ParsePublicKey(pem)
		}
		last = fmt.Errorf("%s: %s", c, resp.Status)
	}
	return nil, fmt.Errorf("edge: cannot fetch the token key from any coordinator: %w", last)
}

func (e *Edge) run(ctx context.Context, f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

func (e *Edge) tickLoop(ctx context.Context) {
	t := time.NewTicker(time.Second / time.Duration(e.cfg.TickHz))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.Core.Tick()
		}
	}
}

// loadLoop registers the edge, then reports its load every LoadEvery. A
// refused registration (another live instance holds the id) or a load
// report refused because the registration moved to another instance is
// retried each period: the coordinators accept this instance once the
// other one has been silent for their load TTL.
func (e *Edge) loadLoop(ctx context.Context) {
	registered := e.register(ctx)
	t := time.NewTicker(e.cfg.LoadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !registered {
			if registered = e.register(ctx); !registered {
				continue
			}
		}
		err := e.Link.ReportLoad(ctx, e.Core.PlayersByHunt())
		var se *link.StatusError
		if errors.As(err, &se) && se.Code == http.StatusConflict {
			registered = false
		}
		if err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("cannot report load", "err", err)
		}
	}
}

func (e *Edge) register(ctx context.Context) bool {
	err := e.Link.Register(ctx)
	if err != nil && ctx.Err() == nil {
		e.cfg.Logger.Error("cannot register with the coordinators; retrying", "edge", e.cfg.ID, "err", err, "in", e.cfg.LoadEvery.String())
	}
	return err == nil
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
		_, port, _ := net.SplitHostPort(e.ln.Addr().String())
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
func (e *Edge) URL() string { return "http://" + e.ln.Addr().String() }

// WSURL is the WebSocket URL players connect to.
func (e *Edge) WSURL() string { return e.cfg.PublicURL }

// Close tells players to reconnect elsewhere (shutting_down), stops serving
// and waits for the edge's goroutines.
func (e *Edge) Close() error {
	e.draining.Store(true)
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
	return err
}

func huntParam(r *http.Request) (uint32, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	return uint32(id), err == nil && id > 0
}
