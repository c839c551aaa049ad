package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/protocol"
)

// TestSubmitClaimsAnswersEveryCallerInOrder races many callers, each with
// several claims, through a batcher allowed one entry in flight and small
// entries, so calls are split across and merged into entries. Every call
// must get one outcome per claim, in its claims' order; every treasure is
// won exactly once; a retry with the same keys returns the original outcome.
func TestSubmitClaimsAnswersEveryCallerInOrder(t *testing.T) {
	for _, inflight := range []int{1, 3} {
		t.Run(fmt.Sprintf("inflight=%d", inflight), func(t *testing.T) {
			c := startClusterWith(t, 3, 300*time.Millisecond, Config{MaxInflightEntries: inflight, MaxClaimBatch: 8})
			leader := c.leader(t, nil)
			hunt, ts := huntWithTreasures(t, leader, 20)
			const callers = 40
			calls := make([][]fsm.Claim, callers)
			outs := make([][]fsm.Outcome, callers)
			var wg sync.WaitGroup
			for i := range callers {
				// Each call claims one treasure twice (same player, two
				// request ids) and then another: the second claim of the pair
				// can never win, because the first is decided before it.
				a, b := ts[i%len(ts)], ts[(i*7+3)%len(ts)]
				calls[i] = []fsm.Claim{
					{Edge: "t", Request: uint64(3 * i), Hunt: hunt, Treasure: a.ID, Player: uint32(i + 1), Cell: a.Cell},
					{Edge: "t", Request: uint64(3*i + 1), Hunt: hunt, Treasure: a.ID, Player: uint32(i + 1), Cell: a.Cell},
					{Edge: "t", Request: uint64(3*i + 2), Hunt: hunt, Treasure: b.ID, Player: uint32(i + 1), Cell: b.Cell},
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					if outs[i], err = leader.SubmitClaims(context.Background(), calls[i]); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			won := map[uint32]int{}
			for i, call := range calls {
				if len(outs[i]) != len(call) {
					t.Fatalf("call %d: %d outcomes for %d claims", i, len(outs[i]), len(call))
				}
				for j, o := range outs[i] {
					if o.Treasure != call[j].Treasure {
						t.Fatalf("call %d claim %d: outcome for treasure %d, claimed %d", i, j, o.Treasure, call[j].Treasure)
					}
					if o.Code == protocol.OutcomeWon {
						won[o.Treasure]++
					}
				}
				if outs[i][1].Code == protocol.OutcomeWon {
					t.Errorf("call %d: the repeated claim of treasure %d won", i, call[1].Treasure)
				}
			}
			for _, tr := range ts {
				if won[tr.ID] != 1 {
					t.Errorf("treasure %d won %d times", tr.ID, won[tr.ID])
				}
			}
			again, err := leader.SubmitClaims(context.Background(), calls[0])
			if err != nil {
				t.Fatal(err)
			}
			for j := range again {
				if again[j] != outs[0][j] {
					t.Errorf("retry of claim %d: %+v, first answer %+v", j, again[j], outs[0][j])
				}
			}
		})
	}
}
