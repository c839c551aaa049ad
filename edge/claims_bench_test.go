package edge_test

import (
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

// BenchmarkHonestClaimsUnderFlood measures the claim round trip honest
// players see (CLAIM sent to CLAIM_RESULT read, through a real edge and a
// single-node coordinator with its disk log), side by side without and with
// two players flooding claims of treasure 0 and of a made-up treasure, 500
// a second each (world.flood). One op is 200 claims: 40 fresh players, 5
// claims each (within the per-player burst), one player after another.
// Run: go test -run '^$' -bench HonestClaimsUnderFlood -benchtime 5x ./edge/
func BenchmarkHonestClaimsUnderFlood(b *testing.B) {
	for _, flood := range []bool{false, true} {
		name := "quiet"
		if flood {
			name = "flood"
		}
		b.Run(name, func(b *testing.B) {
			w := newWorld(b, "uring")
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var floods [2]map[uint8]int
			if flood {
				for i, treasure := range []uint32{0, 1 << 30} {
					started := make(chan struct{})
					wg.Add(1)
					go func() { defer wg.Done(); floods[i] = w.flood(uint32(900+i), treasure, stop, started) }()
					<-started
				}
			}
			h := hdrhistogram.New(1, int64(10*time.Second/time.Microsecond), 3)
			next := uint32(1000)
			won := 0
			b.ResetTimer()
			for range b.N {
				for range 40 {
					next++
					tr := w.hunt.Treasures[int(next)%len(w.hunt.Treasures)]
					c, in := w.standOn(next, tr)
					for req := uint32(1); req <= 5; req++ {
						start := time.Now()
						r := w.claim(c, in, req, tr.ID)
						_ = h.RecordValue(time.Since(start).Microseconds())
						switch r.Outcome {
						case protocol.OutcomeWon:
							won++
						case protocol.OutcomeAlreadyClaimed, protocol.OutcomeTooFar, protocol.OutcomeHuntNotActive: // decided by the coordinator all the same
						default:
							b.Fatalf("honest claim answered %+v", r)
						}
					}
					closeQuietly(c)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(h.ValueAtQuantile(50))/1000, "p50-ms")
			b.ReportMetric(float64(h.ValueAtQuantile(99))/1000, "p99-ms")
			b.ReportMetric(float64(h.Max())/1000, "max-ms")
			if flood {
				n := sum(floods[0]) + sum(floods[1])
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "flood-answered/s")
			}
		})
	}
}

func closeQuietly(c *client.Client) { _ = c.Close() }
