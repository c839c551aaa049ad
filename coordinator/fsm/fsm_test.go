package fsm

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// square is a ~2.2 × 2.2 km area around Dam Square, Amsterdam.
var square = geo.Polygon{Outer: []geo.Point{
	{Lat: 52.36, Lng: 4.88}, {Lat: 52.36, Lng: 4.912}, {Lat: 52.38, Lng: 4.912}, {Lat: 52.38, Lng: 4.88},
}}

func spec(n int) HuntSpec {
	return HuntSpec{Name: "dam", Area: square, Resolution: 9, Treasures: n, MinSpacing: 1, ClaimRadius: 1}
}

// harness applies entries to an FSM with increasing indexes.
type harness struct {
	t     testing.TB
	f     *FSM
	index uint64
	log   [][]byte // every entry applied, in order
}

func newHarness(t testing.TB) *harness { return &harness{t: t, f: New()} }

func (h *harness) apply(cmd any) any {
	h.t.Helper()
	var data []byte
	var err error
	switch c := cmd.(type) {
	case []byte:
		data = c
	default:
		data, err = Encode(cmd)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.index++
	h.log = append(h.log, data)
	return h.f.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: data})
}

func (h *harness) transition(k Kind, hunt uint32) error {
	h.t.Helper()
	b, err := EncodeTransition(k, HuntTransition{Hunt: hunt, Time: int64(h.index + 1)})
	if err != nil {
		h.t.Fatal(err)
	}
	res, _ := h.apply(b).(error)
	return res
}

func (h *harness) create(s HuntSpec, seed uint64) uint32 {
	h.t.Helper()
	res := h.apply(&CreateHunt{Spec: s, Seed: seed, Time: 1}).(*CreateResult)
	if res.Err != nil {
		h.t.Fatal(res.Err)
	}
	return res.Hunt
}

func (h *harness) claim(cs ...Claim) []Outcome {
	h.t.Helper()
	return h.apply(&Claims{Time: int64(1000 + h.index), Seed: h.index, Claims: cs}).([]Outcome)
}

func (h *harness) hunt(id uint32) *Hunt {
	var out *Hunt
	h.f.View(func(s *State) { out = s.Hunts[id] })
	return out
}

// anyTreasure returns the unclaimed treasure with the lowest id.
func (h *harness) anyTreasure(id uint32) Treasure {
	var best Treasure
	for _, t := range h.hunt(id).Treasures {
		if !t.Claimed() && (best.ID == 0 || t.ID < best.ID) {
			best = t
		}
	}
	return best
}

func TestHuntLifecycleAndClaims(t *testing.T) {
	h := newHarness(t)
	id := h.create(spec(5), 42)
	if hu := h.hunt(id); hu.State != Scheduled || len(hu.Treasures) != 5 || hu.Remaining != 5 {
		t.Fatalf("new hunt: state %v, %d treasures, %d remaining", hu.State, len(hu.Treasures), hu.Remaining)
	}
	tr := h.anyTreasure(id)
	if o := h.claim(Claim{Edge: "e1", Request: 1, Hunt: id, Treasure: tr.ID, Player: 7, Cell: tr.Cell}); o[0].Code != protocol.OutcomeHuntNotActive {
		t.Fatalf("claim before start: %+v", o[0])
	}
	if err := h.transition(KindStartHunt, id); err != nil {
		t.Fatal(err)
	}
	if err := h.transition(KindStartHunt, id); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("second start: %v", err)
	}
	far, _ := geo.CellOf(geo.Point{Lat: 52.30, Lng: 4.70}, 9)
	outs := h.claim(
		Claim{Edge: "e1", Request: 2, Hunt: id, Treasure: tr.ID, Player: 8, Cell: uint64(far)},
		Claim{Edge: "e1", Request: 3, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell},
		Claim{Edge: "e2", Request: 3, Hunt: id, Treasure: tr.ID, Player: 10, Cell: tr.Cell},
		Claim{Edge: "e1", Request: 4, Hunt: id, Treasure: 999999, Player: 9, Cell: tr.Cell},
		Claim{Edge: "e1", Request: 5, Hunt: 77, Treasure: tr.ID, Player: 9, Cell: tr.Cell},
	)
	want := []uint8{protocol.OutcomeTooFar, protocol.OutcomeWon, protocol.OutcomeAlreadyClaimed, protocol.OutcomeUnknown, protocol.OutcomeUnknown}
	for i, o := range outs {
		if o.Code != want[i] {
			t.Errorf("claim %d: outcome %d, want %d", i, o.Code, want[i])
		}
	}
	if outs[1].Points != DefaultPoints || outs[1].Score != DefaultPoints {
		t.Errorf("winning claim: %+v", outs[1])
	}
	// The retry of the winning request gets the original outcome, and nothing
	// is applied twice.
	retry := h.claim(Claim{Edge: "e1", Request: 3, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})
	if retry[0] != outs[1] {
		t.Errorf("retried claim: %+v, want the original %+v", retry[0], outs[1])
	}
	hu := h.hunt(id)
	if hu.Remaining != 4 || hu.Scores[9] != DefaultPoints || len(hu.Leaders) != 1 || hu.Leaders[0] != (Leader{Player: 9, Score: DefaultPoints}) {
		t.Errorf("after claims: remaining %d, scores %v, leaders %v", hu.Remaining, hu.Scores, hu.Leaders)
	}
	if got := hu.Treasures[tr.ID]; got.ClaimedBy != 9 || !got.Claimed() {
		t.Errorf("treasure after claim: %+v", got)
	}
}

