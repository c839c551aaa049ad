//go:build !race

package ringnet

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestRingHotPathAllocs asserts that the hot path allocates nothing at
// all: every allocation the process makes over 2,000 rounds (both clients,
// the core and the ring) is recorded (runtime.MemProfileRate = 1) and must
// be exactly none, not a per-op average rounded down. The only ones let
// through are the Go runtime's own bookkeeping (runtimeOwn): a new M when
// a locked ring thread blocks, a sudog when a goroutine waits on a
// contended lock and the caches a GC emptied are refilled, a type-assertion
// cache resized; they come at random and no Go code of ours asks for them.
// Allocation counts mean nothing under the race detector, so this file is
// built without it only: make test-go runs the Alloc tests in a pass of
// their own without -race.
func TestRingHotPathAllocs(t *testing.T) {
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	step := hotPath(t)
	before := allocSites()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	const rounds = 2000
	for range rounds {
		step()
	}
	runtime.ReadMemStats(&ms1)
	var ours []string
	own, pinners := 0, 0
	for site, n := range allocSites() {
		if d := n - before[site]; d > 0 && !strings.Contains(site, ".allocSites\n") { // the first snapshot's own
			if runtimeOwn(site) {
				own += int(d)
				continue
			}
			// A Pinner's storage, when a GC emptied the P's cache and the
			// ring's thread ran on another P between its Unpin and Pin
			// (pinAnchor): a rare refill, never one per send.
			if strings.Contains(site, "\truntime.(*Pinner).Pin\n") && pinners+int(d) <= maxPinnerRefills {
				pinners += int(d)
				continue
			}
			ours = append(ours, fmt.Sprintf("%d at\n%s", d, site))
		}
	}
	t.Logf("%d rounds: %d allocations in all, %d of them the runtime's own, %d Pinner refills", rounds, ms1.Mallocs-ms0.Mallocs, own, pinners)
	if len(ours) > 0 {
		t.Errorf("%d position→cell update rounds allocate:\n%s", rounds, strings.Join(ours, "\n"))
	}
}

// maxPinnerRefills is how many Pinner storage refills a run of the hot path
// may see (see TestRingHotPathAllocs): a few per run, against one per send
// if pinAnchor stopped working.
const maxPinnerRefills = 3

// allocSites returns the allocations recorded so far, by call stack. The
// profile is published by a completed GC cycle: two GCs make it current.
func allocSites() map[string]int64 {
	runtime.GC()
	runtime.GC()
	n, _ := runtime.MemProfile(nil, true)
	recs := make([]runtime.MemProfileRecord, n+64)
	n, _ = runtime.MemProfile(recs, true)
	sites := make(map[string]int64, n)
	for _, r := range recs[:n] {
		var b strings.Builder
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			fmt.Fprintf(&b, "\t%s\n", f.Function)
			if !more {
				break
			}
		}
		sites[b.String()] += r.AllocObjects
	}
	return sites
}

// runtimeOwn reports whether the allocation at site is the runtime's
// scheduler bookkeeping rather than an allocation some Go code asked for.
func runtimeOwn(site string) bool {
	for _, fn := range []string{
		"runtime.acquireSudog",                                  // a goroutine waits on a contended lock
		"runtime.allocm", "runtime.malg", "runtime.mcommoninit", // a new M
		"runtime.runFinalizers",        // the finalizer goroutine's frames
		"runtime.buildTypeAssertCache", // a type-assertion cache resized
		"runtime.(*timers).addHeap",    // the background scavenger's timer
	} {
		if strings.Contains(site, "\t"+fn+"\n") {
			return true
		}
	}
	return false
}
