package edge_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestCoordinatorRestartIsSurvived: while the coordinator is down, players
// keep seeing each other and a claim is answered "unavailable"; once it is
// back on the same address, the edge resumes its event stream and claims
// win again.
func TestCoordinatorRestartIsSurvived(t *testing.T) {
	eachTransport(t, testCoordinatorRestartIsSurvived)
}

func testCoordinatorRestartIsSurvived(t *testing.T, transport string) {
	_, priv, _ := token.GenerateKey()
	apiAddr, raftAddr, dir := freePort(t), freePort(t), t.TempDir()
	start := func() *coordinator.Coordinator {
		c, err := coordinator.Start(coordinator.Config{Listen: apiAddr,
			Cluster: cluster.Config{ID: "solo", RaftAddr: raftAddr, DataDir: dir, Bootstrap: true, InsecureRaft: true,
				HeartbeatTimeout: 100 * time.Millisecond, ElectionTimeout: 100 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond},
			API: api.Config{AdminToken: admin, SigningKey: priv}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.WaitLeader(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	w := &world{t: t, coord: start()}
	var created struct{ Hunt uint32 }
	w.call("POST", "/v1/hunts", api.HuntRequest{Name: "restart", Area: api.AreaRequest{Outer: [][2]float64{{52.36, 4.88}, {52.36, 4.912}, {52.38, 4.912}, {52.38, 4.88}}},
		Resolution: 10, Treasures: 5, MinSpacing: 2, ClaimRadius: 1}, &created)
	w.call("POST", fmt.Sprintf("/v1/hunts/%d/start", created.Hunt), nil, nil)
	w.call("GET", fmt.Sprintf("/v1/hunts/%d?consistent=true", created.Hunt), nil, &w.hunt)
	e, err := edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin,
		PublicKey: priv.Public().(ed25519.PublicKey), Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	w.edge = e
	waitHunt(t, e, created.Hunt)

	a, am := w.player(1)
	b, _ := w.player(2)
	t1 := w.hunt.Treasures[0]
	a.Position(float64(t1.Lat)/1e7, float64(t1.Lng)/1e7, 3)
	w.coord.Close() // the coordinator goes away

	b.Position(float64(t1.Lat)/1e7+0.00005, float64(t1.Lng)/1e7, 3)
	await(t, am, func(c *protocol.CellUpdate) bool { return hasPlayer(c, 2) }) // positions still flow
	a.Claim(1, t1.ID)
	if r := await(t, am, func(r *protocol.ClaimResult) bool { return r.Request == 1 }); r.Outcome != protocol.OutcomeUnavailable {
		t.Fatalf("claim without a coordinator: outcome %d, want unavailable", r.Outcome)
	}

	w.coord = start() // back, same address and data
	t.Cleanup(func() { w.coord.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for req := uint32(2); ; req++ {
		a.Claim(req, t1.ID) // the claim made during the outage never reached the log
		r := await(t, am, func(r *protocol.ClaimResult) bool { return r.Request == req })
		if r.Outcome == protocol.OutcomeWon {
			break
		}
		if r.Outcome != protocol.OutcomeUnavailable || time.Now().After(deadline) {
			t.Fatalf("claim after the restart: outcome %d", r.Outcome)
		}
	}
	// The edge resumed its stream: it hears the claim it forwarded.
	await(t, am, func(ev *protocol.Event) bool { return ev.Kind == protocol.EventTreasureClaimed && ev.Treasure == t1.ID })
}

func waitHunt(t *testing.T, e *edge.Edge, hunt uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.WaitHunt(ctx, hunt); err != nil {
		t.Fatal(err)
	}
}
