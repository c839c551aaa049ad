package link

import (
	"context"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

type pendingClaim struct {
	session core.SessionID
	claim   wire.Claim
	request uint32 // the player's CLAIM request id
}

// maxPending bounds the claims waiting for the coordinator; beyond it a
// claim is answered "unavailable" at once.
const maxPending = 16384

// Submit implements core.Claims. It is called with the core locked, so it
// only queues; claimLoop answers. The coordinator deduplicates by (hunt,
// player, request), whichever edge a claim comes through: a player retrying
// a CLAIM with the same request id can never win twice, even after a
// reconnect to another edge.
func (l *Link) Submit(id core.SessionID, player, hunt, request, treasure uint32, cell uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, pendingClaim{session: id, request: request, claim: wire.Claim{
		Edge: l.cfg.EdgeID, Request: uint64(request), Hunt: hunt, Treasure: treasure,
		Player: player, Cell: cell,
	}})
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// claimLoop sends what is pending as one request (drain, send, block) and
// returns each outcome to its session.
func (l *Link) claimLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		l.mu.Lock()
		batch, c := l.pending, l.core
		l.pending = nil
		l.mu.Unlock()
		for len(batch) > 0 && c != nil {
			n := min(len(batch), wire.MaxClaimsPerRequest)
			l.submitBatch(ctx, c, batch[:n], len(batch) > maxPending)
			batch = batch[n:]
		}
	}
}

func (l *Link) submitBatch(ctx context.Context, c *core.Core, batch []pendingClaim, shed bool) {
	claims := make([]wire.Claim, len(batch))
	for i, p := range batch {
		claims[i] = p.claim
	}
	var resp wire.ClaimsResponse
	err := context.DeadlineExceeded
	if !shed {
		err = l.retry(ctx, func(ctx context.Context) (err error) {
			resp, err = l.api.Claims(ctx, claims)
			return err
		})
	}
	for i, p := range batch {
		r := protocol.ClaimResult{Request: p.request, Treasure: p.claim.Treasure, Outcome: protocol.OutcomeUnavailable}
		if err == nil && i < len(resp.Outcomes) {
			o := resp.Outcomes[i]
			r.Outcome, r.Points, r.Score = o.Code, o.Points, o.Score
		}
		c.ClaimResult(p.session, r)
	}
}

// retry calls f until it succeeds, is refused (4xx but 429), or ClaimTimeout
// passes (a leader change takes well under that); retries reuse the same
// idempotency keys.
func (l *Link) retry(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.ClaimTimeout)
	defer cancel()
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		err := f(ctx)
		if err == nil || ctx.Err() != nil || refused(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
	}
}

// Register records this edge (and this instance of it) with the
// coordinators, retrying through leader changes; a refusal (4xx: another
// live instance holds the id, or the credential is another edge's) returns
// at once.
func (l *Link) Register(ctx context.Context) error {
	return l.retry(ctx, func(ctx context.Context) error {
		return l.api.Register(ctx, wire.Edge{ID: l.cfg.EdgeID, Instance: l.cfg.Instance, Region: l.cfg.Region, URLs: l.cfg.URLs})
	})
}

// Leave tells the coordinators this instance is shutting down: it stops
// counting, and the next instance of the edge may register at once.
func (l *Link) Leave(ctx context.Context) error {
	return l.api.Load(ctx, wire.LoadReport{Edge: l.cfg.EdgeID, Instance: l.cfg.Instance, Leaving: true})
}

// ReportLoad sends the players online per hunt and, when not nil, the
// edge's stats for the operators' live view.
func (l *Link) ReportLoad(ctx context.Context, hunts map[uint32]int, stats *wire.EdgeStats) error {
	return l.api.Load(ctx, wire.LoadReport{Edge: l.cfg.EdgeID, Instance: l.cfg.Instance, Hunts: hunts, Stats: stats})
}
