package session

import (
	"sync"
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

type noHunts struct{}

func (noHunts) Hunt(uint32) (core.HuntInfo, bool) { return core.HuntInfo{}, false }

func newCore(t *testing.T) *core.Core {
	pub, _, _ := token.GenerateKey()
	c, err := core.New(core.Config{PublicKey: pub, Hunts: noHunts{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The first reason wins; only a close the transport decided is counted,
// once, and before Stopped is closed.
func TestEndingFirstReasonWins(t *testing.T) {
	cases := []struct {
		name        string
		first       func(*Ending)
		want        protocol.Code
		decided     bool
		countedWant uint64
	}{
		{"decided", func(e *Ending) { e.Decide(protocol.CodeIdle) }, protocol.CodeIdle, true, 1},
		{"asked by the core", func(e *Ending) { e.Asked(protocol.CodeIdle) }, protocol.CodeIdle, false, 0},
		{"client gone", func(e *Ending) { e.Gone() }, protocol.CodeNormal, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t)
			e := NewEnding(c)
			if e.Stopping() {
				t.Fatal("stopping before any reason")
			}
			tc.first(e)
			<-e.Stopped()
			if !e.Stopping() {
				t.Fatal("not stopping after a reason")
			}
			// Later reasons change nothing and count nothing.
			e.Decide(protocol.CodeTooSlow)
			e.Asked(protocol.CodeReplaced)
			e.Gone()
			if code, decided := e.Code(); code != tc.want || decided != tc.decided {
				t.Errorf("Code() = %v, %v; want %v, %v", code, decided, tc.want, tc.decided)
			}
			closes := c.Snapshot().Closes
			if closes[tc.want] != tc.countedWant || closes[protocol.CodeTooSlow] != 0 {
				t.Errorf("Closes %v, want %d of %v and none else", closes, tc.countedWant, tc.want)
			}
		})
	}
}

// Goroutines racing to end a session: one wins, the close is counted once
// (run with -race).
func TestEndingConcurrent(t *testing.T) {
	c := newCore(t)
	e := NewEnding(c)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); e.Decide(protocol.CodeTooSlow) }()
	}
	wg.Wait()
	<-e.Stopped()
	if n := c.Snapshot().Closes[protocol.CodeTooSlow]; n != 1 {
		t.Fatalf("Closes[too_slow] = %d, want 1", n)
	}
}

// ender records the codes it was ended with.
type ender struct {
	mu    sync.Mutex
	codes []protocol.Code
	ended chan struct{} // closed at the first End
}

func newEnder() *ender { return &ender{ended: make(chan struct{})} }

func (s *ender) End(code protocol.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.codes) == 0 {
		close(s.ended)
	}
	s.codes = append(s.codes, code)
}

func (s *ender) got() []protocol.Code {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]protocol.Code(nil), s.codes...)
}

func TestRegistryListsAndForgets(t *testing.T) {
	var r Registry[*ender]
	a, b := newEnder(), newEnder()
	if !r.Admit(1, a) || !r.Admit(2, b) {
		t.Fatal("Admit refused before Shutdown")
	}
	if got, ok := r.Get(1); !ok || got != a {
		t.Fatalf("Get(1) = %v, %v", got, ok)
	}
	if r.Len() != 2 {
		t.Fatalf("Len %d, want 2", r.Len())
	}
	r.Forget(1) // lingering: no longer listed
	if _, ok := r.Get(1); ok || r.Len() != 1 {
		t.Fatalf("forgotten session still listed (Len %d)", r.Len())
	}
	r.CloseAll(protocol.CodeRedirect)
	if got := a.got(); len(got) != 0 {
		t.Errorf("CloseAll ended a forgotten session: %v", got)
	}
	if got := b.got(); len(got) != 1 || got[0] != protocol.CodeRedirect {
		t.Errorf("CloseAll ended the open session with %v, want [redirect]", got)
	}
	r.Done(1)
	r.Done(2)
	if r.Len() != 0 || r.Closing() {
		t.Fatalf("Len %d, Closing %v after Done", r.Len(), r.Closing())
	}
}

// Shutdown ends every open session with shutting_down, waits until each is
// Done (forgotten ones included), and refuses sessions from then on.
func TestRegistryShutdownWaits(t *testing.T) {
	var r Registry[*ender]
	a, b := newEnder(), newEnder()
	r.Admit(1, a)
	r.Admit(2, b)
	r.Forget(2) // lingering, still to finish
	returned := make(chan struct{})
	go func() { defer close(returned); r.Shutdown() }()
	<-a.ended
	if !r.Closing() {
		t.Fatal("not closing while Shutdown ends sessions")
	}
	if r.Admit(3, newEnder()) {
		t.Fatal("Admit accepted a session during Shutdown")
	}
	r.Done(1)
	select {
	case <-returned:
		t.Fatal("Shutdown returned before every admitted session was Done")
	default:
	}
	r.Done(2)
	<-returned
	if got := a.got(); len(got) != 1 || got[0] != protocol.CodeShuttingDown {
		t.Errorf("Shutdown ended the session with %v, want [shutting_down]", got)
	}
	if got := b.got(); len(got) != 0 {
		t.Errorf("Shutdown ended a forgotten session: %v", got)
	}
}
