package sim

// The worker's claims and counts: what it was answered, what it still
// waits for, and the errors it was sent.

import (
	"context"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// answered notes that a claim got its CLAIM_RESULT.
func (w *worker) answered() {
	if w.outstanding.Add(-1) == 0 {
		select {
		case w.drained <- struct{}{}:
		default:
		}
	}
}

// awaitClaims waits until every claim sent has been answered, for at most
// grace (or until ctx ends).
func (w *worker) awaitClaims(ctx context.Context, grace time.Duration) {
	timeout := time.NewTimer(grace)
	defer timeout.Stop()
	for w.outstanding.Load() > 0 {
		select {
		case <-w.drained:
		case <-timeout.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// unanswered counts the claims, over all players, that have no
// CLAIM_RESULT.
func (w *worker) unanswered() int64 { return w.outstanding.Load() }

// errorCount is the running total of what an Interval counts as errors.
func (w *worker) errorCount() int64 {
	c := &w.c
	return c.edgeErrors.Load() + c.sendErrors.Load() + c.disconnects.Load() + c.otherResult.Load()
}

// received sums the players' counts of messages and CELL_UPDATE entries.
func (w *worker) received() (msgs, entries int64) {
	for _, p := range w.players {
		msgs += p.msgs.Load()
		entries += p.entries.Load()
	}
	return msgs, entries
}

func (w *worker) countError(code protocol.Code) {
	w.c.edgeErrors.Add(1)
	w.mu.Lock()
	w.errs[code.String()]++
	w.mu.Unlock()
}

func (w *worker) claimOutcome(player uint32, m protocol.ClaimResult) {
	switch m.Outcome {
	case protocol.OutcomeWon:
		w.c.won.Add(1)
		w.mu.Lock()
		w.winners[m.Treasure] = append(w.winners[m.Treasure], player)
		w.mu.Unlock()
	case protocol.OutcomeAlreadyClaimed:
		w.c.alreadyClaimed.Add(1)
	case protocol.OutcomeTooFar:
		w.c.tooFar.Add(1)
	case protocol.OutcomeHuntNotActive:
		w.c.notActive.Add(1)
	default:
		w.c.otherResult.Add(1)
	}
}
