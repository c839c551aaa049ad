package wire

import (
	"encoding/json"
	"testing"

	"github.com/veltrix/veltrix/geo"
)

// TestJSONFieldNames pins the JSON of every body: edges and coordinators one
// version apart must read each other, so a field name never changes.
func TestJSONFieldNames(t *testing.T) {
	ev := Event{Index: 1, Seq: 2, Kind: EventTreasurePlaced, Hunt: 3, Treasure: 4, Player: 5, Lat: 6, Lng: 7, Points: 8, Time: 9}
	spec := HuntSpec{Name: "n", Area: geo.Polygon{Outer: []geo.Point{{Lat: 1, Lng: 2}}}, Resolution: 9, Starts: 1, Ends: 2,
		Treasures: 3, MinSpacing: 4, ClaimRadius: 5, Points: 6, Respawn: RespawnAfter}
	sum := HuntSummary{ID: 1, Spec: spec, State: Active.String(), Total: 2, Remaining: 1, Leaderboard: []Leader{{Player: 7, Score: 8}}}
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"claim", Claim{Edge: "e", Request: 1, Hunt: 2, Treasure: 3, Player: 4, Cell: 5},
			`{"edge":"e","request":1,"hunt":2,"treasure":3,"player":4,"cell":5}`},
		{"outcome", Outcome{Code: 1, Treasure: 2, Points: 3, Score: 4, Index: 5},
			`{"code":1,"treasure":2,"points":3,"score":4,"index":5}`},
		{"treasure", Treasure{ID: 1, Cell: 2, Lat: 3, Lng: 4, Points: 5, ClaimedBy: 6, ClaimedAt: 7},
			`{"id":1,"cell":2,"lat":3,"lng":4,"points":5,"claimed_by":6,"claimed_at":7}`},
		{"edge", Edge{ID: "e", Region: "r", URLs: []string{"u"}, Since: 1, Instance: "i"},
			`{"id":"e","region":"r","urls":["u"],"since":1,"instance":"i"}`},
		{"event", ev,
			`{"index":1,"seq":2,"kind":2,"hunt":3,"treasure":4,"player":5,"lat":6,"lng":7,"points":8,"time":9}`},
		{"stream", StreamMessage{Type: "event", Index: 1, Hunts: []HuntDetail{{HuntSummary: sum, Treasures: []Treasure{}}}, Edges: []Edge{}, Event: &ev},
			`{"type":"event","index":1,"hunts":[{"id":1,"spec":{"name":"n","area":{"outer":[{"lat":1,"lng":2}]},"resolution":9,` +
				`"starts":1,"ends":2,"treasures":3,"min_spacing":4,"claim_radius":5,"points":6,"respawn":"claim"},"state":"active",` +
				`"treasures_total":2,"treasures_remaining":1,"leaderboard":[{"player":7,"score":8}],"treasures":[]}],` +
				`"event":{"index":1,"seq":2,"kind":2,"hunt":3,"treasure":4,"player":5,"lat":6,"lng":7,"points":8,"time":9}}`},
		{"heartbeat", StreamMessage{Type: "heartbeat", Index: 4}, `{"type":"heartbeat","index":4}`},
		{"claims", ClaimsRequest{Claims: []Claim{}}, `{"claims":[]}`},
		{"outcomes", ClaimsResponse{Outcomes: []Outcome{}}, `{"outcomes":[]}`},
		{"load", LoadReport{Edge: "e", Instance: "i", Hunts: map[uint32]int{1: 2}, Leaving: true},
			`{"edge":"e","instance":"i","hunts":{"1":2},"leaving":true}`},
		{"load with stats", LoadReport{Edge: "e", Instance: "i", Hunts: map[uint32]int{1: 2}, Stats: &EdgeStats{Connections: map[string]int{"websocket": 2},
			TickMS: 0.5, Drops: map[string]uint64{"slow": 1}, Closes: map[string]uint64{"idle": 3}, Cells: []CellLoad{{Hunt: 1, Cell: "8a1969", Players: 2}}}},
			`{"edge":"e","instance":"i","hunts":{"1":2},"stats":{"connections":{"websocket":2},"tick_ms":0.5,"drops":{"slow":1},` +
				`"closes":{"idle":3},"cells":[{"hunt":1,"cell":"8a1969","players":2}]}}`},
		{"identity", Identity{Edge: "e", Prefix: "p", Admin: true}, `{"edge":"e","prefix":"p","admin":true}`},
		{"status", HuntStatus{Hunt: 1, Name: "n", State: "ended", Total: 2, Remaining: 3, Leaderboard: []Leader{}, PlayersOnline: 4,
			Starts: 5, Ends: 6, Node: "edge", AppliedIndex: 7, Consistent: true, StalenessMS: 8},
			`{"hunt":1,"name":"n","state":"ended","treasures_total":2,"treasures_remaining":3,"leaderboard":[],"players_online":4,` +
				`"starts":5,"ends":6,"node":"edge","applied_index":7,"consistent":true,"staleness_ms":8}`},
		{"token", TokenRequest{Player: 1, Hunt: 2, Name: "n", TTLSeconds: 3}, `{"player":1,"hunt":2,"name":"n","ttl_seconds":3}`},
		{"hunt request", HuntRequest{Name: "n", Area: AreaRequest{Outer: [][2]float64{{1, 2}}}, Resolution: 9, Treasures: 1, MinSpacing: 2, ClaimRadius: 3},
			`{"name":"n","area":{"outer":[[1,2]]},"resolution":9,"treasures":1,"min_spacing":2,"claim_radius":3}`},
		{"created", HuntCreated{Hunt: 1}, `{"hunt":1}`},
		{"token response", TokenResponse{Token: "t"}, `{"token":"t"}`},
		{"error", Error{Error: "e"}, `{"error":"e"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}

func TestUpdateLeaders(t *testing.T) {
	var ls []Leader
	for p := uint32(1); p <= MaxLeaders+2; p++ {
		ls = UpdateLeaders(ls, p, p*10)
	}
	if len(ls) != MaxLeaders || ls[0] != (Leader{Player: MaxLeaders + 2, Score: (MaxLeaders + 2) * 10}) || ls[MaxLeaders-1].Player != 3 {
		t.Fatalf("board %v", ls)
	}
	ls = UpdateLeaders(ls, 1, 5) // below the last row: no change
	if ls[MaxLeaders-1].Player != 3 {
		t.Fatalf("board %v", ls)
	}
}

func TestValidEdgeID(t *testing.T) {
	for id, want := range map[string]bool{"eu-1": true, "a.b_c": true, "": false, "-a": false, "a b": false, "é": false,
		string(make([]byte, MaxEdgeIDLen+1)): false} {
		if got := ValidEdgeID(id); got != want {
			t.Errorf("ValidEdgeID(%q) = %v, want %v", id, got, want)
		}
	}
}
