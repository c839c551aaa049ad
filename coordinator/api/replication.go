package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/veltrix/veltrix/coordinator/cluster"
)

// The live view's replication table: every server's own view of raft (its
// state, term, commit and applied index, last contact with the leader),
// asked of each peer's GET /v1/cluster with the admin token. The answer is
// kept for ReplicationMaxAge, so however many operators watch, a node asks
// each peer at most once in that time.

// ReplicationMaxAge is how long a node reuses its peers' answers.
const ReplicationMaxAge = time.Second

// replicationTimeout bounds one peer's answer.
const replicationTimeout = time.Second

// ServerView is one server's raft state as that server reports it, or why
// it could not be asked.
type ServerView struct {
	ID           string `json:"id"`
	State        string `json:"state,omitempty"`
	Term         uint64 `json:"term,omitempty"`
	CommitIndex  uint64 `json:"commit_index,omitempty"`
	AppliedIndex uint64 `json:"applied_index,omitempty"`
	LastContact  string `json:"last_contact,omitempty"`
	Error        string `json:"error,omitempty"`
}

// replicationCache holds the last answers. Its mutex is held while asking,
// so that concurrent viewers wait for one round rather than start their own.
type replicationCache struct {
	mu   sync.Mutex
	at   time.Time
	rows []ServerView
}

// replication returns every server's view, asking the peers unless the last
// round is younger than ReplicationMaxAge.
func (s *Server) replication(ctx context.Context, self cluster.Status) []ServerView {
	c := &s.repl
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := s.now(); now.Sub(c.at) < ReplicationMaxAge && len(c.rows) == len(self.Servers) {
		return slices.Clone(c.rows)
	}
	rows := make([]ServerView, len(self.Servers))
	var wg sync.WaitGroup
	for i, srv := range self.Servers {
		switch {
		case srv.ID == self.ID:
			rows[i] = ServerView{ID: self.ID, State: self.State, Term: self.Term, CommitIndex: self.CommitIndex,
				AppliedIndex: self.AppliedIndex, LastContact: self.LastContact}
		case srv.API == "":
			rows[i] = ServerView{ID: srv.ID, Error: "no API address published"}
		default:
			wg.Go(func() { rows[i] = s.askPeer(ctx, srv.ID, srv.API) })
		}
	}
	wg.Wait()
	c.at, c.rows = s.now(), rows
	return slices.Clone(rows)
}

// askPeer gets one peer's GET /v1/cluster.
func (s *Server) askPeer(ctx context.Context, id, addr string) ServerView {
	ctx, cancel := context.WithTimeout(ctx, replicationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.Scheme+"://"+addr+"/v1/cluster", nil)
	if err != nil {
		return ServerView{ID: id, Error: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.AdminToken)
	resp, err := s.cfg.Forward.Do(req)
	if err != nil {
		return ServerView{ID: id, Error: "unreachable"}
	}
	defer resp.Body.Close()
	var st cluster.Status
	if resp.StatusCode != http.StatusOK {
		return ServerView{ID: id, Error: fmt.Sprintf("answered %s", resp.Status)}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return ServerView{ID: id, Error: "unreadable answer"}
	}
	return ServerView{ID: id, State: st.State, Term: st.Term, CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, LastContact: st.LastContact}
}
