// Package api is the coordinator's HTTP server: the operators' JSON admin
// API, the edge-facing API (event stream, claims, registration, load
// reports), health checks and Prometheus metrics.
//
// Any node serves any request. Reads are answered from the node's own replica
// (stating how stale it may be) unless a linearizable read is asked for;
// writes that reach a follower are forwarded to the leader, so a client never
// has to find the leader itself.
package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veltrix/veltrix/coordinator/cluster"
)

// Defaults of Config, named once: New applies them and the coordinator's
// flags (cmd/veltrix-coordinator) read them.
const (
	// DefaultLoadTTL is three reports of an edge's default load period.
	DefaultLoadTTL           = 30 * time.Second
	DefaultMaxPlayersPerEdge = 200_000
	DefaultMaxEdges          = 1024
	DefaultMaxBody           = 1 << 20
	DefaultForwardTimeout    = 10 * time.Second // a write forwarded to the leader
)

// Config configures a Server. Zero values mean defaults.
type Config struct {
	AdminToken string // bearer token of the admin API (it may also act as any edge); required
	// EdgeCredentials binds per-edge tokens to edge ids: a request bearing
	// one acts as that edge only. Nil: an empty set (Credentials().Add).
	EdgeCredentials *Credentials
	// EdgeToken is a shared edge token, not bound to an id: its holder may
	// act as any edge id without a credential of its own. No default; it
	// may not equal AdminToken.
	EdgeToken string
	// Soft state limits (see docs/operations.md): a load report counts, and
	// an edge is live, for LoadTTL after it (default 30 s, three reports of
	// an edge's default period); one edge may report at most
	// MaxPlayersPerEdge players (default 200,000); at most MaxEdges edges
	// are registered (default 1024).
	LoadTTL           time.Duration
	MaxPlayersPerEdge int
	MaxEdges          int
	Now               func() time.Time // the clock of the soft state; default time.Now

	SigningKey ed25519.PrivateKey // mints player tokens; nil disables POST /v1/tokens
	MaxBody    int64              // request body limit; default 1 MiB
	// Forward is the client used to forward writes to the leader (TLS and
	// client certificates are configured on it); default a plain client.
	Forward *http.Client
	Scheme  string // scheme of peers' API addresses; default "http"
	Logger  *slog.Logger
	// Registry receives the server's metrics; default a new registry.
	Registry *prometheus.Registry
}

