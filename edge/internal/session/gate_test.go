package session

import (
	"testing"
	"time"
)

// TestGateAdmitsUntilClosedAndWaits: sessions are admitted until Close;
// Wait returns only once each admitted one is Done.
func TestGateAdmitsUntilClosedAndWaits(t *testing.T) {
	var g Gate
	for range 2 {
		if !g.Admit() {
			t.Fatal("an open gate refused a session")
		}
	}
	g.Close()
	if !g.Closing() || g.Admit() {
		t.Fatal("a closed gate admitted a session")
	}
	waited := make(chan struct{})
	go func() {
		g.Wait()
		close(waited)
	}()
	g.Done()
	select {
	case <-waited:
		t.Fatal("Wait returned with a session still admitted")
	default:
	}
	g.Done()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return once every session was Done")
	}
}
