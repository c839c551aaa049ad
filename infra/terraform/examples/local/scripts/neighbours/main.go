// Command neighbours is the last step of the examples/local round trip
// (infra/check): a player on each of two edges of the deployment, in one
// cell of a fresh hunt, must see the other, which only happens when the
// edges share cells over their NATS routes. It exits 1 saying what it
// waited for.
//
//	neighbours -coordinator http://127.0.0.11:19201 -admin-token T -edges ws://127.0.0.21:19301/ws,ws://127.0.0.22:19301/ws
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/client"
)

func main() {
	coord := flag.String("coordinator", "", "a coordinator's API base URL")
	admin := flag.String("admin-token", "", "the coordinators' admin token")
	edges := flag.String("edges", "", "two edges' WebSocket URLs, comma-separated")
	wait := flag.Duration("wait", 60*time.Second, "how long the players may take to see each other")
	flag.Parse()
	urls := strings.Split(*edges, ",")
	if *coord == "" || *admin == "" || len(urls) != 2 {
		fmt.Fprintln(os.Stderr, "neighbours: -coordinator, -admin-token and two -edges are required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	if err := run(ctx, wire.NewClient([]string{*coord}, *admin, nil), urls); err != nil {
		fmt.Fprintln(os.Stderr, "neighbours:", err)
		os.Exit(1)
	}
	fmt.Println("neighbours: a player on each edge sees the other")
}

const lat, lng = 52.3730796, 4.8924534

func run(ctx context.Context, c *wire.Client, urls []string) error {
	var created struct{ Hunt uint32 }
	if err := c.Do(ctx, "POST", "/v1/hunts", api.HuntRequest{Name: "neighbours", Area: api.AreaRequest{Outer: [][2]float64{{52.36, 4.88}, {52.36, 4.912}, {52.38, 4.912}, {52.38, 4.88}}},
		Resolution: 10, Treasures: 1, MinSpacing: 2, ClaimRadius: 1}, &created, false); err != nil {
		return fmt.Errorf("cannot create a hunt: %w", err)
	}
	if err := c.Do(ctx, "POST", fmt.Sprintf("/v1/hunts/%d/start", created.Hunt), nil, nil, false); err != nil {
		return fmt.Errorf("cannot start hunt %d: %w", created.Hunt, err)
	}
	seen := make(chan [2]uint32, 64) // (watcher, player seen)
	var players [2]*client.Client
	for i, u := range urls {
		id := uint32(i + 1)
		var tok struct{ Token string }
		if err := c.Do(ctx, "POST", "/v1/tokens", api.TokenRequest{Player: id, Hunt: created.Hunt}, &tok, false); err != nil {
			return fmt.Errorf("cannot mint a token: %w", err)
		}
		p, err := dial(ctx, u, tok.Token, created.Hunt, id, seen)
		if err != nil {
			return err
		}
		defer p.Close()
		players[i] = p
	}
	return await(ctx, players, seen)
}

// dial connects player id to the edge at url, retrying while the edge's
// replica has yet to hear of the new hunt.
func dial(ctx context.Context, url, token string, hunt, id uint32, seen chan<- [2]uint32) (*client.Client, error) {
	for {
		p, err := client.Dial(ctx, client.Options{URL: url, Token: token, Hunt: hunt, Kind: protocol.KindBot,
			Handler: func(m protocol.Message) {
				if cu, ok := m.(*protocol.CellUpdate); ok {
					for _, e := range cu.Entries {
						if e.Player != id && e.Op != protocol.OpLeft {
							select {
							case seen <- [2]uint32{id, e.Player}:
							default:
							}
						}
					}
				}
			}})
		if err == nil {
			return p, nil
		}
		var refused *client.RefusedError
		if !errors.As(err, &refused) || refused.Code != protocol.CodeWrongHunt { // an edge's refusal is not a *protocol.Error
			return nil, fmt.Errorf("player %d cannot connect to %s: %w", id, url, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("edge %s never served hunt %d", url, hunt)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// await sends both positions every 200 ms until each player has seen the
// other.
func await(ctx context.Context, players [2]*client.Client, seen <-chan [2]uint32) error {
	got := map[uint32]bool{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for len(got) < 2 {
		for i, p := range players {
			if err := p.Position(lat+float64(i)*0.0001, lng, 5); err != nil {
				return fmt.Errorf("player %d: %w", i+1, err)
			}
		}
		select {
		case s := <-seen:
			got[s[0]] = true
		case <-tick.C:
		case <-ctx.Done():
			return errors.New("the players on the two edges never saw each other (are the edges' NATS routes up?)")
		}
	}
	return nil
}
