// Package region shares an edge's cells with the other edges of its region
// over NATS (SPEC.md §2.5). By default the edge embeds a nats-server,
// clustered by routes with its siblings' embedded servers, and talks to it
// through an in-process connection; with Config.URL it joins an external
// NATS cluster instead. It implements core.Peers: the core hands it each
// changed cell's frames once per tick (Publish) and the cells its players
// watch (Watch); what arrives for a watched cell goes back to the core
// (core.Remote), and a heartbeat a second keeps this edge's players alive
// in its siblings' views (core.Alive). See README.md for the data flow.
package region

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/veltrix/veltrix/edge/core"
)

// Defaults of Config, named once: Start applies them and the edge's flags
// read them.
const (
	DefaultClusterName = "veltrix"
	DefaultOutbox      = 4 << 20 // bytes of frames waiting to be published
	DefaultPending     = 8192    // NATS messages waiting for the receiver
	// Heartbeat is how often an edge tells its siblings it is alive; they
	// drop its players after core.Config.RemoteTTL without one.
	Heartbeat = time.Second
)

// Subjects: one per (hunt, cell), and the heartbeats.
const (
	cellPrefix   = "veltrix.cell."
	aliveSubject = "veltrix.alive"
)

// Config configures a region connection. Zero values mean defaults.
type Config struct {
	// URL names an external NATS cluster (nats://host:port, several
	// comma-separated); "" embeds a nats-server in the edge.
	URL string
	// ClusterListen is where the embedded server listens for routes from
	// the region's other edges (host:port; port 0 picks one); "" runs it
	// alone.
	ClusterListen string
	// Routes are the other edges' cluster addresses (host:port or
	// nats-route://host:port); an edge's own address may be listed.
	Routes      []string
	ClusterName string // default "veltrix"
	// Origin names this edge's players (core.Config.Origin); 0 picks a
	// random one.
	Origin uint32
	// Self is what this edge announces to its siblings with each heartbeat
	// (Origin is filled in); no WS: nothing (the edge is not announced).
	Self Sibling
	// TTL is how long a sibling stays listed without an announcement;
	// default core.DefaultRemoteTTL (its players' expiry).
	TTL     time.Duration
	Outbox  int // bytes of frames waiting to be published; default 4 MiB
	Pending int // NATS messages waiting for the receiver; default 8192
	Logger  *slog.Logger
}

// Validate says what is wrong with c, in words: every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.URL != "" && (c.ClusterListen != "" || len(c.Routes) > 0) {
		errs = append(errs, errors.New("an external NATS URL and the embedded server's cluster listen address or routes exclude each other"))
	}
	for _, u := range strings.Split(c.URL, ",") {
		if u != "" && !strings.HasPrefix(strings.TrimSpace(u), "nats://") && !strings.HasPrefix(strings.TrimSpace(u), "tls://") {
			errs = append(errs, fmt.Errorf("NATS URL %q is not nats://host:port", u))
		}
	}
	if c.ClusterListen != "" {
		if _, _, err := net.SplitHostPort(c.ClusterListen); err != nil {
			errs = append(errs, fmt.Errorf("cluster listen address %q: %v", c.ClusterListen, err))
		}
	}
	if len(c.Routes) > 0 && c.ClusterListen == "" {
		errs = append(errs, errors.New("routes need a cluster listen address"))
	}
	for _, r := range c.Routes {
		if _, _, err := net.SplitHostPort(strings.TrimPrefix(r, "nats-route://")); err != nil {
			errs = append(errs, fmt.Errorf("route %q is not [nats-route://]host:port", r))
		}
	}
	if c.Self.WS != "" || c.Self.WT != "" {
		if _, err := ParseSibling(announcement(Sibling{Origin: 1, Region: c.Self.Region, WS: c.Self.WS, WT: c.Self.WT})); err != nil {
			errs = append(errs, fmt.Errorf("self: %w", err))
		}
	}
	if c.Outbox < 0 || c.Pending < 0 {
		errs = append(errs, fmt.Errorf("outbox %d and pending %d cannot be negative", c.Outbox, c.Pending))
	}
	if c.TTL < 0 {
		errs = append(errs, fmt.Errorf("sibling TTL %v cannot be negative", c.TTL))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("region: %w", err)
	}
	return nil
}

