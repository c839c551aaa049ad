package edge_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge"
)

// BenchmarkHuntStatus: GET /v1/hunts/{id}/status on the ring transport (a
// plain HTTP request the ring hands to net/http, then kept alive), one at
// a time, reporting the p99. "ticking": another goroutine runs the core's
// tick back to back, so that a request that waited for the core's lock
// would wait behind ticks (the player count comes from
// Core.PlayersInHunt, which takes no lock). "6rings": as many rings as
// 100,000 connections take here, idle, their threads asleep in
// io_uring_enter.
func BenchmarkHuntStatus(b *testing.B) {
	b.Run("ticking", func(b *testing.B) { huntStatusP99(b, edge.Config{Transport: "uring"}, true) })
	b.Run("6rings", func(b *testing.B) { huntStatusP99(b, edge.Config{Transport: "uring", Rings: 6}, false) })
}

func huntStatusP99(b *testing.B, cfg edge.Config, ticking bool) {
	w := huntWorld(b)
	w.edge = w.readyEdge(cfg)
	url := fmt.Sprintf("%s/v1/hunts/%d/status", w.edge.URL(), w.hunt.ID)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for ticking {
			select {
			case <-stop:
				return
			default:
				w.edge.Core.Tick()
			}
		}
	}()
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := cl.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		took = append(took, time.Since(start))
	}
	close(stop)
	<-done
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}
