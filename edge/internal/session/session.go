// Package session is the session lifecycle the edge's transports share:
// how one session ends (Ending: the first reason wins, a close the
// transport decided is counted in the core before the close goes out) and
// a transport's open sessions by core id (Registry: lookup for the core's
// notifications, CloseAll, and Shutdown, which refuses new sessions, ends
// the open ones and waits for them). edge/wsnet and edge/wtnet use both;
// edge/ringnet, whose connections live in its rings' pointer-free slots,
// uses a Gate (admission and Shutdown's wait, no list). It does no I/O.
package session

import (
	"sync"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// Ending is how one session ends, shared by its goroutines. The first
// reason given wins; the session's writer waits on Stopped, flushes, and
// closes with Code.
type Ending struct {
	core    *core.Core
	once    sync.Once
	code    protocol.Code // set before stop is closed
	decided bool          // the transport chose to close (counted): the core queued no ERROR for it
	stop    chan struct{} // closed once: flush and close with code
}

// NewEnding returns the ending of a session of core c.
func NewEnding(c *core.Core) *Ending { return &Ending{core: c, stop: make(chan struct{})} }

// Decide ends the session for a reason the transport decided (a framing
// violation, a deadline, too_slow, CloseAll, Shutdown) and counts the close
// by code in the core — before Stopped is closed, so before the writer may
// send the close.
func (e *Ending) Decide(code protocol.Code) { e.end(code, true) }

// Asked ends the session with code because the core asked
// (core.Notifier.Hangup): the core has counted the close and queued its
// ERROR.
func (e *Ending) Asked(code protocol.Code) { e.end(code, false) }

// Gone ends a session the client closed or lost: normal, not counted.
func (e *Ending) Gone() { e.end(protocol.CodeNormal, false) }

// end records the first reason and closes stop. sync.Once only orders the
// fields: calling the core inside it could deadlock against
// Notifier.Hangup, which the core calls with its lock held.
func (e *Ending) end(code protocol.Code, decided bool) {
	first := false
	e.once.Do(func() { e.code, e.decided, first = code, decided, true })
	if !first {
		return
	}
	if decided {
		e.core.CountClose(code)
	}
	close(e.stop)
}

// Stopped is closed once the session ends.
func (e *Ending) Stopped() <-chan struct{} { return e.stop }

// Stopping reports whether the session has ended.
func (e *Ending) Stopping() bool {
	select {
	case <-e.stop:
		return true
	default:
		return false
	}
}

// Code is the code the session ends with and whether the transport decided
// it (then the core queued no ERROR: the transport sends one). Valid once
// Stopped is closed.
func (e *Ending) Code() (code protocol.Code, decided bool) { return e.code, e.decided }
