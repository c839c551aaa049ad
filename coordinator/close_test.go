package coordinator_test

import (
	"context"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
)

// TestCloseTwice: a second Close (a deferred one after an explicit one,
// dev mode's Close after its coordinator's) returns at once with the first
// one's result. It used to wait for ever on the server's exit.
func TestCloseTwice(t *testing.T) {
	c, err := coordinator.Embedded(t.TempDir(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	first := c.Close()
	second := make(chan error, 1)
	go func() { second <- c.Close() }()
	select {
	case err := <-second:
		if err != first {
			t.Errorf("second Close: %v, want the first's %v", err, first)
		}
	case <-ctx.Done():
		t.Fatal("the second Close never returned")
	}
}