// Validate says what is wrong with c, in words: every problem at once.
// Zero values are defaults; negative ones are errors.
func (c *Config) Validate() error {
	var errs []error
	if c.AdminToken == "" {
		errs = append(errs, errors.New("an admin token is required"))
	} else if c.EdgeToken == c.AdminToken {
		errs = append(errs, errors.New("the edge token must differ from the admin token (edges would hold admin rights)"))
	}
	if c.LoadTTL < 0 || c.MaxPlayersPerEdge < 0 || c.MaxEdges < 0 {
		errs = append(errs, errors.New("the load TTL, players per edge and edges limits cannot be negative"))
	}
	if c.MaxBody < 0 {
		errs = append(errs, fmt.Errorf("body limit %d is negative", c.MaxBody))
	}
	if c.Scheme != "" && c.Scheme != "http" && c.Scheme != "https" {
		errs = append(errs, fmt.Errorf("peer scheme %q is not http or https", c.Scheme))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return nil
}

// Server serves one node's API.
type Server struct {
	cfg     Config
	node    *cluster.Node
	mux     *http.ServeMux
	metrics *metrics

	regMu sync.Mutex // serialises edge registrations (check, then propose)

	mu   sync.Mutex           // guards live
	live map[string]*edgeLive // edge id → liveness and load (soft state)
	now  func() time.Time

	repl replicationCache // the live view's replication table
}

// New returns a Server for node.
func New(node *cluster.Node, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.EdgeCredentials == nil {
		cfg.EdgeCredentials, _ = NewCredentials(nil)
	}
	if err := cfg.EdgeCredentials.forbidToken(cfg.AdminToken); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if cfg.LoadTTL == 0 {
		cfg.LoadTTL = DefaultLoadTTL
	}
	if cfg.MaxPlayersPerEdge == 0 {
		cfg.MaxPlayersPerEdge = DefaultMaxPlayersPerEdge
	}
	if cfg.MaxEdges == 0 {
		cfg.MaxEdges = DefaultMaxEdges
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Forward == nil {
		cfg.Forward = &http.Client{Timeout: DefaultForwardTimeout}
	}
	if cfg.Scheme == "" {
		cfg.Scheme = "http"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, node: node, mux: http.NewServeMux(), live: map[string]*edgeLive{}, now: cfg.Now}
	s.metrics = newMetrics(cfg.Registry, node, s)
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	admin, edge := s.auth(s.cfg.AdminToken), s.edgeAuth
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("GET /v1/keys/token", s.publicKey)

	s.mux.Handle("POST /v1/hunts", admin(s.leaderOnly(s.createHunt)))
	s.mux.Handle("GET /v1/hunts", admin(http.HandlerFunc(s.listHunts)))
	s.mux.Handle("GET /v1/hunts/{id}", admin(http.HandlerFunc(s.getHunt)))
	s.mux.Handle("GET /v1/hunts/{id}/status", admin(http.HandlerFunc(s.huntStatus)))
	s.mux.Handle("POST /v1/hunts/{id}/start", admin(s.leaderOnly(s.transition)))
	s.mux.Handle("POST /v1/hunts/{id}/stop", admin(s.leaderOnly(s.transition)))
	s.mux.Handle("DELETE /v1/hunts/{id}", admin(s.leaderOnly(s.transition)))
	s.mux.Handle("PUT /v1/hunts/{id}/home", admin(s.leaderOnly(s.setHome)))
	s.mux.Handle("GET /v1/cluster", admin(http.HandlerFunc(s.clusterStatus)))
	s.mux.Handle("POST /v1/cluster/voters", admin(s.leaderOnly(s.addVoter)))
	s.mux.Handle("DELETE /v1/cluster/servers/{id}", admin(s.leaderOnly(s.removeServer)))
	s.mux.Handle("POST /v1/tokens", admin(http.HandlerFunc(s.mintToken)))
	s.mux.Handle("GET /v1/cluster/state", admin(http.HandlerFunc(s.stateDigest)))

	s.mux.Handle("GET /v1/edge/events", edge(http.HandlerFunc(s.events)))
	s.mux.Handle("POST /v1/edge/claims", edge(s.leaderOnly(s.claims)))
	s.mux.Handle("POST /v1/edge/register", edge(s.leaderOnly(s.registerEdge)))
	s.mux.Handle("POST /v1/edge/load", edge(http.HandlerFunc(s.reportLoad)))
	s.mux.Handle("GET /v1/edge/whoami", edge(http.HandlerFunc(s.whoami)))
	s.mux.Handle("GET /v1/edges", admin(http.HandlerFunc(s.listEdges)))
	s.mux.HandleFunc("GET /live", s.livePage) // the page holds no data: it polls /v1/live with the admin token
	s.mux.Handle("GET /v1/live", admin(http.HandlerFunc(s.liveView)))
}

// auth requires "Authorization: Bearer <token>".
func (s *Server) auth(token string) func(http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := []byte(r.Header.Get("Authorization"))
			if subtle.ConstantTimeCompare(got, want) != 1 {
				unauthorized(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="veltrix"`)
	writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
}

// principal is who an edge request acts as.
type principal struct {
	edge  string // the edge id (or prefix and '*') its credential is bound to; "" when unbound
	admin bool   // the admin token: any edge
}

type principalKey struct{}

// edgeAuth admits the edge API's callers: an edge's own credential (bound
// to its id), the shared edge token (unbound) or the admin token, and
// passes on who the caller is for actsAs.
func (s *Server) edgeAuth(next http.Handler) http.Handler {
	admin := []byte(s.cfg.AdminToken)
	shared := []byte(s.cfg.EdgeToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var p principal
		switch {
		case !ok || tok == "":
			unauthorized(w)
			return
		case subtle.ConstantTimeCompare([]byte(tok), admin) == 1:
			p.admin = true
		default:
			if id, bound := s.cfg.EdgeCredentials.Lookup(tok); bound {
				p.edge = id
			} else if len(shared) == 0 || subtle.ConstantTimeCompare([]byte(tok), shared) != 1 {
				unauthorized(w)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// actsAs reports whether the caller may act as edge id, answering 403
// itself when not: a bound credential acts as its own edge only, and the
// shared token never as an edge that has a credential of its own.
func (s *Server) actsAs(w http.ResponseWriter, r *http.Request, id string) bool {
	p, _ := r.Context().Value(principalKey{}).(principal)
	switch {
	case p.admin:
		return true
	case p.edge != "" && !Covers(p.edge, id):
		writeError(w, http.StatusForbidden, "this credential is edge %q's; it cannot act as edge %q", p.edge, id)
		return false
	case p.edge == "" && s.cfg.EdgeCredentials.Has(id):
		writeError(w, http.StatusForbidden, "edge %q has a credential of its own; the shared edge token cannot act as it", id)
		return false
	}
	return true
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, a...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// readJSON decodes the request body into v: at most MaxBody bytes, no unknown
// fields, exactly one JSON value, valid UTF-8. It writes the 4xx itself and returns false.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "content type %q is not application/json", ct)
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", tooBig.Limit)
			return false
		}
		writeError(w, http.StatusBadRequest, "cannot read the body: %v", err)
		return false
	}
	if !utf8.Valid(body) {
		writeError(w, http.StatusBadRequest, "malformed JSON body: not valid UTF-8")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON body: %v", err)
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "malformed JSON body: more than one value")
		return false
	}
	return true
}

// writeClusterError maps a cluster error to a status.
func writeClusterError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, cluster.ErrNoQuorum), errors.Is(err, cluster.ErrNotLeader), errors.Is(err, cluster.ErrClosed):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "%v", err)
	default:
		writeError(w, http.StatusInternalServerError, "%v", err)
	}
}
