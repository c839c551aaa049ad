package core

import (
	"testing"

	"github.com/veltrix/veltrix/protocol"
)

// BenchmarkPositionFanOut: one POSITION decoded and recorded, the tick that
// encodes its cell once, and every subscriber's Pull/Release — per op, with
// 8 players in the cell (all subscribers of each other).
func BenchmarkPositionFanOut(b *testing.B) {
	r := newRig(b, func(c *Config) { c.PositionRate, c.PositionBurst = 1e9, 1e9 })
	ids := make([]SessionID, 8)
	for i := range ids {
		ids[i] = r.join(uint32(i + 1))
		r.move(ids[i], near)
	}
	frame := make([]byte, 0, 64)
	var out [][]byte
	lat, lng := near.E7()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := ids[i%len(ids)]
		frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: uint32(1000 + i), Lat: lat + int32(i%5), Lng: lng, Time: uint64(i)})
		if err := r.c.Deliver(id, frame); err != nil {
			b.Fatal(err)
		}
		r.c.Tick()
		for _, s := range ids {
			var l Lease
			_, out, l = r.c.Pull(s, out[:0])
			r.c.Release(l)
		}
	}
}