func TestLastTreasureEndsHunt(t *testing.T) {
	h := newHarness(t)
	id := h.create(spec(2), 1)
	if err := h.transition(KindStartHunt, id); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		tr := h.anyTreasure(id)
		h.claim(Claim{Edge: "e", Request: uint64(i), Hunt: id, Treasure: tr.ID, Player: 1, Cell: tr.Cell})
	}
	if hu := h.hunt(id); hu.State != Ended || hu.Remaining != 0 {
		t.Fatalf("state %v with %d remaining, want ended", hu.State, hu.Remaining)
	}
	evs := h.f.s.Events.Window()
	if last := evs[len(evs)-1]; last.Kind != EventHuntEnded {
		t.Errorf("last event %+v, want hunt ended", last)
	}
}

func TestRespawnKeepsCountAndSpacing(t *testing.T) {
	h := newHarness(t)
	s := spec(6)
	s.Respawn, s.MinSpacing = RespawnAfter, 2
	id := h.create(s, 3)
	if err := h.transition(KindStartHunt, id); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		tr := h.anyTreasure(id)
		if o := h.claim(Claim{Edge: "e", Request: uint64(i), Hunt: id, Treasure: tr.ID, Player: 1, Cell: tr.Cell}); o[0].Code != protocol.OutcomeWon {
			t.Fatalf("claim %d: %+v", i, o[0])
		}
		if r := h.hunt(id).Remaining; r != 6 {
			t.Fatalf("after claim %d: %d remaining, want 6 (respawned)", i, r)
		}
	}
	var open []Treasure
	for _, tr := range h.hunt(id).Treasures {
		if !tr.Claimed() {
			open = append(open, tr)
		}
	}
	for i := range open {
		for j := i + 1; j < len(open); j++ {
			d, err := geo.GridDistance(geo.Cell(open[i].Cell), geo.Cell(open[j].Cell))
			if err != nil || d < 2 {
				t.Errorf("treasures %d and %d are %d cells apart (err %v), want ≥ 2", open[i].ID, open[j].ID, d, err)
			}
		}
	}
	if h.hunt(id).Scores[1] != 10*DefaultPoints {
		t.Errorf("score %d", h.hunt(id).Scores[1])
	}
}

func TestLeaderboardKeepsTopTen(t *testing.T) {
	hu := &Hunt{}
	for p := uint32(1); p <= 15; p++ {
		hu.bumpLeader(p, p*10)
	}
	hu.bumpLeader(2, 1000) // a low player climbs to the top
	if len(hu.Leaders) != MaxLeaders || hu.Leaders[0] != (Leader{Player: 2, Score: 1000}) || hu.Leaders[1] != (Leader{Player: 15, Score: 150}) {
		t.Fatalf("leaders %v", hu.Leaders)
	}
	if last := hu.Leaders[MaxLeaders-1]; last != (Leader{Player: 7, Score: 70}) {
		t.Errorf("last row %v, want {7 70}", last)
	}
}

