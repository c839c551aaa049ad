package fsm

import (
	"encoding/json"
	"testing"

	"github.com/veltrix/veltrix/coordinator/wire"
)

// TestHuntSpecMatchesWire: the state machine's HuntSpec and wire.HuntSpec
// convert into each other and encode to the same JSON, so a hunt's spec in
// a snapshot and in the API stay one format.
func TestHuntSpecMatchesWire(t *testing.T) {
	s := spec(5)
	s.Starts, s.Ends, s.Points, s.Respawn = 1, 2, 3, RespawnAfter
	a, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(wire.HuntSpec(s))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("fsm %s\nwire %s", a, b)
	}
	var back wire.HuntSpec
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if got := HuntSpec(back); got.CheckPlacement(1) != nil || got.Name != s.Name || got.Respawn != s.Respawn {
		t.Fatalf("back from the wire: %+v", back)
	}
}
