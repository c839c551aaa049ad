package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

const admin = "admin-secret"

func embedded(t testing.TB) *coordinator.Coordinator {
	t.Helper()
	c, err := coordinator.Embedded(t.TempDir(), admin)
	if err != nil {
		t.Fatal(err)
	}
	return ready(t, c)
}

// ready waits for c to lead and closes it when the test ends.
func ready(t testing.TB, c *coordinator.Coordinator) *coordinator.Coordinator {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// do sends an admin request and decodes a 2xx answer into out.
func do(t *testing.T, c *coordinator.Coordinator, method, path string, in, out any) int {
	t.Helper()
	code, b := as(t, c, admin, method, path, in)
	if out != nil && code < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	return code
}

var area = api.AreaRequest{Outer: [][2]float64{{52.36, 4.88}, {52.36, 4.912}, {52.38, 4.912}, {52.38, 4.88}}}

func TestEventStreamSnapshotThenEventsThenResume(t *testing.T) {
	c := embedded(t)
	var created struct{ Hunt uint32 }
	if st := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "h", Area: area, Resolution: 9, Treasures: 3, ClaimRadius: 1}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := stream(t, ctx, c, 0)
	snap := <-lines
	if snap.Type != "snapshot" || len(snap.Hunts) != 1 || len(snap.Hunts[0].Treasures) != 3 {
		t.Fatalf("first message %+v, want a snapshot with the hunt", snap)
	}
	do(t, c, "POST", fmt.Sprintf("/v1/hunts/%d/start", created.Hunt), nil, nil)
	if ev := <-lines; ev.Type != "event" || ev.Event.Kind != fsm.EventHuntStarted {
		t.Fatalf("after start: %+v", ev)
	}
	tr := snap.Hunts[0].Treasures[0]
	var res api.ClaimsResponse
	do(t, c, "POST", "/v1/edge/claims", api.ClaimsRequest{Claims: []fsm.Claim{{Edge: "e", Request: 1, Hunt: created.Hunt, Treasure: tr.ID, Player: 5, Cell: tr.Cell}}}, &res)
	if res.Outcomes[0].Code != protocol.OutcomeWon {
		t.Fatalf("claim: %+v", res)
	}
	claimed := <-lines
	scored := <-lines
	if claimed.Event.Kind != fsm.EventTreasureClaimed || claimed.Event.Player != 5 || scored.Event.Kind != fsm.EventScoreChanged {
		t.Fatalf("claim events: %+v %+v", claimed.Event, scored.Event)
	}
	cancel()

	// Resuming after the start event replays exactly the claim's events.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	resumed := stream(t, ctx2, c, claimed.Event.Index-1)
	if ev := <-resumed; ev.Type != "event" || ev.Event.Index != claimed.Event.Index || ev.Event.Kind != fsm.EventTreasureClaimed {
		t.Fatalf("resumed stream starts with %+v", ev)
	}
}

// stream follows the event stream from index and delivers its messages
// but heartbeats.
func stream(t *testing.T, ctx context.Context, c *coordinator.Coordinator, from uint64) <-chan api.StreamMessage {
	t.Helper()
	lines := follow(t, ctx, c, fmt.Sprintf("from=%d", from))
	out := make(chan api.StreamMessage, 64)
	go func() {
		defer close(out)
		for l := range lines {
			if l.Type != "heartbeat" {
				out <- l.StreamMessage
			}
		}
	}()
	return out
}

// streamLine is one line of an event stream and its size on the wire.
type streamLine struct {
	api.StreamMessage
	bytes int
}

// follow opens the event stream with query and delivers its lines.
func follow(t *testing.T, ctx context.Context, c *coordinator.Coordinator, query string) <-chan streamLine {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.URL()+"/v1/edge/events?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %v %v", resp, err)
	}
	out := make(chan streamLine, 1024)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var m api.StreamMessage
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				out <- streamLine{m, len(sc.Bytes()) + 1}
			}
		}
	}()
	return out
}

func TestScheduledHuntStartsAndEndsByLeaderClock(t *testing.T) {
	c := embedded(t)
	now := time.Now()
	starts, ends := now.Add(-time.Second), now.Add(300*time.Millisecond)
	var created struct{ Hunt uint32 }
	do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "timed", Area: area, Resolution: 9, Treasures: 2, Starts: &starts, Ends: &ends}, &created)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := stream(t, ctx, c, 0)
	var kinds []fsm.EventKind
	for m := range lines {
		if m.Type == "event" && m.Event.Hunt == created.Hunt {
			kinds = append(kinds, m.Event.Kind)
			if m.Event.Kind == fsm.EventHuntEnded {
				break
			}
		}
	}
	if len(kinds) != 2 || kinds[0] != fsm.EventHuntStarted || kinds[1] != fsm.EventHuntEnded {
		t.Fatalf("events %v, want started then ended", kinds)
	}
	var st api.HuntStatus
	do(t, c, "GET", fmt.Sprintf("/v1/hunts/%d/status?consistent=true", created.Hunt), nil, &st)
	if st.State != "ended" || !st.Consistent {
		t.Errorf("status %+v", st)
	}
}

