package session

import (
	"sync"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// Ender is a session a Registry can end: End closes it for a reason the
// transport decided, counted in the core (CloseAll, Shutdown). It must not
// block.
type Ender interface{ End(code protocol.Code) }

// Registry is a transport's open sessions by core id. The zero value is
// ready. Lock order: the core calls its Notifier (which looks sessions up
// here) with its own lock held, so the registry's lock is never held
// across a call into the core or into End.
type Registry[S Ender] struct {
	mu      sync.RWMutex // guards open and closing
	open    map[core.SessionID]S
	closing bool           // Shutdown began: no new sessions
	live    sync.WaitGroup // one per admitted session until Done
}

// Admit lists session id (already opened in the core) as open, unless
// Shutdown began: then it reports false and the caller ends the session.
func (r *Registry[S]) Admit(id core.SessionID, s S) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	if r.open == nil {
		r.open = map[core.SessionID]S{}
	}
	r.open[id] = s
	r.live.Add(1)
	return true
}

// Get is open session id, if it is listed.
func (r *Registry[S]) Get(id core.SessionID) (S, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.open[id]
	return s, ok
}

// Forget stops listing session id (it no longer counts and CloseAll skips
// it) while it finishes; Shutdown still waits for its Done.
func (r *Registry[S]) Forget(id core.SessionID) {
	r.mu.Lock()
	delete(r.open, id)
	r.mu.Unlock()
}

// Done says admitted session id has finished: forgotten, and no longer
// waited for. Call it once per admitted session.
func (r *Registry[S]) Done(id core.SessionID) {
	r.Forget(id)
	r.live.Done()
}

// Len is the number of sessions listed.
func (r *Registry[S]) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.open)
}

// Closing reports whether Shutdown began.
func (r *Registry[S]) Closing() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.closing
}

// CloseAll ends every listed session with code (End: counted once each).
func (r *Registry[S]) CloseAll(code protocol.Code) {
	r.mu.RLock()
	open := make([]S, 0, len(r.open))
	for _, s := range r.open {
		open = append(open, s)
	}
	r.mu.RUnlock()
	for _, s := range open { // outside r.mu: End counts in the core
		s.End(code)
	}
}

// Shutdown refuses new sessions, ends every open one with shutting_down
// (players reconnect elsewhere) and waits until each is Done.
func (r *Registry[S]) Shutdown() {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.CloseAll(protocol.CodeShuttingDown)
	r.live.Wait()
}
