package ringnet

import (
	"runtime"
	"testing"

	"github.com/veltrix/veltrix/edge/core"
)

// TestRingsLeaveProcsForNetHTTP: every ring's goroutine keeps its P while
// it waits in io_uring_enter, so with no more Ps than rings the goroutines
// of net/http (the hand-off's Accept, kept-alive hunt-status connections)
// waited for sysmon, 10–30 ms on a busy edge (the 100,000-player runs).
// New leaves as many Ps beyond the rings as the CPUs had.
func TestRingsLeaveProcsForNetHTTP(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	rings := before + 1 // more rings than Ps: as -max-conns asks at 100,000
	_, srv, _, _ := keyed(t, Config{Rings: rings}, core.Config{})
	if got, want := runtime.GOMAXPROCS(0), rings+baseProcs(); got < want || srv.Procs() != got {
		t.Fatalf("GOMAXPROCS %d (Procs %d) with %d rings: want ≥ %d, a P for every ring and the CPUs' own", got, srv.Procs(), rings, want)
	}
}
