package ringnet

import (
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
)

// start runs a ringnet server (two rings) on loopback with a core.
func start(t testing.TB, o wstest.Options, cc core.Config) (*core.Core, *Server) {
	return startWith(t, Config{HelloTimeout: o.HelloTimeout, WriteTimeout: o.WriteTimeout}, cc)
}

// startWith runs a ringnet server with cfg (two rings on loopback unless
// set) and a core.
func startWith(t testing.TB, cfg Config, cc core.Config) (*core.Core, *Server) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Rings == 0 {
		cfg.Rings = 2
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("io_uring transport unavailable: %v", err)
	}
	cc.Notifier = srv
	c, err := core.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	srv.Attach(c)
	t.Cleanup(srv.Shutdown)
	return c, srv
}

// TestConformance runs the transports' shared suite (Go clients, framing,
// bad input, slow readers) on the io_uring transport.
func TestConformance(t *testing.T) {
	wstest.Run(t, func(t *testing.T, o wstest.Options, cc core.Config) (*core.Core, wstest.Transport) {
		c, srv := start(t, o, cc)
		return c, wstest.Transport{URL: "ws://" + srv.Addr().String() + "/ws", Conns: srv.Conns, CloseAll: srv.CloseAll}
	})
}
