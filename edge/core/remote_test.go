package core

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// ring links cores as the edges of one region, in memory: what one
// publishes reaches the others that watch the cell, as NATS would carry
// it (edge/region runs the real thing).
type ring struct {
	cores   []*Core
	watch   []map[cellKey]bool
	sent    [][]byte // every payload published, in order
	keepAll bool
}

type member struct {
	r   *ring
	i   int
	buf []byte
}

func (m *member) Watch(hunt uint32, cell uint64, on bool) {
	m.r.watch[m.i][cellKey{hunt, geo.Cell(cell)}] = on
}

func (m *member) Publish(hunt uint32, cell uint64, frames []byte, originSnapshot bool) {
	m.buf = append(m.buf[:0], frames...)
	if originSnapshot {
		protocol.AsOriginSnapshot(m.buf)
	}
	if m.r.keepAll {
		m.r.sent = append(m.r.sent, bytes.Clone(m.buf))
	}
	for j, c := range m.r.cores {
		if j != m.i && c != nil && m.r.watch[j][cellKey{hunt, geo.Cell(cell)}] {
			c.Remote(hunt, cell, m.buf)
		}
	}
}

// newRegion starts n rigs linked by a ring.
func newRegion(t testing.TB, n int, tweak ...func(*Config)) ([]*rig, *ring) {
	rg := &ring{cores: make([]*Core, n), watch: make([]map[cellKey]bool, n), keepAll: true}
	rigs := make([]*rig, n)
	for i := range rigs {
		rg.watch[i] = map[cellKey]bool{}
		rigs[i] = newRig(t, append([]func(*Config){func(c *Config) {
			c.Peers, c.Origin = &member{r: rg, i: i}, uint32(100+i)
		}}, tweak...)...)
		rg.cores[i] = rigs[i].c
	}
	return rigs, rg
}

// pair starts a region of two edges, A and B, with player 1 on A at dam
// and player 2 on B near it: one cell.
func pair(t testing.TB, tweak ...func(*Config)) (a, b *rig, pa, pb SessionID, rg *ring) {
	rigs, rg := newRegion(t, 2, tweak...)
	a, b = rigs[0], rigs[1]
	pa, pb = a.join(1), b.join(2)
	a.move(pa, dam)
	b.move(pb, near)
	return a, b, pa, pb, rg
}

// cellUpdates returns the CELL_UPDATEs among msgs.
func cellUpdates(msgs []protocol.Message) []*protocol.CellUpdate {
	var out []*protocol.CellUpdate
	for _, m := range msgs {
		if cu, ok := m.(*protocol.CellUpdate); ok {
			out = append(out, cu)
		}
	}
	return out
}

// TestCellsSharedAcrossEdges: players of one cell on two edges see each
// other within two ticks; what an edge forwards is byte for byte what the
// other published; a player who joins the cell gets the remote player in
// its snapshot; a player who leaves is seen leaving.
func TestCellsSharedAcrossEdges(t *testing.T) {
	a, b, pa, pb, rg := pair(t)
	for range 2 {
		a.c.Tick()
		b.c.Tick()
	}
	seen := updates(a.pull(pa))
	if e, ok := seen[2]; !ok || e.Op == protocol.OpLeft {
		t.Fatalf("player 1 on edge A does not see player 2 on edge B: %+v", seen)
	}
	if e, ok := updates(b.pull(pb))[1]; !ok || e.Op == protocol.OpLeft {
		t.Fatal("player 2 on edge B does not see player 1 on edge A")
	}
	// Forwarded unchanged: the bytes A's player got are B's publication.
	b.move(pb, dam)
	b.c.Tick()
	a.c.Tick()
	_, frames, lease := a.c.Pull(pa, nil)
	last := rg.sent[len(rg.sent)-1]
	found := false
	for _, f := range frames {
		found = found || bytes.Equal(f, last)
	}
	a.c.Release(lease)
	if !found {
		t.Fatalf("edge B published %x; edge A forwarded %x", last, frames)
	}
	// A joiner on A gets B's player in its snapshot, with B's origin.
	pc := a.join(3)
	a.move(pc, near)
	a.c.Tick()
	var fromB *protocol.CellUpdate
	for _, cu := range cellUpdates(a.pull(pc)) {
		if cu.Origin == 101 && cu.Flags&protocol.FlagOriginSnapshot != 0 {
			fromB = cu
		}
	}
	if fromB == nil || len(fromB.Entries) != 1 || fromB.Entries[0].Player != 2 {
		t.Fatalf("the joiner's snapshot lacks edge B's player: %+v", fromB)
	}
	// B's player leaves: A's players see it go.
	b.c.Closed(pb)
	b.c.Tick()
	a.c.Tick()
	if e := updates(a.pull(pa))[2]; e.Op != protocol.OpLeft {
		t.Fatalf("player 2 left edge B; player 1 on A got %+v", e)
	}
}

