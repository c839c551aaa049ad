package ringnet

import (
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
)

// start runs a ringnet server (two rings) on loopback with a core.
func start(t testing.TB, o wstest.Options, cc core.Config) (*core.Core, *Server) {
	srv, err := New(Config{Listen: "127.0.0.1:0", Rings: 2, HelloTimeout: o.HelloTimeout, WriteTimeout: o.WriteTimeout})
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
