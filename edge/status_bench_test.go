package edge_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkHuntStatus: GET /v1/hunts/{id}/status on the ring transport (a
// plain HTTP request the ring hands to net/http) while another goroutine
// runs the core's tick back to back, so that a status request that waited
// for the core's lock would wait behind ticks. It reports the p99 of the
// requests; the answer's player count comes from Core.PlayersInHunt, which
// takes no lock.
func BenchmarkHuntStatus(b *testing.B) {
	w := newWorld(b, "uring")
	url := fmt.Sprintf("%s/v1/hunts/%d/status", w.edge.URL(), w.hunt.ID)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
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
