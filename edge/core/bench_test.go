package core

import (
	"math/rand/v2"
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

// BenchmarkCity10k: 10,000 players spread over a ~11 × 7 km city area at
// H3 resolution 9, each sending one position a second (1,000 per tick at
// 10 Hz), every session pulling its output each tick. One op is one tick of
// that load. It reports the bytes fanned out per second of CPU (per core),
// the cores that 1 position/s for 10,000 players needs, and the CELL_UPDATE
// frames encoded per tick beside the changed cells per tick (counted apart
// from the encoding): equal, one frame per changed cell.
func BenchmarkCity10k(b *testing.B) {
	const players, tickHz = 10_000, 10
	r := newRig(b, func(c *Config) { c.PositionRate, c.PositionBurst, c.MaxSpeed = 1e9, 1e9, 1e6 })
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]SessionID, players)
	pos := make([][2]int32, players)
	for i := range ids {
		ids[i] = r.join(uint32(i + 1))
		pos[i] = [2]int32{523730796 + int32(rng.IntN(1_000_000)) - 500_000, 48924534 + int32(rng.IntN(1_600_000)) - 800_000}
		lat, lng := pos[i][0], pos[i][1]
		if err := r.c.Deliver(ids[i], protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: lat, Lng: lng})); err != nil {
			b.Fatal(err)
		}
	}
	r.c.Tick()
	frame := make([]byte, 0, 64)
	var out [][]byte
	seq := uint32(1)
	before := r.c.Snapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for t := 0; b.Loop(); t++ {
		seq++
		for i := t % tickHz; i < players; i += tickHz { // a tenth of the players move this tick
			pos[i][0] += int32(rng.IntN(30)) - 15 // ~1.5 m
			frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: seq, Lat: pos[i][0], Lng: pos[i][1], Time: uint64(t)})
			if err := r.c.Deliver(ids[i], frame); err != nil {
				b.Fatal(err)
			}
		}
		r.c.Tick()
		for _, id := range ids {
			var l Lease
			_, out, l = r.c.Pull(id, out[:0])
			r.c.Release(l)
		}
	}
	st := r.c.Snapshot()
	if n := st.Drops[DropRateLimited] + st.Drops[DropImpossibleSpeed] + st.Drops[DropInvalidPosition] - before.Drops[DropRateLimited] - before.Drops[DropImpossibleSpeed] - before.Drops[DropInvalidPosition]; n > 0 {
		b.Fatalf("%d positions rejected: the load is not what it claims", n)
	}
	bytes := float64(st.BytesFannedOut - before.BytesFannedOut)
	simSeconds := float64(b.N) / tickHz
	b.ReportMetric(float64(st.FramesEncoded-before.FramesEncoded)/float64(b.N), "frames/tick")
	b.ReportMetric(float64(st.CellsChanged-before.CellsChanged)/float64(b.N), "cells/tick")
	b.ReportMetric(bytes/b.Elapsed().Seconds(), "fanout-B/cpu-s")
	b.ReportMetric(b.Elapsed().Seconds()/simSeconds, "cores")
	b.ReportMetric(bytes/simSeconds, "fanout-B/s")
}
