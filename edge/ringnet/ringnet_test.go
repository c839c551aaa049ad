package ringnet

import (
	"crypto/ed25519"
	"net/http"
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
	"github.com/veltrix/veltrix/protocol/token"
)

// start runs a ringnet server (two rings) on loopback with a core.
func start(t testing.TB, o wstest.Options, cc core.Config) (*core.Core, *Server) {
	return startWith(t, Config{HelloTimeout: o.HelloTimeout, WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout, MaxBacklog: o.MaxBacklog, CloseLinger: o.CloseLinger}, cc)
}

// keyed runs startWith with a core for hunt 7 whose tokens are signed by
// a fresh key: the core, the server, its ws:// URL and the key.
func keyed(t testing.TB, cfg Config, cc core.Config) (*core.Core, *Server, string, ed25519.PrivateKey) {
	pub, priv, _ := token.GenerateKey()
	cc.PublicKey, cc.Hunts = pub, wstest.OneHunt{}
	c, srv := startWith(t, cfg, cc)
	return c, srv, "ws://" + srv.Addr().String() + "/ws", priv
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
	ls, err := Listen(cfg)
	if err != nil {
		t.Fatalf("io_uring transport unavailable: %v", err)
	}
	c, err := core.New(cc)
	if err != nil {
		ls.Close()
		t.Fatal(err)
	}
	srv, err := New(c, ls)
	if err != nil {
		t.Fatalf("io_uring rings: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return c, srv
}

// TestConformance runs the transports' shared suite (Go clients, framing,
// bad input, slow readers) on the io_uring transport.
func TestConformance(t *testing.T) {
	wstest.Run(t, wstest.WebSocket, func(t *testing.T, o wstest.Options, cc core.Config) (*core.Core, wstest.Transport) {
		c, srv := start(t, o, cc)
		hs := &http.Server{Handler: srv} // as the edge serves what the rings hand over
		go func() { _ = hs.Serve(srv.Listener()) }()
		t.Cleanup(func() { hs.Close() })
		return c, wstest.Transport{URL: "ws://" + srv.Addr().String() + "/ws", Conns: srv.Conns, CloseAll: srv.CloseAll, Shutdown: srv.Shutdown}
	})
}
