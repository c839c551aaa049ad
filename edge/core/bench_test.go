package core

import (
	"fmt"
	"math/rand/v2"
	"sync"
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
	const players, tickHz = city10kPlayers, 10
	r, ids, pos, rng := city10k(b)
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

const city10kPlayers = 10_000

// city10k is BenchmarkCity10k's city: its players welcomed and placed, one
// tick run.
func city10k(b *testing.B) (*rig, []SessionID, [][2]int32, *rand.Rand) {
	r := newRig(b, func(c *Config) { c.PositionRate, c.PositionBurst, c.MaxSpeed = 1e9, 1e9, 1e6 })
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]SessionID, city10kPlayers)
	pos := make([][2]int32, city10kPlayers)
	for i := range ids {
		ids[i] = r.join(uint32(i + 1))
		pos[i] = [2]int32{523730796 + int32(rng.IntN(1_000_000)) - 500_000, 48924534 + int32(rng.IntN(1_600_000)) - 800_000}
		lat, lng := pos[i][0], pos[i][1]
		if err := r.c.Deliver(ids[i], protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: lat, Lng: lng})); err != nil {
			b.Fatal(err)
		}
	}
	r.c.Tick()
	return r, ids, pos, rng
}

// BenchmarkCity10kDeliverers is BenchmarkCity10k's tick with its
// deliveries and pulls split over 1 or 2 goroutines (as the transports'
// goroutines or rings call the core), each owning a disjoint half of the
// players: one op is one tick. Against the core's single mutex it shows
// whether a second caller adds throughput (the lock is not the limit) or
// only waits (per-hunt shards would help).
func BenchmarkCity10kDeliverers(b *testing.B) {
	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			const tickHz = 10
			r, ids, pos, _ := city10k(b)
			b.ReportAllocs()
			b.ResetTimer()
			for t := 0; b.Loop(); t++ {
				var wg sync.WaitGroup
				for w := range g {
					wg.Go(func() {
						frame := make([]byte, 0, 64)
						for i := t%tickHz + w*tickHz; i < len(ids); i += g * tickHz { // a tenth of the players move this tick
							lat := pos[i][0] + int32(t/tickHz%2)*10 // ~1 m back and forth
							frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: uint32(t + 2), Lat: lat, Lng: pos[i][1], Time: uint64(t)})
							if err := r.c.Deliver(ids[i], frame); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				r.c.Tick()
				for w := range g {
					wg.Go(func() {
						var out [][]byte
						for i := w; i < len(ids); i += g {
							var l Lease
							_, out, l = r.c.Pull(ids[i], out[:0])
							r.c.Release(l)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
