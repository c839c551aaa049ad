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

// BenchmarkHuntStatusTransports: the same GET through each transport over
// loopback, kept alive and on a new connection each (on the ring transport
// the new connection is accepted into a direct descriptor and handed to
// net/http, FIXED_FD_INSTALL), with six rings as at 100,000 players.
// Reports p50 and p99.
func BenchmarkHuntStatusTransports(b *testing.B) {
	for _, tr := range []edge.Config{{Transport: "netpoll"}, {Transport: "uring", Rings: 6}} {
		for _, ka := range []bool{true, false} {
			name := tr.Transport + map[bool]string{true: "/keepalive", false: "/newconn"}[ka]
			b.Run(name, func(b *testing.B) {
				tp := &http.Transport{MaxIdleConnsPerHost: 1, DisableKeepAlives: !ka}
				huntStatusTimes(b, tr, false, &http.Client{Transport: tp})
			})
		}
	}
}

func huntStatusP99(b *testing.B, cfg edge.Config, ticking bool) {
	huntStatusTimes(b, cfg, ticking, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}})
}

func huntStatusTimes(b *testing.B, cfg edge.Config, ticking bool, cl *http.Client) {
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
	var took []time.Duration
	for b.Loop() {
		took = append(took, getStatus(b, cl, url))
	}
	close(stop)
	<-done
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

// getStatus GETs url and returns how long the answer took.
func getStatus(b *testing.B, cl *http.Client, url string) time.Duration {
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
	return time.Since(start)
}
