package sim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/veltrix/veltrix/bench/internal/scenario"
)

// When no player can connect, Run ramps through them all, counts every
// failed dial and keeps the first reason, reports progress done, and then
// waits for the start that will never come until its context ends.
func TestRunWhenNoPlayerConnects(t *testing.T) {
	edge := httptest.NewServer(http.NotFoundHandler()) // no WebSocket here
	defer edge.Close()
	cfg := scenario.Defaults("steady")
	cfg.Players, cfg.Ramp, cfg.Sources = 5, 100_000, 1
	job := Job{Config: cfg, Tokens: []string{"a", "b", "c", "d", "e"}, URL: "ws" + edge.URL[len("http"):] + "/ws",
		Hunt: 1, Res: 9, City: city, Seed: 1}
	var mu sync.Mutex
	var last Progress
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, job, make(chan struct{}), func(p Progress) {
			mu.Lock()
			last = p
			mu.Unlock()
			if p.Done {
				close(ready)
			}
		}, func(Interval) { t.Error("an interval without a start") }, func(Result) { t.Error("a result without a start") })
	}()
	<-ready
	mu.Lock()
	p := last
	mu.Unlock()
	if p.Connected != 0 || p.DialErrors != 5 || p.Messages != 0 {
		t.Errorf("progress %+v: want 5 dial errors, nothing connected", p)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
}
