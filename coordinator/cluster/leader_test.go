package cluster

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/geo"
)

// TestLeaderChoresOnFakeClock runs one node on raft's in-memory transport in
// a synctest bubble, so raft's timers and the leader loop's ticker run on
// the bubble's fake clock: the test moves time by hours in no time, and each
// synctest.Wait returns once every goroutine of the node is idle. The
// leader registers its API address once it leads, starts a scheduled hunt
// at the first schedule tick at or after its start time and not before,
// and ends it likewise, with the transition times taken from its clock.
func TestLeaderChoresOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, tr := raft.NewInmemTransport("mem-solo")
		defer tr.Close()
		t0 := time.Now()
		n, err := Open(Config{ID: "solo", DataDir: t.TempDir(), Bootstrap: true, Transport: tr, APIAddr: "solo.api:8080"})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		// No fake time passed in Open, so the leader loop's schedule ticks
		// fall at t0 + k·ScheduleEvery: the test puts the start and end
		// times on ticks, to see that a transition is due at its time and
		// not one tick earlier or later.
		if !time.Now().Equal(t0) {
			t.Fatalf("Open took %v of the bubble's time", time.Since(t0))
		}
		// The bubble's clock stands still until every goroutine in it
		// blocks, so the observer is registered before any raft timer fires.
		obs := make(chan raft.Observation, 16)
		n.raft.RegisterObserver(raft.NewObserver(obs, false, nil))
		for !n.IsLeader() {
			<-obs
		}
		synctest.Wait()
		if id, api := n.Leader(); id != "solo" || api != "solo.api:8080" {
			t.Fatalf("leader %q at %q, want solo registered at solo.api:8080", id, api)
		}

		if time.Hour%DefaultScheduleEvery != 0 {
			t.Fatalf("ScheduleEvery %v does not divide an hour: the times below are not on ticks", DefaultScheduleEvery)
		}
		starts := t0.Add(time.Hour)
		ends := starts.Add(time.Hour)
		id := createScheduled(t, n, starts, ends)
		// transition checks that the hunt is still from one nanosecond
		// before at, and to from at, with the time when says equal to at.
		transition := func(at time.Time, from, to fsm.HuntState, when func(h *fsm.Hunt) int64) {
			t.Helper()
			var h fsm.Hunt
			look := func() { n.FSM().View(func(s *fsm.State) { h = *s.Hunts[id] }) }
			time.Sleep(time.Until(at) - time.Nanosecond)
			synctest.Wait()
			if look(); h.State != from {
				t.Fatalf("hunt %v one nanosecond before %v, want %v", h.State, at, from)
			}
			time.Sleep(time.Nanosecond)
			synctest.Wait()
			if look(); h.State != to || when(&h) != at.UnixMicro() {
				t.Fatalf("hunt %v at %d by %v, want %v at %d", h.State, when(&h), at, to, at.UnixMicro())
			}
		}
		transition(starts, fsm.Scheduled, fsm.Active, func(h *fsm.Hunt) int64 { return h.Started })
		transition(ends, fsm.Active, fsm.Ended, func(h *fsm.Hunt) int64 { return h.Ended })
	})
}

func createScheduled(t *testing.T, n *Node, starts, ends time.Time) uint32 {
	area := geo.Polygon{Outer: []geo.Point{{Lat: 52.30, Lng: 4.80}, {Lat: 52.30, Lng: 5.00}, {Lat: 52.42, Lng: 5.00}, {Lat: 52.42, Lng: 4.80}}}
	entry, err := fsm.Encode(&fsm.CreateHunt{Spec: fsm.HuntSpec{Name: "timed", Area: area, Resolution: 9, Treasures: 2,
		ClaimRadius: 1, Respawn: fsm.RespawnNone, Starts: starts.UnixMicro(), Ends: ends.UnixMicro()}, Seed: 1, Time: time.Now().UnixMicro()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Apply(context.Background(), entry)
	if err != nil {
		t.Fatal(err)
	}
	cr := res.(*fsm.CreateResult)
	if cr.Err != nil {
		t.Fatal(cr.Err)
	}
	return cr.Hunt
}