// TestSilentEdgeExpires: the players of an edge not heard of for RemoteTTL
// (no frame, no heartbeat) are reported left; heartbeats keep them.
func TestSilentEdgeExpires(t *testing.T) {
	a, b, pa, _, rg := pair(t)
	b.c.Tick()
	a.c.Tick()
	a.pull(pa)
	rg.cores[1] = nil // edge B dies: nothing more from it
	for step := 0; ; step++ {
		if step == 10 {
			a.c.Alive(101) // a heartbeat at 1 s keeps B's players
		}
		a.now = a.now.Add(100 * time.Millisecond)
		a.c.Tick()
		got, ok := updates(a.pull(pa))[2]
		if ok && got.Op == protocol.OpLeft {
			if d := time.Duration(step+1) * 100 * time.Millisecond; d < DefaultRemoteTTL+time.Second || d > DefaultRemoteTTL+2*time.Second {
				t.Fatalf("edge B's player left after %v; want RemoteTTL (%v) after the last heartbeat, within a second", d, DefaultRemoteTTL)
			}
			return
		}
		if step > 100 {
			t.Fatal("edge B's player never expired")
		}
	}
}

// TestMergeLeftIsPerOrigin: a "left" from an origin that no longer owns the
// player (it moved to another edge) does not remove it, and an
// ORIGIN_SNAPSHOT forgets only its own origin's players.
func TestMergeLeftIsPerOrigin(t *testing.T) {
	c := newRig(t).c
	cs := &cellState{}
	c.mergeLocked(cs, &protocol.CellUpdate{Origin: 5, Entries: []protocol.CellEntry{{Op: opEntered, Player: 1}, {Op: opEntered, Player: 2}}})
	c.mergeLocked(cs, &protocol.CellUpdate{Origin: 6, Entries: []protocol.CellEntry{{Op: opEntered, Player: 1}, {Op: opEntered, Player: 3}}})
	c.mergeLocked(cs, &protocol.CellUpdate{Origin: 5, Entries: []protocol.CellEntry{{Op: opLeft, Player: 1}}})
	c.mergeLocked(cs, &protocol.CellUpdate{Origin: 5, Flags: protocol.FlagOriginSnapshot})
	want := []remoteEntry{{origin: 6, player: 1}, {origin: 6, player: 3}}
	if len(cs.remote) != 2 || cs.remote[0] != want[0] || cs.remote[1] != want[1] {
		t.Fatalf("view %+v, want %+v", cs.remote, want)
	}
}