func TestTokensVerifyWithPublishedKey(t *testing.T) {
	c := embedded(t)
	var tok struct{ Token string }
	if st := do(t, c, "POST", "/v1/tokens", api.TokenRequest{Player: 42, Hunt: 3, Name: "ada"}, &tok); st != http.StatusOK {
		t.Fatalf("mint: %d", st)
	}
	resp, err := http.Get(c.URL() + "/v1/keys/token")
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pub, err := token.ParsePublicKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := token.Verify(pub, tok.Token, 3, time.Now())
	if err != nil || claims.Player != 42 {
		t.Fatalf("verify: %+v, %v", claims, err)
	}
	if st := do(t, c, "POST", "/v1/tokens", api.TokenRequest{Player: 0, Hunt: 3}, nil); st != http.StatusBadRequest {
		t.Errorf("token for player 0: %d", st)
	}
}

func TestLoadReportsCountPlayers(t *testing.T) {
	c := embedded(t)
	var created struct{ Hunt uint32 }
	do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "h", Area: area, Resolution: 9, Treasures: 1}, &created)
	for _, e := range []string{"edge-a", "edge-b"} {
		if code := do(t, c, "POST", "/v1/edge/register", fsm.Edge{ID: e, Instance: "i1", Region: "eu-west", URLs: []string{"wss://a/ws"}}, nil); code != http.StatusOK {
			t.Fatalf("register: %d", code)
		}
		if st := do(t, c, "POST", "/v1/edge/load", api.LoadReport{Edge: e, Instance: "i1", Hunts: map[uint32]int{created.Hunt: 150}}, nil); st != http.StatusNoContent {
			t.Fatalf("load report: %d", st)
		}
	}
	var st api.HuntStatus
	do(t, c, "GET", fmt.Sprintf("/v1/hunts/%d/status", created.Hunt), nil, &st)
	if st.PlayersOnline != 300 {
		t.Errorf("players online %d, want 300", st.PlayersOnline)
	}
}

// TestBadClaimFailsAlone: a request that batches a bad claim (treasure 0,
// hunt 0, player 0) with honest ones is judged claim by claim. It was
// refused whole with a 400 and every honest claim in it answered
// unavailable.
func TestBadClaimFailsAlone(t *testing.T) {
	c := embedded(t)
	var created struct{ Hunt uint32 }
	if st := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "h", Area: area, Resolution: 9, Treasures: 3, ClaimRadius: 1}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	do(t, c, "POST", fmt.Sprintf("/v1/hunts/%d/start", created.Hunt), nil, nil)
	var hunt api.HuntDetail
	do(t, c, "GET", fmt.Sprintf("/v1/hunts/%d", created.Hunt), nil, &hunt)
	tr := hunt.Treasures[0]
	h := created.Hunt
	req := api.ClaimsRequest{Claims: []fsm.Claim{
		{Edge: "e", Request: 1, Hunt: h, Treasure: 0, Player: 5, Cell: tr.Cell},
		{Edge: "e", Request: 2, Hunt: h, Treasure: tr.ID, Player: 6, Cell: tr.Cell},
		{Edge: "e", Request: 3, Hunt: 0, Treasure: tr.ID, Player: 5, Cell: tr.Cell},
		{Edge: "e", Request: 4, Hunt: h, Treasure: tr.ID, Player: 0, Cell: tr.Cell},
		{Edge: "e", Request: 5, Hunt: h, Treasure: tr.ID, Player: 7, Cell: tr.Cell},
	}}
	var res api.ClaimsResponse
	if st := do(t, c, "POST", "/v1/edge/claims", req, &res); st != http.StatusOK {
		t.Fatalf("claims: status %d, want 200", st)
	}
	want := []uint8{protocol.OutcomeUnknown, protocol.OutcomeWon, protocol.OutcomeUnknown, protocol.OutcomeUnknown, protocol.OutcomeAlreadyClaimed}
	if len(res.Outcomes) != len(want) {
		t.Fatalf("%d outcomes for %d claims", len(res.Outcomes), len(want))
	}
	for i, o := range res.Outcomes {
		if o.Code != want[i] || o.Treasure != req.Claims[i].Treasure {
			t.Errorf("claim %d: %+v, want outcome %d", i, o, want[i])
		}
	}
	if st := do(t, c, "POST", "/v1/edge/claims", api.ClaimsRequest{Claims: []fsm.Claim{{Request: 9, Hunt: h, Treasure: tr.ID, Player: 5}}}, nil); st != http.StatusBadRequest {
		t.Errorf("a claim without an edge id: status %d, want 400", st)
	}
}
