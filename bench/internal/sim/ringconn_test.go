package sim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/internal/uring"
)

// upgradeCounter accepts connections and records the Host of each upgrade
// request it reads, then closes the connection (the dial fails; only where
// it went matters).
type upgradeCounter struct {
	ln      net.Listener
	mu      sync.Mutex
	hosts   []string
	arrived chan struct{} // one per upgrade request read
}

func newUpgradeCounter(t *testing.T) *upgradeCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upgradeCounter{ln: ln, arrived: make(chan struct{}, 1024)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				u.mu.Lock()
				u.hosts = append(u.hosts, req.Host)
				u.mu.Unlock()
				u.arrived <- struct{}{}
			}()
		}
	}()
	return u
}

func (u *upgradeCounter) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.hosts...)
}

// With -client uring and a region's edges (Job.URLs), each player's
// upgrade goes to its own edge (player p on URLs[(First+p+1) % N]), as with
// the Go client: the worker runs one io_uring engine per edge.
func TestRingClientSpreadsOverEdges(t *testing.T) {
	if _, err := uring.Probe(); err != nil {
		t.Fatalf("io_uring unavailable: %v", err)
	}
	edges := []*upgradeCounter{newUpgradeCounter(t), newUpgradeCounter(t)}
	var urls []string
	for _, e := range edges {
		urls = append(urls, fmt.Sprintf("ws://%s/ws", e.ln.Addr()))
	}
	cfg := scenario.Defaults("steady")
	cfg.Client, cfg.Sources = "uring", 1
	const players = 5
	job := Job{Config: cfg, Res: 9, URL: urls[0], URLs: urls, First: 10, Tokens: make([]string, players)}
	w := newWorker(job)
	defer w.closeAll()
	if err := w.startEngines(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range players {
		if _, err := w.dialRing(ctx, &player{w: w, idx: i}, i); err == nil {
			t.Fatalf("player %d: dial succeeded against a server that closes", i)
		}
	}
	want := []int{0, 0}
	for i := range players {
		want[(job.First+i+1)%len(urls)]++
	}
	for k, e := range edges {
		timeout := time.After(10 * time.Second)
	wait:
		for range want[k] {
			select {
			case <-e.arrived:
			case <-timeout:
				break wait
			}
		}
		got := e.seen()
		if len(got) != want[k] {
			t.Errorf("edge %d got %d upgrades, want %d", k, len(got), want[k])
		}
		for _, h := range got {
			if h != e.ln.Addr().String() {
				t.Errorf("edge %d got an upgrade for Host %q", k, h)
			}
		}
	}
}
