// Package link is the edge's connection to the coordinator cluster: it
// follows the coordinator's event stream into a local replica of hunt state
// (resuming from its last index after any failure), submits players' claims
// in batches, registers the edge and reports its load.
//
// Positions never go through here; while the coordinator is unreachable they
// keep flowing, and claims are answered "unavailable, retry".
package link

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge/core"
)

// Defaults of Config, named once.
const (
	// DefaultRequestTimeout bounds one request to a coordinator (the
	// event stream excepted).
	DefaultRequestTimeout = 10 * time.Second
	// DefaultClaimTimeout bounds a claim batch's round trip.
	DefaultClaimTimeout = 3 * time.Second
)

// Config configures a Link.
type Config struct {
	Coordinators []string // API base URLs of any coordinator nodes; required
	Token        string   // the coordinators' edge bearer token; required
	EdgeID       string   // required
	// Instance is new at every start of the edge process (default: random):
	// the coordinators refuse a second live edge under one id by it.
	Instance     string
	Region       string       // the event stream carries only the hunts homed here or nowhere ("": every hunt)
	URLs         []string     // where players reach this edge
	Client       *http.Client // default: 10 s timeout, no timeout for the stream
	ClaimTimeout time.Duration
	Logger       *slog.Logger
}

// Validate says what is wrong with c, in words: every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Coordinators) == 0 {
		errs = append(errs, errors.New("coordinator URLs are required"))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("an edge token is required"))
	}
	if c.EdgeID == "" {
		errs = append(errs, errors.New("an edge id is required"))
	}
	if c.ClaimTimeout < 0 {
		errs = append(errs, fmt.Errorf("claim timeout %v is negative", c.ClaimTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("link: %w", err)
	}
	return nil
}

// Link is a running coordinator link. Its replica serves core.Hunts; its
// claim batcher serves core.Claims.
type Link struct {
	cfg Config
	api *wire.Client
	rep *Replica

	mu      sync.Mutex // guards pending, core
	pending []pendingClaim
	core    *core.Core
	wake    chan struct{}
}

// New returns a link; Run starts it with the core it feeds.
func New(cfg Config) (*Link, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultRequestTimeout}
	}
	if cfg.Instance == "" {
		cfg.Instance = newInstance()
	}
	if cfg.ClaimTimeout == 0 {
		cfg.ClaimTimeout = DefaultClaimTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The client's event stream has no timeout: it lives as long as the
	// link, and heartbeats prove it alive.
	api := wire.NewClient(cfg.Coordinators, cfg.Token, cfg.Client)
	return &Link{cfg: cfg, api: api, rep: newReplica(cfg.Region), wake: make(chan struct{}, 1)}, nil
}

// Replica is the link's local copy of hunt state.
func (l *Link) Replica() *Replica { return l.rep }

// Run follows the event stream and submits claims until ctx ends; claim
// results and hunt events go to core c. The core is built on the link (its
// hunts, treasures and claims), so the link learns its core when it starts.
func (l *Link) Run(ctx context.Context, c *core.Core) {
	l.mu.Lock()
	l.core = c
	l.mu.Unlock()
	l.rep.attach(c)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); l.follow(ctx) }()
	go func() { defer wg.Done(); l.claimLoop(ctx) }()
	wg.Wait()
}

// streamSilence is how long the event stream may stay silent (three
// coordinator heartbeats) before the link gives up on it.
const streamSilence = 15 * time.Second

// follow reads the event stream from the replica's applied index, moving to
// the next coordinator with backoff whenever the stream fails.
func (l *Link) follow(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for i := 0; ctx.Err() == nil; i++ {
		base := l.cfg.Coordinators[i%len(l.cfg.Coordinators)]
		heard, err := l.followOnce(ctx, base)
		if ctx.Err() != nil {
			return
		}
		if heard { // the stream worked: this failure starts the backoff over
			backoff = 100 * time.Millisecond
		}
		l.cfg.Logger.Warn("coordinator event stream ended; reconnecting", "coordinator", base, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// followOnce follows one coordinator's stream until it fails; heard says
// whether it delivered any line.
func (l *Link) followOnce(ctx context.Context, base string) (heard bool, err error) {
	body, err := l.api.Events(ctx, base, l.rep.Applied(), l.cfg.Region)
	if err != nil {
		return false, err
	}
	defer body.Close()
	// A coordinator heartbeats every few seconds: silence means the stream
	// is dead even if its connection is not, so close it and reconnect.
	watchdog := time.AfterFunc(streamSilence, func() { body.Close() })
	defer watchdog.Stop()
	if err := l.rep.follow(body, func() { heard = true; watchdog.Reset(streamSilence) }); err != nil {
		return heard, err
	}
	return heard, errors.New("stream closed by the coordinator")
}

// errBadEvent is an "event" line without its event.
var errBadEvent = errors.New("an event line without an event")

// follow applies the coordinator's event stream — NDJSON, one
// wire.StreamMessage a line — from rd until it ends (nil) or a line is bad.
// heard is called for every line (the stream's liveness).
func (r *Replica) follow(rd io.Reader, heard func()) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), 256<<20) // a snapshot line can be large
	for sc.Scan() {
		heard()
		var m wire.StreamMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("bad stream line: %w", err)
		}
		if m.Type == "event" && m.Event == nil {
			return fmt.Errorf("bad stream line: %w", errBadEvent)
		}
		r.apply(&m)
	}
	return sc.Err()
}

// StatusError is a coordinator's non-2xx answer (wire.StatusError).
type StatusError = wire.StatusError

// refused reports whether err is a coordinator's 4xx answer other than 429:
// the request will not succeed by being repeated.
func refused(err error) bool { return wire.Refused(err) }
