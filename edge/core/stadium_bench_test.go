package core

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkStadium: veltrix-bench crowd's stadium in the core alone — n
// players normally spread (σ 150 m) around one spot, each sending a
// position a second, every session pulling each tick. One op is one tick;
// it reports the cores that load needs (core-s per s) and the frames and
// pulls per player and second, beside what the transport adds per frame.
func BenchmarkStadium(b *testing.B) {
	for _, n := range []int{5000, 15000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := newRig(b, func(c *Config) {
				c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst = 1e9, 1e9, 1e9, 1e9
			})
			ids, at := stadium(r, n)
			var out [][]byte
			step := func(tick int) {
				for i := tick % DefaultTickHz; i < n; i += DefaultTickHz {
					at[i] = eastOf(at[i], float64(tick%3)-1)
					r.move(ids[i], at[i])
				}
				r.now = r.now.Add(100 * time.Millisecond)
				r.c.Tick()
				for _, id := range ids {
					var l Lease
					_, out, l = r.c.Pull(id, out[:0])
					r.c.Release(l)
				}
			}
			for t := range 2 * DefaultTickHz {
				step(t)
			}
			before := r.c.Snapshot()
			start := time.Now()
			t := 0
			for b.Loop() {
				step(t)
				t++
			}
			secs := float64(t) / DefaultTickHz
			st := r.c.Snapshot()
			b.ReportMetric(time.Since(start).Seconds()/secs, "cores")
			b.ReportMetric(float64(st.FramesQueued-before.FramesQueued)/secs/float64(n), "frames/player/s")
			b.ReportMetric(float64(st.BytesFannedOut-before.BytesFannedOut)/secs/float64(n), "B/player/s")
		})
	}
}
