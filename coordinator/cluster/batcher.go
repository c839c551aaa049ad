package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/coordinator/fsm"
)

// claimReq is one caller's claims waiting for a batch. done is closed once
// out or err is set.
type claimReq struct {
	claims []fsm.Claim
	out    []fsm.Outcome
	err    error
	done   chan struct{}
}

// batch is a committed-or-failing log entry and the requests it carries.
type batch struct {
	reqs   []*claimReq
	future raft.ApplyFuture
}

// SubmitClaims commits claims on the leader, batched with concurrent callers'
// claims into as few log entries as possible, and returns their outcomes in
// order. On an error the claims may or may not have been applied: retry them
// with the same idempotency keys, which returns the original outcomes.
func (n *Node) SubmitClaims(ctx context.Context, claims []fsm.Claim) ([]fsm.Outcome, error) {
	if !n.IsLeader() {
		return nil, n.notLeaderErr()
	}
	r := &claimReq{claims: claims, done: make(chan struct{})}
	select {
	case n.claims <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-n.stop:
		return nil, ErrClosed
	}
	select {
	case <-r.done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// batchLoop drains waiting claims into one entry, hands it to raft without
// waiting for the commit, and goes on with the next: entries pipeline while
// claims that arrive during a commit gather into the next batch. At most
// MaxInflightEntries entries are in raft at once: the loop takes a slot
// before it gathers, so claims that arrive while every slot is busy gather
// into one larger entry, and once the claims channel is full SubmitClaims
// callers wait (backpressure) instead of queueing without bound.
func (n *Node) batchLoop() {
	defer n.wg.Done()
	slots := make(chan struct{}, n.cfg.MaxInflightEntries)
	inflight := make(chan *batch, n.cfg.MaxInflightEntries)
	n.wg.Add(1)
	go n.completeLoop(inflight, slots)
	defer close(inflight)
	for {
		var first *claimReq
		select {
		case first = <-n.claims:
		case <-n.stop:
			return
		}
		select {
		case slots <- struct{}{}:
		case <-n.stop:
			failAll([]*claimReq{first}, ErrClosed)
			return
		}
		reqs, cmd := n.gather(first)
		data, err := fsm.Encode(cmd)
		if err != nil {
			<-slots
			failAll(reqs, err)
			continue
		}
		inflight <- &batch{reqs: reqs, future: n.raft.Apply(data, n.cfg.ApplyTimeout)}
	}
}

// gather takes first and whatever else is waiting, up to MaxClaimBatch claims.
func (n *Node) gather(first *claimReq) ([]*claimReq, *fsm.Claims) {
	reqs := []*claimReq{first}
	cmd := &fsm.Claims{Time: n.cfg.Now().UnixMicro(), Seed: rand.Uint64()}
	cmd.Claims = append(cmd.Claims, first.claims...)
	for len(cmd.Claims) < n.cfg.MaxClaimBatch {
		select {
		case r := <-n.claims:
			reqs = append(reqs, r)
			cmd.Claims = append(cmd.Claims, r.claims...)
		default:
			return reqs, cmd
		}
	}
	return reqs, cmd
}

// completeLoop waits for each batch's commit in order, answers its callers
// and frees the batch's slot.
func (n *Node) completeLoop(inflight <-chan *batch, slots <-chan struct{}) {
	defer n.wg.Done()
	for b := range inflight {
		n.complete(b)
		<-slots
	}
}

func (n *Node) complete(b *batch) {
	if err := b.future.Error(); err != nil {
		failAll(b.reqs, n.translate(err))
		return
	}
	outs, ok := b.future.Response().([]fsm.Outcome)
	if !ok {
		failAll(b.reqs, fmt.Errorf("claims entry applied with response %v", b.future.Response()))
		return
	}
	for _, r := range b.reqs {
		r.out, outs = outs[:len(r.claims):len(r.claims)], outs[len(r.claims):]
		close(r.done)
	}
}

func failAll(reqs []*claimReq, err error) {
	for _, r := range reqs {
		r.err = err
		close(r.done)
	}
}
