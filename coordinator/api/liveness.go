package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/coordinator/wire"
)

// Liveness is soft state, kept by every node from the load reports (which
// are fanned out to all nodes) and never in the log: an edge is live while
// its registered instance reported within LoadTTL. Registrations themselves
// are raft state and stay (bounded by MaxEdges); what counts players and
// what GET /v1/edges calls live filters on liveness. The table only holds
// registered ids, so made-up ids cannot grow it.

// edgeLive is one edge's liveness and latest load report.
type edgeLive struct {
	instance string
	seen     time.Time
	hunts    map[uint32]int
	stats    *wire.EdgeStats // for the live view; nil from edges that do not send it
}

// touch records that instance of edge id is alive now, with its load and
// stats (nil hunts: keep the last report of the same instance).
func (s *Server) touch(id, instance string, hunts map[uint32]int, stats *wire.EdgeStats) {
	now := s.lockSwept()
	defer s.mu.Unlock()
	l := s.live[id]
	if l == nil || l.instance != instance {
		l = &edgeLive{instance: instance}
		s.live[id] = l
	}
	l.seen = now
	if hunts != nil {
		l.hunts, l.stats = hunts, stats
	}
}

// forget ends the liveness of instance of edge id (it is shutting down).
func (s *Server) forget(id, instance string) {
	s.lockSwept()
	defer s.mu.Unlock()
	if l := s.live[id]; l != nil && l.instance == instance {
		delete(s.live, id)
	}
}

// lockSwept locks mu, drops the entries of edges silent for LoadTTL and
// returns the time it swept at. The caller unlocks mu.
func (s *Server) lockSwept() time.Time {
	now := s.now()
	s.mu.Lock()
	for id, l := range s.live {
		if now.Sub(l.seen) >= s.cfg.LoadTTL {
			delete(s.live, id)
		}
	}
	return now
}

// liveFor reports whether instance of edge id is live, and how long ago it
// was heard from.
func (s *Server) liveFor(id, instance string) (time.Duration, bool) {
	now := s.lockSwept()
	defer s.mu.Unlock()
	l := s.live[id]
	if l == nil || l.instance != instance {
		return 0, false
	}
	return now.Sub(l.seen), true
}

// playersOnline sums the players of hunt over the live edges.
func (s *Server) playersOnline(hunt uint32) int {
	s.lockSwept()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.live {
		n += l.hunts[hunt]
	}
	return n
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := r.Context().Value(principalKey{}).(principal)
	id := Identity{Edge: p.edge, Admin: p.admin}
	if prefix, ok := strings.CutSuffix(p.edge, "*"); ok {
		id.Edge, id.Prefix = "", prefix
	}
	writeJSON(w, http.StatusOK, id)
}

// EdgeStatus is one row of GET /v1/edges: a registered edge or an edge
// credential, and whether the edge is live.
type EdgeStatus struct {
	fsm.Edge
	Registered bool  `json:"registered"`
	Credential bool  `json:"credential"` // it has a per-edge credential
	Live       bool  `json:"live"`
	LastSeenMS int64 `json:"last_seen_ms,omitempty"` // how long ago it reported, when live
	Players    int   `json:"players"`                // in its latest report, when live
}

func (s *Server) listEdges(w http.ResponseWriter, _ *http.Request) {
	rows := map[string]*EdgeStatus{}
	s.node.FSM().View(func(st *fsm.State) {
		for id, e := range st.Edges {
			e.URLs = slices.Clone(e.URLs)
			rows[id] = &EdgeStatus{Edge: e, Registered: true}
		}
	})
	for _, id := range s.cfg.EdgeCredentials.IDs() {
		if rows[id] == nil {
			rows[id] = &EdgeStatus{Edge: fsm.Edge{ID: id}}
		}
		rows[id].Credential = true
	}
	now := s.lockSwept()
	for id, l := range s.live {
		if row := rows[id]; row != nil && row.Instance == l.instance {
			row.Live, row.LastSeenMS = true, now.Sub(l.seen).Milliseconds()
			for _, n := range l.hunts {
				row.Players += n
			}
		}
	}
	s.mu.Unlock()
	out := make([]EdgeStatus, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b EdgeStatus) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, out)
}

// Credentials returns the server's per-edge credentials (to add to them in
// memory, or reload their file).
func (s *Server) Credentials() *Credentials { return s.cfg.EdgeCredentials }

// ReloadCredentials re-reads the credentials file: always (SIGHUP), or
// only when it changed (a poll). On error the credentials in use stay.
func (s *Server) ReloadCredentials(always bool) (bool, error) {
	if always {
		return s.cfg.EdgeCredentials.Reload()
	}
	return s.cfg.EdgeCredentials.ReloadIfChanged()
}
