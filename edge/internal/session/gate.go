package session

import "sync"

// Gate admits sessions until Shutdown begins and waits for the admitted
// ones to finish. It lists none: a transport whose sessions live in its
// own tables (edge/ringnet's rings) ends them itself, so a session costs it
// no map entry. The zero value is ready.
type Gate struct {
	mu      sync.Mutex // guards closing
	closing bool
	live    sync.WaitGroup // one per admitted session until Done
}

// Admit counts one more session, unless Close was called: then it reports
// false and the caller ends the session.
func (g *Gate) Admit() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.live.Add(1)
	return true
}

// Done says an admitted session has finished. Call it once per Admit that
// reported true.
func (g *Gate) Done() { g.live.Done() }

// Close refuses sessions from now on.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closing = true
	g.mu.Unlock()
}

// Closing reports whether Close was called.
func (g *Gate) Closing() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closing
}

// Wait returns once every admitted session is Done.
func (g *Gate) Wait() { g.live.Wait() }