// TestRemoteFramesAreCheckedAndBounded: a payload that is not another
// edge's CELL_UPDATE of the cell is dropped (remote_bad), and a full inbox
// drops (remote_full); neither reaches a player.
func TestRemoteFramesAreCheckedAndBounded(t *testing.T) {
	rigs, _ := newRegion(t, 1, func(c *Config) { c.RemoteInbox = 100 })
	a := rigs[0]
	pa := a.join(1)
	a.move(pa, dam)
	a.c.Tick()
	a.pull(pa)
	cell, _ := geo.CellOf(dam, 9)
	own := protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: protocol.Cell(cell), Origin: 100, Entries: []protocol.CellEntry{{Op: opEntered, Player: 9}}})
	whole := protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: protocol.Cell(cell), Origin: 7, Flags: protocol.FlagSnapshot})
	v1 := protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: protocol.Cell(cell), Entries: []protocol.CellEntry{{Op: opEntered, Player: 9}}})
	for _, p := range [][]byte{own, whole, v1, {0x42, 0xff}} {
		a.c.Remote(testHunt, uint64(cell), p)
	}
	if a.c.Remote(testHunt, uint64(cell), make([]byte, 101)) {
		t.Fatal("a payload larger than the inbox was taken")
	}
	a.c.Tick()
	if got := updates(a.pull(pa)); len(got) != 0 {
		t.Fatalf("bad remote frames reached a player: %+v", got)
	}
	st := a.c.Snapshot()
	if st.Drops[DropRemoteBad] != 4 || st.Drops[DropRemoteFull] != 1 {
		t.Fatalf("drops: bad %d (want 4), full %d (want 1)", st.Drops[DropRemoteBad], st.Drops[DropRemoteFull])
	}
}

// TestPublishPathDoesNotAllocate: with peers, a POSITION, the tick that
// encodes and publishes the cell once and forwards the other edge's frame,
// and the pulls allocate nothing.
func TestPublishPathDoesNotAllocate(t *testing.T) {
	rigs, rg := newRegion(t, 2, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MessageRate, c.MessageBurst = 1e9, 1e9, 1e9, 1e9
		c.PositionBudget = 1 << 30 // the rig's clock stands still: no refill, so no budget to run out of
	})
	rg.keepAll = false
	a, b := rigs[0], rigs[1]
	pa, pb := a.join(1), b.join(2)
	a.move(pa, dam)
	b.move(pb, near)
	frame := make([]byte, 0, 64)
	var out [][]byte
	seq := seqs[pb] // the rig's sequence for this session id (other tests used it too)
	lat, lng := near.E7()
	step := func() {
		seq++
		frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: seq, Lat: lat + int32(seq%7), Lng: lng, Time: uint64(seq)})
		if err := b.c.Deliver(pb, frame); err != nil {
			t.Fatal(err)
		}
		b.c.Tick()
		a.c.Tick()
		for _, p := range []struct {
			r  *rig
			id SessionID
		}{{a, pa}, {b, pb}} {
			var l Lease
			_, out, l = p.r.c.Pull(p.id, out[:0])
			p.r.c.Release(l)
		}
	}
	for range 100 {
		step()
	}
	published := b.c.Snapshot().FramesPublished
	if n := testing.AllocsPerRun(500, step); n != 0 {
		t.Errorf("position → publish → forward → pull allocates %v times", n)
	}
	if got := b.c.Snapshot().FramesPublished - published; got < 500 {
		t.Errorf("%d publications in 501 ticks with a moving player", got)
	}
	if st := a.c.Snapshot(); st.Drops[DropBudget] != 0 || st.FramesQueued < 500 {
		t.Errorf("edge A queued %d frames, dropped %d over the budget: the forwarded frames did not reach its player", st.FramesQueued, st.Drops[DropBudget])
	}
}

