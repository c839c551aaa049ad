package core

import (
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/veltrix/veltrix/geo"
)

// Per-session memory (issue 16: edge heap+stacks ≤ 1 KiB per idle
// connection). The core's share is its session's: the pointer-free slot,
// the frame queue lent while frames wait, its entries in the interest
// areas' watcher lists and in its cell, and its bucket and seat. The
// transport adds its own (ringnet: a 64-byte slot), and the heap some room
// for garbage; coreSessionGoal leaves them the rest of the KiB. (512 before
// crowd refinement added 32 B of hysteresis and anchor to the slot.)
const coreSessionGoal = 576

// idleCity joins n players as a connect ramp does — batch by batch, a tick
// and every session's output pulled after each batch — spread about 30 to
// a cell around dam (res 9), and lets them idle through two refresh rounds,
// each tick's output pulled.
func idleCity(tb testing.TB, n int) (*rig, []SessionID) {
	r := newRig(tb, func(c *Config) { c.IdleTimeout = time.Hour })
	ids := make([]SessionID, 0, n)
	var dst [][]byte
	pullAll := func() {
		for _, id := range ids {
			_, frames, lease := r.c.Pull(id, dst[:0])
			r.c.Release(lease)
			dst = frames[:0]
		}
	}
	for i := range n {
		id := r.join(uint32(i + 1))
		ids = append(ids, id)
		if err := r.move(id, northOf(eastOf(dam, float64(i%50)*60), float64(i/50)*60)); err != nil {
			tb.Fatal(err)
		}
		if i%20 == 19 { // 1% of them a tick: a ramp of 1,000 a second at 100,000
			r.tick()
			pullAll()
		}
	}
	for range 2 * DefaultSnapshotEvery {
		r.tick()
		pullAll()
	}
	return r, ids
}

// sessionBytes counts the memory the core holds for its sessions, per
// session: what is allocated (capacities, not lengths), map entries at
// twice their key and value for the maps' spare room.
func sessionBytes(c *Core, n int) float64 {
	b := uintptr(cap(c.tab.slots))*unsafe.Sizeof(slot{}) + uintptr(cap(c.tab.free))*4
	b += uintptr(cap(c.queues.full.blocks))*unsafe.Sizeof(queue{}) + uintptr(cap(c.queues.full.free))*4
	b += uintptr(cap(c.queues.short.blocks))*unsafe.Sizeof(shortQueue{}) + uintptr(cap(c.queues.short.free))*4
	for _, cs := range c.cells {
		b += unsafe.Sizeof(*cs) + 2*(unsafe.Sizeof(cellKey{})+8)
		b += uintptr(cap(cs.watchers))*unsafe.Sizeof(watcher(0)) + uintptr(cap(cs.players))*4
		b += uintptr(cap(cs.changes))*unsafe.Sizeof(change{}) + uintptr(cap(cs.remote))*unsafe.Sizeof(remoteEntry{})
	}
	b += 2 * uintptr(len(c.buckets)) * (4 + unsafe.Sizeof(bucket{}))
	b += 2 * uintptr(len(c.seats)) * (unsafe.Sizeof(seatKey{}) + 8)
	b += uintptr(cap(c.rounds)) * unsafe.Sizeof(cellKey{})
	return float64(b) / float64(n)
}

// TestIdleSessionFootprint: an idle, placed session costs the core at most
// coreSessionGoal bytes, counted from the structures themselves (not the
// heap, so the figure is the same on every run): the frame queues are lent
// only while frames wait, not held by every session.
func TestIdleSessionFootprint(t *testing.T) {
	const n = 2000
	r, _ := idleCity(t, n)
	if got := r.c.Snapshot().Sessions; got != n {
		t.Fatalf("%d sessions, want %d", got, n)
	}
	perSession := sessionBytes(r.c, n)
	t.Logf("%.0f B per idle session (slot %d B; queues: %d short, %d full for %d sessions)", perSession, unsafe.Sizeof(slot{}), len(r.c.queues.short.blocks), len(r.c.queues.full.blocks), n)
	if perSession > coreSessionGoal {
		t.Errorf("an idle session costs the core %.0f B, want at most %d", perSession, coreSessionGoal)
	}
	if unsafe.Sizeof(slot{}) > 208 {
		t.Errorf("slot is %d B, want at most 208 (pointer-free, queue lent apart)", unsafe.Sizeof(slot{}))
	}
}

// BenchmarkIdleSessionHeap measures what TestIdleSessionFootprint counts:
// the live heap (after a GC) of 2,000 idle placed sessions, per session.
func BenchmarkIdleSessionHeap(b *testing.B) {
	const n = 2000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, _ := idleCity(b, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/session")
		b.ReportMetric(sessionBytes(r.c, n), "counted-B/session")
		runtime.KeepAlive(r)
	}
}

func northOf(p geo.Point, m float64) geo.Point {
	p.Lat += m / 111_320
	return p
}

// tick runs a tick a tick's period (at the default rate) after the last.
func (r *rig) tick() {
	r.now = r.now.Add(time.Second / DefaultTickHz)
	r.c.Tick()
}
