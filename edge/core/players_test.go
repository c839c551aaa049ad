package core

import (
	"testing"
	"time"
)

// TestPlayersInHuntIsExactAndLockFree: welcomed sessions are counted per
// hunt as they join, are replaced and close, and reading the count takes no
// lock — it answers while the core's lock is held (by a tick, say), so the
// hunt-status endpoint never waits behind one.
func TestPlayersInHuntIsExactAndLockFree(t *testing.T) {
	r := newRig(t)
	a := r.join(1)
	r.join(2)
	if got := r.c.PlayersInHunt(testHunt); got != 2 {
		t.Fatalf("%d players after two joined, want 2", got)
	}
	r.join(1) // replaces a: counted once
	if got := r.c.PlayersByHunt()[testHunt]; got != 2 {
		t.Fatalf("%d players after player 1 reconnected, want 2", got)
	}
	r.c.Closed(a)
	r.c.Open(r.owner, 0) // not welcomed: not counted
	if got := r.c.PlayersInHunt(testHunt); got != 2 {
		t.Fatalf("%d players, want 2", got)
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	got := make(chan int, 1)
	go func() { got <- r.c.PlayersInHunt(testHunt) }()
	select {
	case n := <-got:
		if n != 2 {
			t.Errorf("%d players read under the lock, want 2", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("PlayersInHunt waited for the core's lock")
	}
}

// BenchmarkPlayersInHuntDuringTicks: the hunt-status endpoint's core call
// while another goroutine ticks 10,000 sessions back to back.
func BenchmarkPlayersInHuntDuringTicks(b *testing.B) {
	r := newRig(b)
	for i := range 10_000 {
		r.join(uint32(i + 1))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				r.c.Tick()
			}
		}
	}()
	for b.Loop() {
		if r.c.PlayersInHunt(testHunt) != 10_000 {
			b.Fatal("wrong count")
		}
	}
	close(stop)
	<-done
}
