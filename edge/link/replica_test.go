package link

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

var dam = geo.Point{Lat: 52.3730796, Lng: 4.8924534}

// treasureAt is treasure id at p, in its resolution-9 cell.
func treasureAt(id uint32, p geo.Point) wire.Treasure {
	c, _ := geo.CellOf(p, 9)
	lat, lng := p.E7()
	return wire.Treasure{ID: id, Cell: uint64(c), Lat: lat, Lng: lng, Points: 100}
}

func hunt(id uint32, state wire.HuntState, ts ...wire.Treasure) wire.HuntDetail {
	return wire.HuntDetail{HuntSummary: wire.HuntSummary{ID: id, Spec: wire.HuntSpec{Name: fmt.Sprint("hunt ", id), Resolution: 9},
		State: state.String(), Total: len(ts), Remaining: len(ts)}, Treasures: ts}
}

func event(e wire.Event) wire.StreamMessage { return wire.StreamMessage{Type: "event", Event: &e} }

// ndjson is the coordinator's event stream carrying ms.
func ndjson(t testing.TB, ms ...wire.StreamMessage) string {
	var b strings.Builder
	for _, m := range ms {
		line, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	return b.String()
}

// exampleStream is a snapshot of hunt 1 (two treasures near Dam Square)
// at index 10, then its tail: the hunt starts, a treasure is claimed, one
// is placed, a score changes, a heartbeat.
func exampleStream(t testing.TB) string {
	east := geo.Point{Lat: dam.Lat, Lng: dam.Lng + 0.01}
	lat, lng := geo.Point{Lat: dam.Lat + 0.01, Lng: dam.Lng}.E7()
	return ndjson(t,
		wire.StreamMessage{Type: "snapshot", Index: 10, Hunts: []wire.HuntDetail{hunt(1, wire.Scheduled, treasureAt(1, dam), treasureAt(2, east))}},
		event(wire.Event{Index: 11, Kind: wire.EventHuntStarted, Hunt: 1}),
		event(wire.Event{Index: 12, Kind: wire.EventTreasureClaimed, Hunt: 1, Treasure: 1, Player: 42, Time: 5}),
		event(wire.Event{Index: 13, Kind: wire.EventTreasurePlaced, Hunt: 1, Treasure: 3, Lat: lat, Lng: lng, Points: 50}),
		event(wire.Event{Index: 14, Kind: wire.EventScoreChanged, Hunt: 1, Player: 42, Points: 100}),
		wire.StreamMessage{Type: "heartbeat", Index: 15},
	)
}

// treasures lists the available treasures of hunt around every cell the
// replica knows of.
func treasures(r *Replica, hunt uint32) map[uint32]bool {
	r.mu.RLock()
	var cells []geo.Cell
	if h := r.hunts[hunt]; h != nil {
		for c := range h.byCell {
			cells = append(cells, c)
		}
	}
	r.mu.RUnlock()
	out := map[uint32]bool{}
	for _, e := range r.TreasuresIn(hunt, cells, nil) {
		out[e.Treasure] = e.State == protocol.TreasureAvailable
	}
	return out
}

func TestReplicaAppliesEventsInOrder(t *testing.T) {
	r := newReplica("")
	if err := r.follow(strings.NewReader(exampleStream(t)), func() {}); err != nil {
		t.Fatal(err)
	}
	if h, ok := r.Hunt(1); !ok || !h.Active || h.Resolution != 9 {
		t.Errorf("hunt 1: %+v %v, want active at resolution 9", h, ok)
	}
	st, _ := r.Status(1, 3)
	if st.Total != 3 || st.Remaining != 2 || st.AppliedIndex != 15 || st.PlayersOnline != 3 {
		t.Errorf("status %+v: want 3 treasures, 2 remaining, applied 15", st)
	}
	if len(st.Leaderboard) != 1 || st.Leaderboard[0] != (wire.Leader{Player: 42, Score: 100}) {
		t.Errorf("leaderboard %+v", st.Leaderboard)
	}
	if got := treasures(r, 1); len(got) != 2 || !got[2] || !got[3] {
		t.Errorf("available treasures %v, want 2 and 3 (1 was claimed)", got)
	}
	if _, ok := r.Hint(1, 523730796, 48924534); !ok {
		t.Error("no hint toward the open treasures")
	}
	// The hunt ends, then is deleted.
	tail := ndjson(t, event(wire.Event{Index: 16, Kind: wire.EventHuntEnded, Hunt: 1}))
	if err := r.follow(strings.NewReader(tail), func() {}); err != nil {
		t.Fatal(err)
	}
	if h, _ := r.Hunt(1); h.Active {
		t.Error("an ended hunt is still active")
	}
	tail = ndjson(t, event(wire.Event{Index: 17, Kind: wire.EventHuntDeleted, Hunt: 1}))
	if err := r.follow(strings.NewReader(tail), func() {}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Hunt(1); ok || r.Applied() != 17 {
		t.Errorf("after deletion: hunt still there %v, applied %d", ok, r.Applied())
	}
}

// TestReplicaKnowsWonTreasures: the replica answers "already claimed" for
// a treasure another player won (from the stream's event, and from a
// snapshot that holds it claimed), with the claimer's score; it stays
// unsure for the winner itself (its retry must reach the coordinator), for
// open and unknown treasures and once the hunt ended.
func TestReplicaKnowsWonTreasures(t *testing.T) {
	r := newReplica("")
	if err := r.follow(strings.NewReader(exampleStream(t)), func() {}); err != nil {
		t.Fatal(err)
	}
	won := treasureAt(5, dam)
	won.ClaimedBy, won.ClaimedAt = 42, 9
	again := ndjson(t, wire.StreamMessage{Type: "snapshot", Index: 20, Hunts: []wire.HuntDetail{hunt(1, wire.Active, treasureAt(1, dam), won)}})
	for step, in := range []string{"", again} {
		if err := r.follow(strings.NewReader(in), func() {}); err != nil {
			t.Fatal(err)
		}
		claimed := uint32(1) // won by 42 in the stream's event
		if step == 1 {
			claimed = 5 // won by 42 in the snapshot
		}
		for _, c := range []struct {
			treasure, player, score uint32
			ok                      bool
		}{{claimed, 7, 0, true}, {claimed, 42, 0, false}, {2, 7, 0, false}, {99, 7, 0, false}} {
			if score, ok := r.ClaimedByOther(1, c.treasure, c.player); ok != c.ok || score != c.score {
				t.Errorf("step %d: treasure %d by player %d: %v %d, want %v %d", step, c.treasure, c.player, ok, score, c.ok, c.score)
			}
		}
	}
	// Player 7 wins treasure 1 in the new snapshot's world: its score is
	// what a claim of treasure 5 by it reports.
	tail := ndjson(t, event(wire.Event{Index: 21, Kind: wire.EventTreasureClaimed, Hunt: 1, Treasure: 1, Player: 7, Time: 10}))
	if err := r.follow(strings.NewReader(tail), func() {}); err != nil {
		t.Fatal(err)
	}
	if score, ok := r.ClaimedByOther(1, 5, 7); !ok || score != 100 {
		t.Errorf("after winning treasure 1: %v score %d, want already claimed with score 100", ok, score)
	}
	tail = ndjson(t, event(wire.Event{Index: 22, Kind: wire.EventHuntEnded, Hunt: 1}))
	if err := r.follow(strings.NewReader(tail), func() {}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ClaimedByOther(1, 5, 7); ok {
		t.Error("a claim in an ended hunt answered already claimed (the coordinator says hunt_not_active)")
	}
}

// TestReplicaHuntBudget: a hunt's position budget reaches the core.
func TestReplicaHuntBudget(t *testing.T) {
	r := newReplica("")
	h := hunt(4, wire.Active)
	h.Spec.PositionBudget = 4096
	if err := r.follow(strings.NewReader(ndjson(t, wire.StreamMessage{Type: "snapshot", Index: 1, Hunts: []wire.HuntDetail{h}})), func() {}); err != nil {
		t.Fatal(err)
	}
	if info, _ := r.Hunt(4); info.PositionBudget != 4096 {
		t.Errorf("hunt info %+v, want the hunt's budget 4096", info)
	}
}

// A snapshot replaces the replica's hunts and sets the index; the events
// after it apply on top, and a replayed older event neither moves the index
// back nor applies twice.
func TestReplicaSnapshotThenTail(t *testing.T) {
	r := newReplica("")
	old := ndjson(t, wire.StreamMessage{Type: "snapshot", Index: 3, Hunts: []wire.HuntDetail{hunt(9, wire.Active, treasureAt(7, dam))}})
	if err := r.follow(strings.NewReader(old+exampleStream(t)), func() {}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Hunt(9); ok {
		t.Error("a hunt absent from the newer snapshot survived it")
	}
	replay := ndjson(t, event(wire.Event{Index: 12, Kind: wire.EventTreasureClaimed, Hunt: 1, Treasure: 1, Player: 42, Time: 5}))
	if err := r.follow(strings.NewReader(replay), func() {}); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Status(1, 0); st.Remaining != 2 || r.Applied() != 15 {
		t.Errorf("replayed claim: remaining %d (want 2), applied %d (want 15)", st.Remaining, r.Applied())
	}
}

func TestReplicaRejectsBadLines(t *testing.T) {
	for _, in := range []string{"{not json\n", `{"type":"event"}` + "\n"} {
		lines := 0
		if err := newReplica("").follow(strings.NewReader(in), func() { lines++ }); err == nil || lines != 1 {
			t.Errorf("%q: err %v after %d lines, want an error", in, err, lines)
		}
	}
}

// The link resumes the stream from the last index it applied.
func TestLinkResumesFromAppliedIndex(t *testing.T) {
	froms := make(chan string, 2)
	stream := exampleStream(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		froms <- r.URL.Query().Get("from")
		if r.URL.Query().Get("from") == "0" {
			fmt.Fprint(w, stream)
		} // then the stream ends: the coordinator went away
	}))
	defer srv.Close()
	l, err := New(Config{Coordinators: []string{srv.URL}, Token: "t", EdgeID: "e"})
	if err != nil {
		t.Fatal(err)
	}
	for i, lines := range []bool{true, false} { // the stream, then an empty one
		if heard, err := l.followOnce(context.Background(), srv.URL); err == nil || heard != lines {
			t.Fatalf("stream %d: heard %v, err %v; want heard %v and an error (a closed stream)", i, heard, err, lines)
		}
	}
	if first, second := <-froms, <-froms; first != "0" || second != "15" {
		t.Errorf("asked from %s, then from %s; want 0, then 15", first, second)
	}
}

// TestReplicaKeepsHomes: a region's replica learns every hunt's home (from
// the snapshot's hunts and Homes, and from moves), drops a hunt that moves
// to another region, and takes back one that moves in with its state.
func TestReplicaKeepsHomes(t *testing.T) {
	r := newReplica("eu")
	here, anywhere := hunt(1, wire.Active, treasureAt(7, dam)), hunt(2, wire.Active)
	here.Home = "eu"
	in := ndjson(t, wire.StreamMessage{Type: "snapshot", Index: 3, Hunts: []wire.HuntDetail{here, anywhere}, Homes: map[uint32]string{5: "us"}})
	if err := r.follow(strings.NewReader(in), func() {}); err != nil {
		t.Fatal(err)
	}
	homes := func() [3]string {
		var out [3]string
		for i, id := range []uint32{1, 2, 5} {
			out[i], _ = r.Home(id)
		}
		return out
	}
	if got := homes(); got != [3]string{"eu", "", "us"} {
		t.Fatalf("homes after the snapshot: %q", got)
	}
	// Hunt 1 moves to us (it leaves the replica); hunt 5 moves in.
	back := hunt(5, wire.Active, treasureAt(8, dam))
	back.Home = "eu"
	moveIn := event(wire.Event{Index: 5, Kind: wire.EventHuntHomed, Hunt: 5, Region: "eu"})
	moveIn.Hunts = []wire.HuntDetail{back}
	in = ndjson(t, event(wire.Event{Index: 4, Kind: wire.EventHuntHomed, Hunt: 1, Region: "us"}), moveIn)
	if err := r.follow(strings.NewReader(in), func() {}); err != nil {
		t.Fatal(err)
	}
	if got := homes(); got != [3]string{"us", "", "eu"} {
		t.Fatalf("homes after the moves: %q", got)
	}
	if _, ok := r.Hunt(1); ok {
		t.Error("a hunt that moved to another region stayed in the replica")
	}
	if _, ok := r.Hunt(5); !ok || len(treasures(r, 5)) != 1 {
		t.Error("a hunt that moved in did not arrive with its treasures")
	}
}
