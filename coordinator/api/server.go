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
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veltrix/veltrix/coordinator/cluster"
)

// Config configures a Server. Zero values mean defaults.
type Config struct {
	AdminToken string             // bearer token of the admin API; required
	EdgeToken  string             // bearer token of the edge API; default AdminToken
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

// Server serves one node's API.
type Server struct {
	cfg     Config
	node    *cluster.Node
	mux     *http.ServeMux
	metrics *metrics

	mu   sync.Mutex          // guards load
	load map[string]edgeLoad // edge id → latest load report (soft state)
	now  func() time.Time
}

// New returns a Server for node.
func New(node *cluster.Node, cfg Config) (*Server, error) {
	if cfg.AdminToken == "" {
		return nil, errors.New("api: an admin token is required")
	}
	if cfg.EdgeToken == "" {
		cfg.EdgeToken = cfg.AdminToken
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Forward == nil {
		cfg.Forward = &http.Client{Timeout: 10 * time.Second}
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
	s := &Server{cfg: cfg, node: node, mux: http.NewServeMux(), load: map[string]edgeLoad{}, now: time.Now}
	s.metrics = newMetrics(cfg.Registry, node, s)
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	admin, edge := s.auth(s.cfg.AdminToken), s.auth(s.cfg.EdgeToken)
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
	s.mux.Handle("GET /v1/cluster", admin(http.HandlerFunc(s.clusterStatus)))
	s.mux.Handle("POST /v1/cluster/voters", admin(s.leaderOnly(s.addVoter)))
	s.mux.Handle("DELETE /v1/cluster/servers/{id}", admin(s.leaderOnly(s.removeServer)))
	s.mux.Handle("POST /v1/tokens", admin(http.HandlerFunc(s.mintToken)))
	s.mux.Handle("GET /v1/cluster/state", admin(http.HandlerFunc(s.stateDigest)))

	s.mux.Handle("GET /v1/edge/events", edge(http.HandlerFunc(s.events)))
	s.mux.Handle("POST /v1/edge/claims", edge(s.leaderOnly(s.claims)))
	s.mux.Handle("POST /v1/edge/register", edge(s.leaderOnly(s.registerEdge)))
	s.mux.Handle("POST /v1/edge/load", edge(http.HandlerFunc(s.reportLoad)))
}

// auth requires "Authorization: Bearer <token>".
func (s *Server) auth(token string) func(http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := []byte(r.Header.Get("Authorization"))
			if subtle.ConstantTimeCompare(got, want) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="veltrix"`)
				writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
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
// fields, exactly one JSON value. It writes the 4xx itself and returns false.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "content type %q is not application/json", ct)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", tooBig.Limit)
			return false
		}
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