func (c *Config) defaults() {
	if c.ClusterName == "" {
		c.ClusterName = DefaultClusterName
	}
	for c.Origin == 0 {
		c.Origin = rand.Uint32()
	}
	if c.Outbox == 0 {
		c.Outbox = DefaultOutbox
	}
	if c.Pending == 0 {
		c.Pending = DefaultPending
	}
	if c.TTL == 0 {
		c.TTL = core.DefaultRemoteTTL
	}
	c.Self.Origin = c.Origin
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Region is an edge's connection to its region. It implements core.Peers.
type Region struct {
	cfg  Config
	srv  *server.Server // nil with an external cluster
	nc   *nats.Conn
	beat *nats.Subscription // the heartbeats' (set by Start); its drops count slow_consumer like the cells'
	ann  *nats.Subscription // the siblings' announcements' (set by Start); likewise
	sibs siblingSet         // the region's other live edges
	msgs chan *nats.Msg     // every subscription delivers here (NATS drops when full)
	kick chan struct{}      // wakes the sender
	done chan struct{}
	once sync.Once // Close's
	wg   sync.WaitGroup

	out   outbox   // frames to publish
	watch watchSet // interest changes to apply

	mu   sync.Mutex // guards the fields below
	core *core.Core
	subs map[cellKey]*nats.Subscription
	st   Stats
}

type cellKey struct {
	hunt uint32
	cell uint64
}

// Start runs the embedded server (unless cfg.URL names a cluster) and
// connects to it. Attach hands it the core.
func Start(cfg Config) (*Region, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	r := &Region{cfg: cfg, msgs: make(chan *nats.Msg, cfg.Pending), kick: make(chan struct{}, 1), done: make(chan struct{}),
		subs: map[cellKey]*nats.Subscription{}}
	r.out.max = cfg.Outbox
	r.sibs.self, r.sibs.ttl = cfg.Self, cfg.TTL
	opts := []nats.Option{nats.Name(fmt.Sprintf("veltrix-edge-%08x", cfg.Origin)), nats.NoEcho(), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { cfg.Logger.Warn("region: NATS disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { cfg.Logger.Info("region: NATS reconnected") })}
	url := cfg.URL
	if url == "" {
		srv, err := embed(&cfg)
		if err != nil {
			return nil, err
		}
		r.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		r.shutdownServer()
		return nil, fmt.Errorf("region: cannot connect to NATS: %w", err)
	}
	r.nc = nc
	if r.beat, err = nc.ChanSubscribe(aliveSubject, r.msgs); err != nil {
		r.Close()
		return nil, fmt.Errorf("region: cannot subscribe to heartbeats: %w", err)
	}
	if r.ann, err = nc.ChanSubscribe(edgesSubject, r.msgs); err != nil {
		r.Close()
		return nil, fmt.Errorf("region: cannot subscribe to the edges' announcements: %w", err)
	}
	r.wg.Add(1)
	go r.send()
	return r, nil
}

// embed starts the embedded nats-server: the edge connects in-process; a
// lone server has no client port, a clustered one a loopback client port
// on an ephemeral port (nats-server starts routing only after its client
// listener), a cluster listener and routes.
func embed(cfg *Config) (*server.Server, error) {
	o := &server.Options{ServerName: fmt.Sprintf("edge-%08x", cfg.Origin), DontListen: true, NoLog: true, NoSigs: true}
	if cfg.ClusterListen != "" {
		o.DontListen, o.Host, o.Port = false, "127.0.0.1", server.RANDOM_PORT
		host, port, _ := net.SplitHostPort(cfg.ClusterListen)
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("region: cluster port %q: %w", port, err)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		o.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: p}
		var routes []string
		for _, rt := range cfg.Routes {
			routes = append(routes, "nats-route://"+strings.TrimPrefix(rt, "nats-route://"))
		}
		o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
	}
	srv, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("region: cannot configure the embedded NATS server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("region: the embedded NATS server did not start (is the cluster address taken?)")
	}
	return srv, nil
}

// Alone says whether no other edge can ever reach this one: the server is
// embedded, with no route listener and no routes. Such an edge shares
// nothing (edge.Start gives its core no peers), so its ticks publish
// nothing and its CELL_UPDATEs carry no origin.
func (r *Region) Alone() bool {
	return r.srv != nil && r.cfg.ClusterListen == "" && len(r.cfg.Routes) == 0
}

// Origin is this edge's origin (core.Config.Origin).
func (r *Region) Origin() uint32 { return r.cfg.Origin }

// ClusterAddr is where the embedded server listens for routes ("" without
// a cluster or with an external one).
func (r *Region) ClusterAddr() string {
	if r.srv == nil {
		return ""
	}
	if a := r.srv.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}

// Attach starts delivering what the region sends to c.
func (r *Region) Attach(c *core.Core) {
	r.mu.Lock()
	r.core = c
	r.mu.Unlock()
	r.wg.Add(1)
	go r.receive(c)
}

// Close stops publishing and receiving, closes the connection and the
// embedded server. Any number of calls, concurrent ones included, close
// once.
func (r *Region) Close() {
	r.once.Do(func() {
		close(r.done)
		r.wg.Wait()
		if r.nc != nil {
			r.nc.Close()
		}
		r.shutdownServer()
	})
}

func (r *Region) shutdownServer() {
	if r.srv != nil {
		r.srv.Shutdown()
		r.srv.WaitForShutdown()
	}
}

// receive hands what arrives to the core: cell frames to core.Remote (which
// copies them into its bounded inbox and never waits for a tick),
// heartbeats to core.Alive, announcements to the siblings' list.
func (r *Region) receive(c *core.Core) {
	defer r.wg.Done()
	for {
		select {
		case <-r.done:
			return
		case m := <-r.msgs:
			switch m.Subject {
			case aliveSubject:
				if len(m.Data) == 4 {
					c.Alive(binary.LittleEndian.Uint32(m.Data))
				}
				continue
			case edgesSubject:
				if err := r.sibs.heard(m.Data, time.Now()); err != nil {
					r.cfg.Logger.Debug("region: announcement ignored", "err", err)
				}
				continue
			}
			hunt, cell, ok := parseSubject(m.Subject)
			if !ok {
				continue
			}
			c.Remote(hunt, cell, m.Data)
			r.mu.Lock()
			r.st.Received++
			r.st.ReceivedBytes += uint64(len(m.Data))
			r.mu.Unlock()
		}
	}
}

// subject is the NATS subject of (hunt, cell).
func subject(hunt uint32, cell uint64) string {
	return cellPrefix + strconv.FormatUint(uint64(hunt), 10) + "." + strconv.FormatUint(cell, 16)
}

func parseSubject(s string) (hunt uint32, cell uint64, ok bool) {
	rest, found := strings.CutPrefix(s, cellPrefix)
	if !found {
		return 0, 0, false
	}
	h, c, found := strings.Cut(rest, ".")
	if !found {
		return 0, 0, false
	}
	hv, err1 := strconv.ParseUint(h, 10, 32)
	cv, err2 := strconv.ParseUint(c, 16, 64)
	return uint32(hv), cv, err1 == nil && err2 == nil
}
