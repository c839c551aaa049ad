package system

import (
	"context"
	"crypto/ed25519"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/protocol/token"
)

const admin = "bench-test-admin"

// attached is a System attached to an in-process single-node coordinator
// that leads (the edge URL is edge, possibly unused).
func attached(t *testing.T, edge string) (*System, *coordinator.Coordinator) {
	t.Helper()
	c, err := coordinator.Embedded(t.TempDir(), admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return Attach(edge+"/", c.URL()+"/", admin), c
}

// Attach trims trailing slashes and derives the WebSocket URL from the
// edge's.
func TestAttachURLs(t *testing.T) {
	s := Attach("http://127.0.0.1:8090/", "http://127.0.0.1:8080/", "tok")
	if s.Edge != "http://127.0.0.1:8090" || s.Coordinator != "http://127.0.0.1:8080" || s.AdminToken != "tok" || s.EdgePID != 0 || s.Key != nil {
		t.Errorf("Attach: %+v", s)
	}
	if got := s.WSURL(); got != "ws://127.0.0.1:8090/ws" {
		t.Errorf("WSURL %q", got)
	}
}

// Start refuses at once, naming the binary and the way out, when the
// binaries are not built.
func TestStartWithoutBinaries(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(LocalOptions{BinDir: dir})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "veltrix-")) || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("Start without binaries: %v", err)
	}
}

// Against a running coordinator, the System finds the leader, creates and
// starts the hunt it is asked for, and reads it back.
func TestAttachedHunt(t *testing.T) {
	s, c := attached(t, "http://127.0.0.1:1")
	leader, err := s.Leader()
	if err != nil || leader != c.URL() {
		t.Fatalf("Leader: %q, %v; want %q", leader, err, c.URL())
	}
	for _, tc := range []struct {
		name    string
		respawn bool
		want    string
	}{
		{"no respawn", false, fsm.RespawnNone},
		{"respawn", true, fsm.RespawnAfter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.CreateHunt(HuntOptions{Center: [2]float64{52.37, 4.89}, SizeKm: 4, Resolution: 9, Treasures: 12, Respawn: tc.respawn})
			if err != nil {
				t.Fatal(err)
			}
			h, err := s.Hunt(id)
			if err != nil {
				t.Fatal(err)
			}
			if h.ID != id || h.State != "active" || h.Total != 12 || len(h.Treasures) != 12 || h.Spec.Respawn != tc.want || h.Spec.Resolution != 9 {
				t.Fatalf("hunt %d: id %d, state %q, total %d, treasures %d, spec %+v", id, h.ID, h.State, h.Total, len(h.Treasures), h.Spec)
			}
			// The treasures lie in the cells of the 4 km square around the
			// centre (a cell's centre may lie up to a cell, ~0.2 km, out).
			dLat := (2 + 0.2) / 111.32
			dLng := dLat / math.Cos(52.37*math.Pi/180)
			for _, tr := range h.Treasures {
				lat, lng := float64(tr.Lat)/1e7, float64(tr.Lng)/1e7
				if math.Abs(lat-52.37) > dLat || math.Abs(lng-4.89) > dLng {
					t.Errorf("treasure %d at %.5f,%.5f, outside the hunt's square", tr.ID, lat, lng)
				}
			}
		})
	}
	if _, err := s.Hunt(9999); err == nil {
		t.Error("a hunt that does not exist was read")
	}
}

// Without the signing key, tokens come from the admin API: one per player,
// for the hunt, living 25 h so that no run outlives them.
func TestAttachedTokens(t *testing.T) {
	s, _ := attached(t, "http://127.0.0.1:1")
	toks, err := s.Tokens(3, 100, 19)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, tok := range toks {
		if tok == "" || seen[tok] {
			t.Fatalf("token %d: %q (empty or repeated)", i, tok)
		}
		seen[tok] = true
		issued, expires, err := token.Lifetime(tok)
		if err != nil || expires.Sub(issued) != tokenTTL {
			t.Fatalf("token %d lives %v (%v), want %v", i, expires.Sub(issued), err, tokenTTL)
		}
	}
	bad := Attach(s.Edge, s.Coordinator, "not-the-admin-token")
	if _, err := bad.Tokens(3, 100, 3); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("tokens with a wrong admin token: %v", err)
	}
}

