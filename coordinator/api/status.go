package api

import (
	"net/http"
	"slices"

	"github.com/veltrix/veltrix/coordinator/fsm"
)

// huntStatus serves the status from this node's replica, or, with
// ?consistent=true, a linearizable read on the leader (forwarded if needed).
func (s *Server) huntStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := huntID(w, r)
	if !ok {
		return
	}
	consistent, ok := s.readBarrier(w, r, s.huntStatus)
	if !ok {
		return
	}
	st, found := s.readStatus(id)
	if !found {
		writeError(w, http.StatusNotFound, "no hunt %d", id)
		return
	}
	st.Consistent = consistent
	st.StalenessMS = s.node.Staleness().Milliseconds()
	writeJSON(w, http.StatusOK, st)
}

// readBarrier serves ?consistent=true: on a follower it forwards the request
// (h) to the leader, on the leader it waits for a barrier so that the read
// that follows is linearizable. It returns whether the read is consistent and
// false when it has answered the request itself.
func (s *Server) readBarrier(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) (consistent, ok bool) {
	if r.URL.Query().Get("consistent") != "true" {
		return false, true
	}
	if !s.node.IsLeader() {
		s.leaderOnly(h).ServeHTTP(w, r)
		return true, false
	}
	if err := s.node.ConsistentRead(r.Context()); err != nil {
		writeClusterError(w, err)
		return true, false
	}
	return true, true
}

func (s *Server) readStatus(id uint32) (st HuntStatus, found bool) {
	s.node.FSM().View(func(fs *fsm.State) {
		h := fs.Hunts[id]
		if h == nil {
			return
		}
		found = true
		st = HuntStatus{
			Hunt: id, Name: h.Spec.Name, State: h.State.String(), Total: len(h.Treasures), Remaining: h.Remaining,
			Leaderboard: slices.Clone(h.Leaders), Starts: h.Spec.Starts, Ends: h.Spec.Ends,
			Node: s.node.ID(), AppliedIndex: fs.Applied,
		}
	})
	st.PlayersOnline = s.playersOnline(id)
	return st, found
}

func sortHunts(hs []HuntSummary) {
	slices.SortFunc(hs, func(a, b HuntSummary) int { return int(a.ID) - int(b.ID) })
}

func sortedTreasures(h *fsm.Hunt) []fsm.Treasure {
	out := make([]fsm.Treasure, 0, len(h.Treasures))
	for _, t := range h.Treasures {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b fsm.Treasure) int { return int(a.ID) - int(b.ID) })
	return out
}
