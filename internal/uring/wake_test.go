package uring

import (
	"runtime"
	"testing"
	"time"
)

// TestWake: a Wake from another goroutine ends the owner's wait with a
// WakeData completion, on both paths: MSG_RING where the kernel has
// REGISTER_SEND_MSG_RING, and the eventfd fallback (forced with
// Config.EventfdWake, so it runs on kernels that do not need it).
func TestWake(t *testing.T) {
	f, err := Probe()
	if err != nil {
		t.Fatalf("io_uring is required (the edge's ring transport): %v", err)
	}
	for _, c := range []struct {
		name    string
		eventfd bool
	}{{"msg_ring", false}, {"eventfd", true}} {
		t.Run(c.name, func(t *testing.T) {
			if !c.eventfd && !f.MsgRingWake() {
				t.Fatalf("the kernel (%s) lacks REGISTER_SEND_MSG_RING: the ring would wake by eventfd only", f.Kernel)
			}
			runtime.LockOSThread() // SINGLE_ISSUER: this thread owns the ring
			defer runtime.UnlockOSThread()
			r, err := New(Config{Entries: 8, EventfdWake: c.eventfd})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for round := range 3 { // the eventfd READ is re-armed each time
				if !r.ArmWake() {
					t.Fatal("ArmWake failed")
				}
				if r.EventfdWake() != c.eventfd {
					t.Fatalf("EventfdWake() = %v, want %v", r.EventfdWake(), c.eventfd)
				}
				if err := r.Submit(false, 0); err != nil { // the READ goes in before anyone wakes
					t.Fatal(err)
				}
				// The owner announces its wait, another goroutine wakes it
				// (before or while it waits: the same for the kernel), then
				// the wait must end with the wake-up's completion.
				r.Sleep()
				woken := make(chan struct{})
				go func() { r.Wake(); close(woken) }()
				<-woken
				deadline := time.Now().Add(10 * time.Second)
				cqes := make([]CQE, 0, 8)                           // Reap copies up to cap
				for len(cqes) == 0 && time.Now().Before(deadline) { // a wait may end early (EINTR)
					if err := r.Submit(true, time.Until(deadline)); err != nil {
						t.Fatal(err)
					}
					cqes = r.Reap(cqes)
				}
				if len(cqes) != 1 || cqes[0].UserData != WakeData {
					t.Fatalf("round %d: completions %+v, want one WakeData (enters %d, interrupts %d, wakeups %d)", round, cqes, r.Stats.Enters.Load(), r.Stats.Interrupts.Load(), r.Stats.Wakeups.Load())
				}
				if n := r.Stats.Wakeups.Load(); n != uint64(round+1) {
					t.Fatalf("round %d: %d wake-ups counted", round, n)
				}
			}
		})
	}
}
