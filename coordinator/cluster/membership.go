package cluster

import (
	"context"
	"time"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/fsm"
)

// AddVoter adds node id at raft address addr as a voter, and records its API
// address when given. Leader only.
func (n *Node) AddVoter(ctx context.Context, id, addr, api string) error {
	if !n.IsLeader() {
		return n.notLeaderErr()
	}
	f := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, n.applyTimeout(ctx))
	if err := f.Error(); err != nil {
		return n.translate(err)
	}
	if api == "" {
		return nil
	}
	return n.SetNodeAPI(ctx, id, api)
}

// RemoveServer removes node id from the cluster. Leader only.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if !n.IsLeader() {
		return n.notLeaderErr()
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.applyTimeout(ctx)).Error(); err != nil {
		return n.translate(err)
	}
	return nil
}

// Server is one member of the cluster as this node sees it.
type Server struct {
	ID       string `json:"id"`
	Addr     string `json:"raft_addr"`
	API      string `json:"api_addr,omitempty"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// Status is this node's view of the cluster.
type Status struct {
	ID           string   `json:"id"`
	State        string   `json:"state"`
	Leader       string   `json:"leader"`
	LeaderAPI    string   `json:"leader_api,omitempty"`
	Term         uint64   `json:"term"`
	CommitIndex  uint64   `json:"commit_index"`
	AppliedIndex uint64   `json:"applied_index"`
	LastContact  string   `json:"last_contact"` // time since the leader was last heard, "0s" on the leader
	LogStore     string   `json:"log_store"`    // wal or bolt
	Servers      []Server `json:"servers"`
}

// Status reports the node's raft state and the cluster configuration.
func (n *Node) Status() Status {
	st := Status{
		ID: n.cfg.ID, State: n.raft.State().String(),
		Term: n.raft.CurrentTerm(), CommitIndex: n.raft.CommitIndex(), AppliedIndex: n.raft.AppliedIndex(),
		LastContact: n.Staleness().String(), LogStore: n.cfg.LogStore,
	}
	st.Leader, st.LeaderAPI = n.Leader()
	var apis map[string]string
	n.fsm.View(func(s *fsm.State) {
		apis = make(map[string]string, len(s.Nodes))
		for k, v := range s.Nodes {
			apis[k] = v
		}
	})
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			st.Servers = append(st.Servers, Server{
				ID: string(s.ID), Addr: string(s.Address), API: apis[string(s.ID)],
				Suffrage: s.Suffrage.String(), Leader: string(s.ID) == st.Leader,
			})
		}
	}
	return st
}

// Staleness is how far behind the leader this node's state may be: zero on
// the leader, the time since the leader was last heard on a follower.
func (n *Node) Staleness() time.Duration {
	if n.IsLeader() {
		return 0
	}
	lc := n.raft.LastContact()
	if lc.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return time.Since(lc).Round(time.Millisecond)
}
