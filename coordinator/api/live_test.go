package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/geo"
)

// TestLiveViewSumsEdgeStats: two edges report stats with players per cell
// (one cell shared); GET /v1/live (admin only) shows each edge's stats and
// the hunt's heat map summed over both, busiest cell first, with outlines.
// Implausible stats are refused with a 400; /live itself needs no token.
func TestLiveViewSumsEdgeStats(t *testing.T) {
	c := embedded(t)
	var created struct{ Hunt uint32 }
	do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "h", Area: area, Resolution: 9, Treasures: 2}, &created)
	h := created.Hunt
	a, _ := geo.CellOf(geo.Point{Lat: 52.37, Lng: 4.89}, 9)
	b, _ := geo.CellOf(geo.Point{Lat: 52.375, Lng: 4.90}, 9)
	for i, e := range []string{"edge-a", "edge-b"} {
		if code := do(t, c, "POST", "/v1/edge/register", fsm.Edge{ID: e, Instance: "i1", Region: "eu-west", URLs: []string{"wss://a/ws"}}, nil); code != http.StatusOK {
			t.Fatalf("register: %d", code)
		}
		cells := []wire.CellLoad{{Hunt: h, Cell: a.String(), Players: 3}}
		if i == 1 {
			cells = append(cells, wire.CellLoad{Hunt: h, Cell: b.String(), Players: 4})
		}
		rep := api.LoadReport{Edge: e, Instance: "i1", Hunts: map[uint32]int{h: 7}, Stats: &wire.EdgeStats{
			Connections: map[string]int{"websocket": 7}, TickMS: 0.25, Drops: map[string]uint64{"slow": 2}, Closes: map[string]uint64{"idle": 1}, Cells: cells}}
		if st := do(t, c, "POST", "/v1/edge/load", rep, nil); st != http.StatusNoContent {
			t.Fatalf("load report: %d", st)
		}
	}
	var v api.LiveView
	if st := do(t, c, "GET", "/v1/live", nil, &v); st != http.StatusOK {
		t.Fatalf("GET /v1/live: %d", st)
	}
	if len(v.Hunts) != 1 || len(v.Hunts[0].Treasures) != 2 || v.Hunts[0].Players != 10 {
		t.Fatalf("hunts %+v: want one with 2 treasures and 10 players in cells", v.Hunts)
	}
	heat := v.Hunts[0].Heat
	if len(heat) != 2 || heat[0].Cell != a.String() || heat[0].Players != 6 || heat[1].Players != 4 || len(heat[0].Boundary) < 5 {
		t.Fatalf("heat %+v: want cell %s with 6 players (3+3), then 4, with outlines", heat, a)
	}
	if len(v.Edges) != 2 || !v.Edges[0].Live || v.Edges[0].Stats == nil || v.Edges[0].Stats.Connections["websocket"] != 7 || v.Edges[1].Stats.Drops["slow"] != 2 {
		t.Fatalf("edges %+v: want both live with their stats", v.Edges)
	}
	if v.Cluster.Leader == "" || len(v.Cluster.Servers) != 1 || len(v.Replication) != 1 || v.Replication[0].State != "Leader" || v.Replication[0].AppliedIndex == 0 {
		t.Fatalf("cluster %+v, replication %+v: want the leader, one server, and its own raft state", v.Cluster, v.Replication)
	}

	for _, bad := range []*wire.EdgeStats{
		{Cells: []wire.CellLoad{{Hunt: h, Cell: "not hex", Players: 1}}},
		{Cells: []wire.CellLoad{{Hunt: h, Cell: "1", Players: 1}}}, // not a valid cell
		{Cells: []wire.CellLoad{{Hunt: h, Cell: a.String(), Players: -1}}},
		{Cells: []wire.CellLoad{{Hunt: 0, Cell: a.String(), Players: 1}}},
		{Connections: map[string]int{"websocket": -1}},
		{Drops: map[string]uint64{"": 1}},
		{TickMS: -1},
		{Cells: make([]wire.CellLoad, wire.MaxCellsPerReport+1)},
	} {
		rep := api.LoadReport{Edge: "edge-a", Instance: "i1", Hunts: map[uint32]int{h: 1}, Stats: bad}
		if st := do(t, c, "POST", "/v1/edge/load", rep, nil); st != http.StatusBadRequest {
			t.Errorf("stats %+v: status %d, want 400", bad, st)
		}
	}

	if code, _ := as(t, c, "wrong", "GET", "/v1/live", nil); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/live with a wrong token: %d, want 401", code)
	}
	resp, err := http.Get(c.URL() + "/live")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "/v1/live") {
		t.Errorf("GET /live: %d, %s", resp.StatusCode, fmt.Sprint(len(page))+" bytes without the poll of /v1/live")
	}
}
