package edge

import (
	"context"
	"fmt"
)

// WaitHunt returns once this edge's replica of the coordinator's state holds
// hunt as active (players of the hunt are welcomed from then on), or with
// an error when ctx ends first.
func (e *Edge) WaitHunt(ctx context.Context, hunt uint32) error {
	rep := e.Link.Replica()
	for {
		changed := rep.Changed()
		if info, ok := rep.Hunt(hunt); ok && info.Active {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("hunt %d is not active on this edge: %w", hunt, ctx.Err())
		}
	}
}
