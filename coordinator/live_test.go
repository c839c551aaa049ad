package coordinator_test

import (
	"context"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/api"
)

// TestLiveViewReplication: the live view asked of a follower shows every
// server's own raft state (the leader, the follower itself, one term; a
// bootstrap voter that never led may have no API address to ask, a known
// gap in docs/operations.md), and once the leader is killed, shows it
// unreachable and the new leader.
func TestLiveViewReplication(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(60 * time.Second)
	f, k := (lead+1)%3, (lead+2)%3
	view := func() map[string]api.ServerView {
		var v api.LiveView
		if _, err := c.call(context.Background(), f, "GET", "/v1/live", nil, &v); err != nil {
			t.Fatal(err)
		}
		out := map[string]api.ServerView{}
		for _, r := range v.Replication {
			out[r.ID] = r
		}
		return out
	}
	id := func(i int) string { return c.procs[i].id }
	eventually(t, 30*time.Second, "every server's raft state in the follower's live view", func() bool {
		rows := view()
		l, me, other := rows[id(lead)], rows[id(f)], rows[id(k)]
		return len(rows) == 3 && l.State == "Leader" && l.AppliedIndex > 0 && me.State == "Follower" && me.Term == l.Term &&
			((other.State == "Follower" && other.Term == l.Term) || other.Error == "no API address published")
	})
	c.kill(lead)
	eventually(t, 60*time.Second, "the killed leader unreachable, and a new leader, in the live view", func() bool {
		rows := view()
		if rows[id(lead)].Error != "unreachable" {
			return false
		}
		return rows[id(f)].State == "Leader" || rows[id(k)].State == "Leader"
	})
}
