package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/coordinator/wire"
)

// until reads lines up to and including the home move of hunt to region,
// and returns them with their total bytes.
func until(t *testing.T, lines <-chan streamLine, hunt uint32, region string) ([]api.StreamMessage, int) {
	t.Helper()
	var got []api.StreamMessage
	n := 0
	for l := range lines {
		n += l.bytes
		if l.Type == "heartbeat" {
			continue
		}
		got = append(got, l.StreamMessage)
		if e := l.Event; e != nil && e.Kind == fsm.EventHuntHomed && e.Hunt == hunt && e.Region == region {
			return got, n
		}
	}
	t.Fatalf("the stream ended before hunt %d moved to %q", hunt, region)
	return nil, 0
}

func createHunt(t *testing.T, c *coordinator.Coordinator, treasures int) uint32 {
	t.Helper()
	var created struct{ Hunt uint32 }
	if st := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "h", Area: area, Resolution: 9, Treasures: treasures, ClaimRadius: 1}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	return created.Hunt
}

// TestHomeRequests: PUT /v1/hunts/{id}/home is an admin write that names a
// valid region of an existing hunt; the hunt then lists its home.
func TestHomeRequests(t *testing.T) {
	c := embedded(t)
	h := createHunt(t, c, 3)
	path := fmt.Sprintf("/v1/hunts/%d/home", h)
	for _, tc := range []struct {
		token, path string
		body        any
		want        int
	}{
		{"edge-or-nobody", path, wire.HomeRequest{Region: "eu"}, http.StatusUnauthorized},
		{admin, path, wire.HomeRequest{Region: "eu west"}, http.StatusBadRequest},
		{admin, path, "not an object", http.StatusBadRequest},
		{admin, "/v1/hunts/999/home", wire.HomeRequest{Region: "eu"}, http.StatusNotFound},
		{admin, "/v1/hunts/x/home", wire.HomeRequest{Region: "eu"}, http.StatusBadRequest},
		{admin, path, wire.HomeRequest{Region: "eu-west"}, http.StatusOK},
	} {
		if code, body := as(t, c, tc.token, "PUT", tc.path, tc.body); code != tc.want {
			t.Errorf("PUT %s %v: %d %s, want %d", tc.path, tc.body, code, body, tc.want)
		}
	}
	var d api.HuntDetail
	if do(t, c, "GET", fmt.Sprintf("/v1/hunts/%d", h), nil, &d); d.Home != "eu-west" {
		t.Fatalf("hunt after PUT home: %+v", d.HuntSummary)
	}
	if code, _ := as(t, c, admin, "GET", "/v1/edge/events?region=a%20b", nil); code != http.StatusBadRequest {
		t.Errorf("a stream for region %q: %d, want 400", "a b", code)
	}
}

// TestRegionStreamCarriesItsHunts: a stream for a region carries the hunts
// homed there or nowhere, names the others' homes in its snapshot, always
// carries home moves, and brings a hunt that moves in with its whole state;
// a stream without a region carries everything. It counts the bytes each
// stream takes for the same workload (bench/RESULTS.md quotes them: run
// with -v).
func TestRegionStreamCarriesItsHunts(t *testing.T) {
	c := embedded(t)
	regions := []string{"eu", "us", "ap", ""} // "": served anywhere
	hunts := make([]uint32, len(regions))
	for i, r := range regions {
		hunts[i] = createHunt(t, c, 20)
		if r != "" {
			do(t, c, "PUT", fmt.Sprintf("/v1/hunts/%d/home", hunts[i]), wire.HomeRequest{Region: r}, nil)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all, eu := follow(t, ctx, c, "from=0"), follow(t, ctx, c, "from=0&region=eu")
	for i, h := range hunts {
		do(t, c, "POST", fmt.Sprintf("/v1/hunts/%d/start", h), nil, nil)
		var d api.HuntDetail
		do(t, c, "GET", fmt.Sprintf("/v1/hunts/%d", h), nil, &d)
		for j, tr := range d.Treasures {
			cl := fsm.Claim{Edge: "e", Request: uint64(j + 1), Hunt: h, Treasure: tr.ID, Player: uint32(1 + i*100 + j%7), Cell: tr.Cell}
			do(t, c, "POST", "/v1/edge/claims", api.ClaimsRequest{Claims: []fsm.Claim{cl}}, nil)
		}
	}
	do(t, c, "PUT", fmt.Sprintf("/v1/hunts/%d/home", hunts[1]), wire.HomeRequest{Region: "eu"}, nil) // us → eu
	allMsgs, allBytes := until(t, all, hunts[1], "eu")
	euMsgs, euBytes := until(t, eu, hunts[1], "eu")

	snap := euMsgs[0]
	if snap.Type != "snapshot" || len(snap.Hunts) != 2 || snap.Hunts[0].ID != hunts[0] || snap.Hunts[0].Home != "eu" || snap.Hunts[1].ID != hunts[3] {
		t.Fatalf("eu snapshot hunts: %+v", snap.Hunts)
	}
	if len(snap.Homes) != 2 || snap.Homes[hunts[1]] != "us" || snap.Homes[hunts[2]] != "ap" {
		t.Fatalf("eu snapshot homes: %v", snap.Homes)
	}
	for _, m := range euMsgs[1 : len(euMsgs)-1] {
		if h := m.Event.Hunt; h != hunts[0] && h != hunts[3] {
			t.Fatalf("the eu stream carried an event of hunt %d: %+v", h, m.Event)
		}
	}
	moved := euMsgs[len(euMsgs)-1]
	if len(moved.Hunts) != 1 || moved.Hunts[0].ID != hunts[1] || len(moved.Hunts[0].Treasures) != 20 || moved.Hunts[0].Home != "eu" {
		t.Fatalf("the move into eu came without the hunt: %+v", moved)
	}
	if len(allMsgs[0].Hunts) != 4 || len(allMsgs[0].Homes) != 0 || len(allMsgs[len(allMsgs)-1].Hunts) != 0 {
		t.Fatalf("the unfiltered stream: snapshot of %d hunts, homes %v", len(allMsgs[0].Hunts), allMsgs[0].Homes)
	}
	if euBytes*3 >= allBytes*2 { // it carries 2 hunts of 4, and the third moving in
		t.Errorf("the eu stream took %d bytes, the unfiltered one %d: want under two thirds", euBytes, allBytes)
	}
	t.Logf("event stream for 4 hunts (eu, us, ap, anywhere), 80 claims, one move: all hunts %d bytes in %d lines; region=eu %d bytes in %d lines (%.1f%%)",
		allBytes, len(allMsgs), euBytes, len(euMsgs), 100*float64(euBytes)/float64(allBytes))
}
