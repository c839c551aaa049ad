package dev

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol/token"
)

// startDev starts a dev system without a crowd in dir, closed at the end
// of the test.
func startDev(t *testing.T, dir string) *Dev {
	t.Helper()
	d, err := Start(Options{DataDir: dir, Listen: "127.0.0.1:0", AdminToken: "dev-test", Edge: edge.Config{Transport: "netpoll"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// session is GET /dev/session with query q, decoded.
func session(t *testing.T, d *Dev, q string) (m struct {
	Player uint64
	Hunt   uint32
	Token  string
	WS     string
	Center [2]float64
}) {
	t.Helper()
	resp, err := http.Get(d.Edge.URL() + "/dev/session" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /dev/session%s: %s %s", q, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// /dev/session hands out a token, signed by the coordinator, for the
// player asked for (any player when none or a bad one is asked for) in the
// demo hunt, with where to connect.
func TestDevSession(t *testing.T) {
	d := startDev(t, t.TempDir())
	if d.Edge.ID() != "dev-edge" {
		t.Errorf("edge id %q, want dev-edge", d.Edge.ID())
	}
	resp, err := http.Get(d.Coordinator.URL() + "/v1/keys/token")
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pub, err := token.ParsePublicKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, q string
		player  uint64 // 0: any
	}{
		{"a given player", "?player=42", 42},
		{"no player", "", 0},
		{"player zero", "?player=0", 0},
		{"not a number", "?player=x", 0},
		{"beyond 32 bits", "?player=4294967296", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := session(t, d, tc.q)
			if tc.player != 0 && m.Player != tc.player || m.Player < 1 || m.Player > 900_000 && tc.player == 0 {
				t.Errorf("player %d, want %d (0: any of 1 … 900,000)", m.Player, tc.player)
			}
			if m.Hunt != d.Hunt || m.WS != d.Edge.WSURL() || m.Center != Center {
				t.Errorf("session %+v: want hunt %d, ws %s, centre %v", m, d.Hunt, d.Edge.WSURL(), Center)
			}
			c, err := token.Verify(pub, m.Token, d.Hunt, time.Now())
			if err != nil || uint64(c.Player) != m.Player {
				t.Errorf("token: %+v, %v; want one for player %d", c, err, m.Player)
			}
		})
	}
}