// With the signing key, tokens are minted locally and verify for their
// player and hunt.
func TestLocalTokens(t *testing.T) {
	pub, key, err := token.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := Attach("http://127.0.0.1:1", "http://127.0.0.1:1", admin) // never called
	s.Key = key
	toks, err := s.Tokens(5, 40, 3)
	if err != nil || len(toks) != 3 {
		t.Fatalf("Tokens: %d, %v", len(toks), err)
	}
	for i, tok := range toks {
		c, err := token.Verify(pub, tok, 5, time.Now().Add(24*time.Hour))
		if err != nil || c.Player != uint32(40+i) {
			t.Errorf("token %d: %+v, %v", i, c, err)
		}
		if _, err := token.Verify(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)), tok, 5, time.Now()); err == nil {
			t.Errorf("token %d verifies under another key", i)
		}
	}
}

// A System that did not start the coordinators will not kill one.
func TestKillLeaderNotOurs(t *testing.T) {
	s, c := attached(t, "http://127.0.0.1:1")
	if _, err := s.KillLeader(); err == nil || !strings.Contains(err.Error(), "not a process of ours") {
		t.Fatalf("KillLeader on an attached system: %v", err)
	}
	if !c.Node.IsLeader() {
		t.Error("the coordinator no longer leads")
	}
}

// WTInfo reads the edge's WebTransport URL and certificate hash; an edge
// without WebTransport is an error.
func TestWTInfo(t *testing.T) {
	hash := make([]byte, 32)
	for i := range hash {
		hash[i] = byte(i)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/wt", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"url":"https://127.0.0.1:4433/wt","cert_sha256":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	url, got, err := Attach(srv.URL, srv.URL, admin).WTInfo()
	if err != nil || url != "https://127.0.0.1:4433/wt" || string(got) != string(hash) {
		t.Fatalf("WTInfo: %q, %x, %v", url, got, err)
	}
	none := httptest.NewServer(http.NotFoundHandler())
	defer none.Close()
	if _, _, err := Attach(none.URL, none.URL, admin).WTInfo(); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("WTInfo without WebTransport: %v", err)
	}
}

// Attached to a coordinator that is not the leader, Leader follows the
// leader it names, and says so when there is none.
func TestAttachedLeaderFromAFollower(t *testing.T) {
	for _, tc := range []struct {
		name, answer, want, err string
	}{
		{"names the leader", `{"state":"Follower","leader_api":"127.0.0.1:8081"}`, "http://127.0.0.1:8081", ""},
		{"names it with its scheme", `{"state":"Follower","leader_api":"http://127.0.0.1:8082"}`, "http://127.0.0.1:8082", ""},
		{"no leader", `{"state":"Candidate","leader_api":""}`, "", "no leader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/cluster" || r.Header.Get("Authorization") != "Bearer "+admin {
					http.Error(w, "no", http.StatusForbidden)
					return
				}
				_, _ = w.Write([]byte(tc.answer))
			}))
			defer srv.Close()
			got, err := Attach("http://127.0.0.1:1", srv.URL, admin).Leader()
			if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Leader: %q, %v; want %q, %q", got, err, tc.want, tc.err)
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if _, err := Attach("http://127.0.0.1:1", srv.URL, admin).Leader(); err == nil {
		t.Error("Leader from an unreachable coordinator")
	}
}

// Close on an attached system stops nothing and removes nothing; the
// coordinator still serves.
func TestAttachedClose(t *testing.T) {
	s, c := attached(t, "http://127.0.0.1:1")
	s.Close()
	if l, err := s.Leader(); err != nil || l != c.URL() {
		t.Errorf("after Close: %q, %v", l, err)
	}
}
