package ringnet

import (
	"runtime"
	"sync"
)

// baseProcs is GOMAXPROCS as it was before any server raised it: the
// CPUs Go code may use, and the default ring count.
var baseProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })

// reserveProcs raises GOMAXPROCS to baseProcs + rings, so that the rings
// never hold every P, and returns it. A ring's goroutine is locked to its
// thread and waits for completions in io_uring_enter, an ordinary system
// call: its P stays with it (in _Psyscall) until sysmon takes it back,
// and sysmon does not while each wait is short, as on a busy ring, or
// while its own delay has backed off to 10 ms. With as many rings as Ps
// the goroutines net/http's hand-off and kept-alive connections make
// ready — put on a ring's P, or found by a netpoll nobody runs — waited
// there 10–30 ms under load. The extra Ps are not CPU: a ring's P is
// idle while its thread sleeps in the kernel.
func reserveProcs(rings int) int {
	if want := baseProcs() + rings; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
	return runtime.GOMAXPROCS(0)
}

// Procs is GOMAXPROCS as New left it: the CPUs' Ps plus one per ring.
func (s *Server) Procs() int { return s.procs }
