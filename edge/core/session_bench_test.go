package core

import "testing"

// BenchmarkTickSessions10k is the tick's cost per session with nothing to
// fan out: 10,000 welcomed sessions, one op one Tick. The tick's pass over
// the slots checks each session for drops (too_slow) and for its token
// expiry and idle deadline (SPEC.md §2.3) — two integer comparisons, no
// timer per session.
func BenchmarkTickSessions10k(b *testing.B) {
	const players = 10_000
	r := newRig(b)
	for i := range players {
		r.join(uint32(i + 1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.c.Tick()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/players, "ns/session")
}
