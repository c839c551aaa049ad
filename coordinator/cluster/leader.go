package cluster

import (
	"context"
	"time"

	"github.com/veltrix/veltrix/coordinator/fsm"
)

// leaderLoop does the leader's chores: on gaining leadership it writes its
// API address into the log, and every ScheduleEvery it turns due hunt
// schedules into start/end entries. Followers only watch.
func (n *Node) leaderLoop() {
	defer n.wg.Done()
	tick := time.NewTicker(n.cfg.ScheduleEvery)
	defer tick.Stop()
	registered := false
	for {
		select {
		case <-n.stop:
			return
		case leads := <-n.raft.LeaderCh():
			n.cfg.Logger.Info("leadership changed", "node", n.cfg.ID, "leader", leads)
		case <-tick.C:
		}
		if !n.IsLeader() {
			registered = false
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
		if !registered {
			registered = n.registerSelf(ctx) == nil
		}
		n.proposeDueTransitions(ctx)
		cancel()
	}
}

func (n *Node) registerSelf(ctx context.Context) error {
	if n.cfg.APIAddr == "" {
		return nil
	}
	var cur string
	n.fsm.View(func(s *fsm.State) { cur = s.Nodes[n.cfg.ID] })
	if cur == n.cfg.APIAddr {
		return nil
	}
	return n.SetNodeAPI(ctx, n.cfg.ID, n.cfg.APIAddr)
}

// SetNodeAPI records the API address of node id in the log.
func (n *Node) SetNodeAPI(ctx context.Context, id, api string) error {
	entry, err := fsm.Encode(&fsm.SetNode{ID: id, Addr: api})
	if err != nil {
		return err
	}
	_, err = n.Apply(ctx, entry)
	return err
}

// proposeDueTransitions starts scheduled hunts whose start time has come and
// ends hunts whose end time has come, by the leader's clock.
func (n *Node) proposeDueTransitions(ctx context.Context) {
	now := n.cfg.Now().UnixMicro()
	type due struct {
		kind fsm.Kind
		hunt uint32
	}
	var todo []due
	n.fsm.View(func(s *fsm.State) {
		for id, h := range s.Hunts {
			switch {
			case h.State != fsm.Ended && h.Spec.Ends != 0 && h.Spec.Ends <= now:
				todo = append(todo, due{fsm.KindEndHunt, id})
			case h.State == fsm.Scheduled && h.Spec.Starts != 0 && h.Spec.Starts <= now:
				todo = append(todo, due{fsm.KindStartHunt, id})
			}
		}
	})
	for _, d := range todo {
		entry, err := fsm.EncodeTransition(d.kind, fsm.HuntTransition{Hunt: d.hunt, Time: now})
		if err == nil {
			_, err = n.Apply(ctx, entry)
		}
		if err != nil {
			n.cfg.Logger.Warn("cannot apply scheduled hunt transition", "hunt", d.hunt, "kind", d.kind, "err", err)
		}
	}
}