// FuzzRemote: whatever another edge (or anything on its NATS subject)
// sends, the tick neither panics nor forwards a frame that is not a whole
// CELL_UPDATE of the cell.
func FuzzRemote(f *testing.F) {
	cell, _ := geo.CellOf(dam, 9)
	f.Add(protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: protocol.Cell(cell), Origin: 7, Entries: []protocol.CellEntry{{Op: opEntered, Player: 9}}}))
	f.Add(protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: protocol.Cell(cell), Origin: 7, Flags: protocol.FlagOriginSnapshot}))
	f.Add([]byte{0x42, 0x02, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, payload []byte) {
		rigs, _ := newRegion(t, 1)
		a := rigs[0]
		pa := a.join(1)
		a.move(pa, dam)
		a.c.Tick()
		a.pull(pa)
		a.c.Remote(testHunt, uint64(cell), payload)
		a.c.Tick()
		for _, cu := range cellUpdates(a.pull(pa)) { // pull fails the test on a malformed message
			if cu.Cell != protocol.Cell(cell) || cu.Origin == 0 {
				t.Fatalf("forwarded %+v", cu)
			}
		}
	})
}

// BenchmarkRegion: 3,000 players around one square kilometre at 1
// position/s, spread evenly over 1, 2 or 3 edges linked in memory (each
// edge's publication copied once per watching edge, as NATS delivers it).
// ns/delivered is the CPU of all the edges' cores per CELL_UPDATE entry of
// a change a player received (snapshots repeat positions); with an even spread it is each edge's own figure. NATS's
// share is not in it (the veltrix-bench region scenario has it).
func BenchmarkRegion(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("edges=%d", n), func(b *testing.B) { benchRegion(b, n) })
	}
}

func benchRegion(b *testing.B, edges int) {
	const players, tickHz = 3000, 10
	rigs, rg := newRegion(b, edges, func(c *Config) {
		c.PositionRate, c.PositionBurst, c.MaxSpeed = 1e9, 1e9, 1e6
		// Every position, as in the figures of bench/RESULTS.md: no crowd
		// mode, and no budget (the rigs' clock stands still: it would not refill).
		c.CrowdPlayers, c.PositionBudget = 1<<20, 1<<30
	})
	rg.keepAll = false
	rng := rand.New(rand.NewPCG(1, 2))
	ids, pos := make([]SessionID, players), make([][2]int32, players)
	for i := range ids {
		r := rigs[i%edges]
		ids[i] = r.join(uint32(i + 1))
		pos[i] = [2]int32{523730796 + int32(rng.IntN(90_000)) - 45_000, 48924534 + int32(rng.IntN(150_000)) - 75_000}
		if err := r.c.Deliver(ids[i], protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: pos[i][0], Lng: pos[i][1]})); err != nil {
			b.Fatal(err)
		}
	}
	frame := make([]byte, 0, 64)
	var out [][]byte
	delivered := 0
	step := func(t int) {
		for i := t % tickHz; i < players; i += tickHz { // a tenth of the players move each tick
			pos[i][0] += int32(rng.IntN(30)) - 15
			frame = protocol.AppendPosition(frame[:0], &protocol.Position{Seq: uint32(t + 2), Lat: pos[i][0], Lng: pos[i][1], Time: uint64(t)})
			if err := rigs[i%edges].c.Deliver(ids[i], frame); err != nil {
				b.Fatal(err)
			}
		}
		for _, r := range rigs {
			r.c.Tick()
		}
		for i, id := range ids {
			c := rigs[i%edges].c
			var l Lease
			_, out, l = c.Pull(id, out[:0])
			for _, f := range out { // changes only: snapshots repeat positions
				if f[protocol.HeaderSize+12]&(protocol.FlagSnapshot|protocol.FlagContinued|protocol.FlagOriginSnapshot) == 0 {
					delivered += int(f[protocol.HeaderSize+13]) | int(f[protocol.HeaderSize+14])<<8
				}
			}
			c.Release(l)
		}
	}
	for t := range 2 * tickHz { // every edge has every other's players in view
		step(t)
	}
	delivered = 0
	b.ReportAllocs()
	b.ResetTimer()
	for t := 2 * tickHz; b.Loop(); t++ {
		step(t)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(delivered), "ns/delivered")
	b.ReportMetric(float64(delivered)/float64(b.N), "delivered/tick")
}
