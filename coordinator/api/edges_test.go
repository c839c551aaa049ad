package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/coordinator/fsm"
)

// clock is a settable clock for the coordinator's soft state.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startWith starts a single-node coordinator on loopback with cfg's API
// settings (the admin token is always admin).
func startWith(t *testing.T, cfg api.Config) *coordinator.Coordinator {
	t.Helper()
	cfg.AdminToken = admin
	c, err := coordinator.Start(coordinator.Config{
		Listen: "127.0.0.1:0",
		Cluster: cluster.Config{ID: "c1", RaftAddr: "127.0.0.1:0", DataDir: t.TempDir(), Bootstrap: true, InsecureRaft: true,
			HeartbeatTimeout: 100 * time.Millisecond, ElectionTimeout: 100 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond},
		API: cfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ready(t, c)
}

// as sends a request with token and returns the status and body; a 4xx
// must carry a JSON error.
func as(t *testing.T, c *coordinator.Coordinator, token, method, path string, in any) (int, []byte) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.URL()+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			t.Errorf("%s %s: %d without a JSON error: %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, b
}

func players(t *testing.T, c *coordinator.Coordinator, hunt uint32) int {
	t.Helper()
	var st api.HuntStatus
	if code := do(t, c, "GET", fmt.Sprintf("/v1/hunts/%d/status", hunt), nil, &st); code != http.StatusOK {
		t.Fatalf("status: %d", code)
	}
	return st.PlayersOnline
}

func edgeRows(t *testing.T, c *coordinator.Coordinator) map[string]api.EdgeStatus {
	t.Helper()
	var rows []api.EdgeStatus
	if code := do(t, c, "GET", "/v1/edges", nil, &rows); code != http.StatusOK {
		t.Fatalf("GET /v1/edges: %d", code)
	}
	out := map[string]api.EdgeStatus{}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out
}

// TestForgedEdgeWritesRefused is issue 12 item 5 over real listeners: with
// per-edge credentials, loads and registrations under made-up ids or
// another edge's id, and absurd counts, are refused; a second live
// instance of an edge is refused (item 13); a silent edge's load expires.
func TestForgedEdgeWritesRefused(t *testing.T) {
	creds, err := api.NewCredentials(map[string]string{"edge-a": "token-a", "edge-b": "token-b", "grp-*": "token-g"})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	c := startWith(t, api.Config{EdgeCredentials: creds, EdgeToken: "shared", MaxPlayersPerEdge: 1000, MaxEdges: 4,
		LoadTTL: 30 * time.Second, Now: clk.now})
	var created struct{ Hunt uint32 }
	if code := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "h", Area: area, Resolution: 9, Treasures: 1}, &created); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	hunt := created.Hunt
	reg := func(id, inst string) fsm.Edge {
		return fsm.Edge{ID: id, Instance: inst, URLs: []string{"wss://" + id + "/ws"}}
	}
	load := func(id, inst string, n int) api.LoadReport {
		return api.LoadReport{Edge: id, Instance: inst, Hunts: map[uint32]int{hunt: n}}
	}
	var who api.Identity
	if code, b := as(t, c, "token-a", "GET", "/v1/edge/whoami", nil); code != http.StatusOK || json.Unmarshal(b, &who) != nil || who.Edge != "edge-a" {
		t.Fatalf("whoami: %d %s", code, b)
	}
	if code, b := as(t, c, "token-a", "POST", "/v1/edge/register", reg("edge-a", "a1")); code != http.StatusOK {
		t.Fatalf("register edge-a: %d %s", code, b)
	}
	if code, _ := as(t, c, "token-a", "POST", "/v1/edge/load", load("edge-a", "a1", 150)); code != http.StatusNoContent {
		t.Fatalf("load edge-a: %d", code)
	}

	refused := []struct {
		what, token, path string
		body              any
		want              int
	}{
		{"made-up id", "token-a", "/v1/edge/load", load("made-up-1", "x", 1000), http.StatusForbidden},
		{"another edge's load", "token-a", "/v1/edge/load", load("edge-b", "b1", 5), http.StatusForbidden},
		{"another edge's registration", "token-a", "/v1/edge/register", reg("edge-b", "b1"), http.StatusForbidden},
		{"another edge's claim", "token-a", "/v1/edge/claims", api.ClaimsRequest{Claims: []fsm.Claim{{Edge: "edge-b", Request: 1, Hunt: hunt, Treasure: 1, Player: 1}}}, http.StatusForbidden},
		{"shared token as a credentialed edge", "shared", "/v1/edge/load", load("edge-a", "a1", 5), http.StatusForbidden},
		{"absurd count", "token-a", "/v1/edge/load", load("edge-a", "a1", 1_000_000_000), http.StatusBadRequest},
		{"negative count", "token-a", "/v1/edge/load", load("edge-a", "a1", -500), http.StatusBadRequest},
		{"counts over the edge's maximum in total", "token-a", "/v1/edge/load", api.LoadReport{Edge: "edge-a", Instance: "a1", Hunts: map[uint32]int{hunt: 600, hunt + 1: 600}}, http.StatusBadRequest},
		{"second live instance registers", "token-a", "/v1/edge/register", reg("edge-a", "a2"), http.StatusConflict},
		{"second live instance reports", "token-a", "/v1/edge/load", load("edge-a", "a2", 5), http.StatusConflict},
		{"unregistered edge", "admin-secret", "/v1/edge/load", load("ghost", "g1", 5), http.StatusConflict},
		{"wrong token", "token-c", "/v1/edge/load", load("edge-a", "a1", 5), http.StatusUnauthorized},
		{"invalid edge id", "shared", "/v1/edge/register", reg("bad id/", "x1"), http.StatusBadRequest},
		{"group credential outside its prefix", "token-g", "/v1/edge/register", reg("edge-c", "c1"), http.StatusForbidden},
		{"shared token in a group's prefix", "shared", "/v1/edge/register", reg("grp-1", "g1"), http.StatusForbidden},
	}
	for _, r := range refused {
		if code, b := as(t, c, r.token, "POST", r.path, r.body); code != r.want {
			t.Errorf("%s: %d %s, want %d", r.what, code, b, r.want)
		}
	}
	for i := range 200 { // the attack of the issue: many made-up ids
		if code, _ := as(t, c, "token-a", "POST", "/v1/edge/load", load(fmt.Sprintf("forged-%d", i), "x", 1000)); code != http.StatusForbidden {
			t.Fatalf("forged load %d: %d", i, code)
		}
	}
	if n := players(t, c, hunt); n != 150 {
		t.Errorf("players online %d after forged loads, want 150", n)
	}
	rows := edgeRows(t, c)
	if len(rows) != 3 || !rows["edge-a"].Live || rows["edge-a"].Players != 150 || rows["edge-b"].Registered || !rows["edge-b"].Credential {
		t.Errorf("edges after forged loads: %+v", rows)
	}

	// A group credential acts as any id with its prefix.
	if code, b := as(t, c, "token-g", "GET", "/v1/edge/whoami", nil); code != http.StatusOK || !bytes.Contains(b, []byte(`"prefix":"grp-"`)) {
		t.Errorf("whoami of a group credential: %d %s", code, b)
	}
	if code, b := as(t, c, "token-g", "POST", "/v1/edge/register", reg("grp-i-0abc", "g1")); code != http.StatusOK {
		t.Errorf("group credential registers grp-i-0abc: %d %s", code, b)
	}
	// The shared token may register ids without credentials, up to MaxEdges.
	for i := range 2 {
		if code, b := as(t, c, "shared", "POST", "/v1/edge/register", reg(fmt.Sprintf("free-%d", i), "f1")); code != http.StatusOK {
			t.Fatalf("shared token registers free-%d: %d %s", i, code, b)
		}
	}
	if code, _ := as(t, c, "shared", "POST", "/v1/edge/register", reg("free-9", "f1")); code != http.StatusForbidden {
		t.Errorf("a registration past MaxEdges: %d, want 403", code)
	}

	// edge-a falls silent: its load expires, then another instance may take its id.
	clk.advance(29 * time.Second)
	if n := players(t, c, hunt); n != 150 {
		t.Errorf("players online %d within the TTL, want 150", n)
	}
	clk.advance(time.Second)
	if n := players(t, c, hunt); n != 0 {
		t.Errorf("players online %d after the TTL, want 0", n)
	}
	if rows := edgeRows(t, c); rows["edge-a"].Live || !rows["edge-a"].Registered {
		t.Errorf("silent edge-a: %+v", rows["edge-a"])
	}
	if code, b := as(t, c, "token-a", "POST", "/v1/edge/register", reg("edge-a", "a2")); code != http.StatusOK {
		t.Fatalf("a new instance after the old one fell silent: %d %s", code, b)
	}
	if code, _ := as(t, c, "token-a", "POST", "/v1/edge/load", load("edge-a", "a1", 5)); code != http.StatusConflict {
		t.Errorf("the old instance reports after being replaced: %d, want 409", code)
	}
	if code, _ := as(t, c, "token-a", "POST", "/v1/edge/load", load("edge-a", "a2", 7)); code != http.StatusNoContent || players(t, c, hunt) != 7 {
		t.Errorf("the new instance reports: %d, players %d", code, players(t, c, hunt))
	}
	// An instance that leaves (shutdown) stops counting at once, and its
	// successor registers without waiting for the TTL.
	if code, _ := as(t, c, "token-a", "POST", "/v1/edge/load", api.LoadReport{Edge: "edge-a", Instance: "a2", Leaving: true}); code != http.StatusNoContent || players(t, c, hunt) != 0 {
		t.Errorf("the instance leaves: %d, players %d", code, players(t, c, hunt))
	}
	if code, b := as(t, c, "token-a", "POST", "/v1/edge/register", reg("edge-a", "a3")); code != http.StatusOK {
		t.Errorf("the successor of an instance that left: %d %s", code, b)
	}
}