// randomWorkload drives h through hunts, transitions and claims drawn from rng.
func randomWorkload(h *harness, rng *rand.Rand, steps int) {
	var hunts []uint32
	for range steps {
		switch r := rng.IntN(10); {
		case r == 0 || len(hunts) == 0:
			s := spec(1 + rng.IntN(8))
			if rng.IntN(2) == 0 {
				s.Respawn = RespawnAfter
			}
			hunts = append(hunts, h.create(s, rng.Uint64()))
		case r == 1:
			h.transition(KindStartHunt, hunts[rng.IntN(len(hunts))])
		case r == 2 && rng.IntN(4) == 0:
			h.transition(KindEndHunt, hunts[rng.IntN(len(hunts))])
		case r == 3 && rng.IntN(4) == 0:
			h.apply(&SetHome{Hunt: hunts[rng.IntN(len(hunts))], Region: []string{"", "eu", "us"}[rng.IntN(3)], Time: int64(h.index)})
		default:
			id := hunts[rng.IntN(len(hunts))]
			hu := h.hunt(id)
			if hu == nil || len(hu.Treasures) == 0 {
				continue
			}
			tr := h.anyTreasure(id)
			h.claim(Claim{Edge: "e", Request: uint64(rng.IntN(steps)), Hunt: id, Treasure: tr.ID + uint32(rng.IntN(2)),
				Player: uint32(1 + rng.IntN(20)), Cell: tr.Cell})
		}
	}
}

// TestSetHome: a hunt's home region is set, moved and cleared with one
// event per change; a bad region or an unknown hunt changes nothing; the
// home survives a snapshot, and a snapshot written before homes restores
// hunts served anywhere.
func TestSetHome(t *testing.T) {
	h := newHarness(t)
	id := h.create(spec(2), 1)
	for _, c := range []struct {
		region string
		hunt   uint32
		want   error
	}{
		{"eu-west", id, nil}, {"eu-west", id, nil}, {"us", id, nil},
		{"bad region", id, ErrInvalidRegion}, {"eu", 99, ErrNoSuchHunt},
	} {
		res := h.apply(&SetHome{Hunt: c.hunt, Region: c.region, Time: 5})
		if err, _ := res.(error); !errors.Is(err, c.want) {
			t.Errorf("SetHome(%d, %q) = %v, want %v", c.hunt, c.region, res, c.want)
		}
	}
	var homed []string
	h.f.View(func(s *State) {
		for _, e := range s.Events.Window() {
			if e.Kind == EventHuntHomed {
				homed = append(homed, e.Region)
			}
		}
	})
	if got := h.hunt(id).Home; got != "us" || len(homed) != 2 || homed[1] != "us" {
		t.Fatalf("home %q, events %q", got, homed)
	}
	d := newHarness(t)
	if err := d.f.Restore(io.NopCloser(bytes.NewReader(h.f.Encode()))); err != nil || d.hunt(id).Home != "us" {
		t.Fatalf("restored home %q (%v)", d.hunt(id).Home, err)
	}
	old := bytes.ReplaceAll(h.f.Encode(), []byte(`,"home":"us"`), nil)
	if err := d.f.Restore(io.NopCloser(bytes.NewReader(old))); err != nil || d.hunt(id) == nil || d.hunt(id).Home != "" {
		t.Fatalf("a snapshot without homes: %v", err)
	}
}

func TestReplicasAgreeByteForByte(t *testing.T) {
	rec := newHarness(t)
	randomWorkload(rec, rand.New(rand.NewPCG(1, 2)), 400)
	a, b := newHarness(t), newHarness(t)
	for _, e := range rec.log {
		a.apply(e)
		b.apply(e)
	}
	if !bytes.Equal(a.f.Encode(), b.f.Encode()) || !bytes.Equal(a.f.Encode(), rec.f.Encode()) {
		t.Fatal("replicas applying the same log differ")
	}
	var won int
	for _, hu := range rec.f.s.Hunts {
		won += len(hu.Treasures) - hu.Remaining
	}
	if won == 0 {
		t.Fatal("the workload won no claims; it tests nothing")
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	rec := newHarness(t)
	randomWorkload(rec, rand.New(rand.NewPCG(3, 4)), 400)
	half := len(rec.log) / 2
	c := newHarness(t)
	for _, e := range rec.log[:half] {
		c.apply(e)
	}
	snap, err := c.f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	d := newHarness(t)
	if err := d.f.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.f.Encode(), d.f.Encode()) {
		t.Fatal("restored state differs from the snapshotted one")
	}
	d.index = c.index
	for _, e := range rec.log[half:] {
		c.apply(e)
		d.apply(e)
	}
	if !bytes.Equal(c.f.Encode(), rec.f.Encode()) || !bytes.Equal(d.f.Encode(), rec.f.Encode()) {
		t.Fatal("after restore and the rest of the log, replicas differ")
	}
	if err := d.f.Restore(io.NopCloser(bytes.NewReader([]byte("{not json")))); err == nil {
		t.Error("a corrupt snapshot restored")
	}
}