// TestEdgeTokenIsNotAdminToken: a node refuses an edge credential equal to
// the admin token (issue 12 item 14), at start and at a reload.
func TestEdgeTokenIsNotAdminToken(t *testing.T) {
	if _, err := api.New(nil, api.Config{AdminToken: "x", EdgeToken: "x"}); err == nil {
		t.Error("an edge token equal to the admin token was accepted")
	}
	creds, _ := api.NewCredentials(map[string]string{"e1": "x"})
	if _, err := api.New(nil, api.Config{AdminToken: "x", EdgeCredentials: creds}); err == nil {
		t.Error("an edge credential equal to the admin token was accepted")
	}
	path := filepath.Join(t.TempDir(), "edges")
	write := func(lines ...string) {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("# id sha256", "e1 "+api.HashToken("old"))
	fileCreds, err := api.LoadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	c := startWith(t, api.Config{EdgeCredentials: fileCreds})
	whoami := func(tok string) int {
		code, _ := as(t, c, tok, "GET", "/v1/edge/whoami", nil)
		return code
	}
	if whoami("old") != http.StatusOK || whoami("new") != http.StatusUnauthorized {
		t.Fatal("the file's credential does not work")
	}
	// Rotation: both tokens for a while, then the new one only.
	write("e1 "+api.HashToken("old"), "e1 "+api.HashToken("new"))
	if _, err := c.API.ReloadCredentials(true); err != nil || whoami("old") != http.StatusOK || whoami("new") != http.StatusOK {
		t.Fatalf("rotation, both tokens: %v", err)
	}
	write("e1 " + api.HashToken("new"))
	if _, err := c.API.ReloadCredentials(true); err != nil || whoami("old") != http.StatusUnauthorized || whoami("new") != http.StatusOK {
		t.Fatalf("rotation, new token only: %v", err)
	}
	write("e1 "+api.HashToken("new"), "e2 "+api.HashToken(admin))
	if _, err := c.API.ReloadCredentials(true); err == nil || whoami("new") != http.StatusOK {
		t.Errorf("a file giving an edge the admin token was loaded (%v)", err)
	}
	write("e1 not-a-hash")
	if _, err := c.API.ReloadCredentials(true); err == nil || whoami("new") != http.StatusOK {
		t.Errorf("a bad file replaced the credentials (%v)", err)
	}
}

// TestInvalidTextRefused is issue 12 item 6: a hunt name that is not valid
// UTF-8 (raw, or an escaped lone surrogate), and control characters, get a
// 400 like every other malformed field, and nothing is written.
func TestInvalidTextRefused(t *testing.T) {
	c := embedded(t)
	good, _ := json.Marshal(api.HuntRequest{Name: "NAME", Area: area, Resolution: 9, Treasures: 1})
	for _, name := range []string{"\"\xff\xfe\"", `"\ud800"`, `"tab\there"`, `"a\u0000b"`} {
		body := bytes.Replace(good, []byte(`"NAME"`), []byte(name), 1)
		req, _ := http.NewRequest("POST", c.URL()+"/v1/hunts", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("hunt name %s: %d %s, want 400 with a JSON error", name, resp.StatusCode, b)
		}
	}
	var hunts []api.HuntSummary
	if do(t, c, "GET", "/v1/hunts", nil, &hunts); len(hunts) != 0 {
		t.Errorf("hunts after bad names: %+v", hunts)
	}
	if code := do(t, c, "POST", "/v1/edge/register", fsm.Edge{ID: "e1", Instance: "i1", Region: "\u0007", URLs: []string{"ws://x"}}, nil); code != http.StatusBadRequest {
		t.Errorf("region with a control character: %d", code)
	}
}