type memSink struct{ bytes.Buffer }

func (*memSink) ID() string    { return "mem" }
func (*memSink) Cancel() error { return nil }
func (*memSink) Close() error  { return nil }

func TestEventLogAfter(t *testing.T) {
	l := EventLog{Cap: 4}
	for i := uint64(1); i <= 6; i++ {
		l.Append(Event{Index: i})
	}
	if evs, ok := l.After(3); !ok || len(evs) != 3 || evs[0].Index != 4 {
		t.Errorf("After(3) = %v, %v", evs, ok)
	}
	if _, ok := l.After(1); ok {
		t.Error("After(1) claims completeness although events 2 was dropped")
	}
	if evs, ok := l.After(6); !ok || len(evs) != 0 {
		t.Errorf("After(6) = %v, %v", evs, ok)
	}
	if len(l.Window()) != 4 {
		t.Errorf("window holds %d events, cap 4", len(l.Window()))
	}
}

func TestBadCommands(t *testing.T) {
	h := newHarness(t)
	for _, data := range [][]byte{nil, {1}, {99, 1}, {byte(KindCreateHunt), 9, '{', '}'}, {byte(KindCreateHunt), 1, '{'}, {byte(KindClaims), 1, 0}} {
		if err, _ := h.apply(data).(error); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%x: %v, want ErrBadCommand", data, err)
		}
	}
	res := h.apply(&CreateHunt{Spec: HuntSpec{Name: "x", Area: square, Resolution: 9, Treasures: 1000, MinSpacing: 3}, Seed: 1}).(*CreateResult)
	if !errors.Is(res.Err, ErrInvalidSpec) {
		t.Errorf("overfull area: %v", res.Err)
	}
	if h.hunt(1) != nil {
		t.Error("a refused hunt was created")
	}
}

func TestSpecValidation(t *testing.T) {
	good := spec(3)
	if err := good.CheckPlacement(1); err != nil {
		t.Fatal(err)
	}
	good.PositionBudget = 4 << 10
	if err := good.CheckPlacement(1); err != nil {
		t.Fatal(err)
	}
	mut := []func(*HuntSpec){
		func(s *HuntSpec) { s.Name = "" },
		func(s *HuntSpec) { s.Resolution = 3 },
		func(s *HuntSpec) { s.Treasures = 0 },
		func(s *HuntSpec) { s.MinSpacing = -1 },
		func(s *HuntSpec) { s.ClaimRadius = 99 },
		func(s *HuntSpec) { s.Respawn = "sometimes" },
		func(s *HuntSpec) { s.Starts, s.Ends = 10, 5 },
		func(s *HuntSpec) { s.Area = geo.Polygon{} },
		func(s *HuntSpec) { s.Treasures = 5000 }, // more than the area's cells
		func(s *HuntSpec) { s.PositionBudget = 100 },
		func(s *HuntSpec) { s.PositionBudget = -1 },
	}
	for i, m := range mut {
		s := spec(3)
		m(&s)
		if err := s.CheckPlacement(1); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("mutation %d: %v, want ErrInvalidSpec", i, err)
		}
	}
}

func FuzzDecodeCommand(f *testing.F) {
	b, _ := Encode(&Claims{Time: 1, Seed: 2, Claims: []Claim{{Edge: "e", Request: 1, Hunt: 1, Treasure: 1, Player: 1, Cell: 1}}})
	f.Add(b)
	b, _ = Encode(&CreateHunt{Spec: spec(1), Seed: 1})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, cmd, err := decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadCommand) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if c, ok := cmd.(*Claims); ok {
			again, err := Encode(c)
			if err != nil {
				t.Fatal(err)
			}
			if _, c2, err := decode(again); err != nil || len(c2.(*Claims).Claims) != len(c.Claims) {
				t.Fatalf("kind %d: re-encoded claims do not decode: %v", k, err)
			}
		}
	})
}
