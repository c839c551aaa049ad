package wsnet

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
)

type oneHunt = wstest.OneHunt

// TestConformance runs the transports' shared suite (Go clients, framing,
// bad input, slow readers) on the netpoll transport, once with upgrades
// through net/http (ServeHTTP) and once taken off the connection by the
// zero-copy path (Listen).
func TestConformance(t *testing.T) {
	for _, zeroCopy := range []bool{false, true} {
		name := map[bool]string{false: "net-http", true: "zero-copy"}[zeroCopy]
		t.Run(name, func(t *testing.T) {
			wstest.Run(t, wstest.WebSocket, func(t *testing.T, o wstest.Options, cc core.Config) (*core.Core, wstest.Transport) {
				srv, c, hs := startServer(t, zeroCopy, Config{HelloTimeout: o.HelloTimeout, WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout, MaxBacklog: o.MaxBacklog, CloseLinger: o.CloseLinger}, cc)
				return c, wstest.Transport{URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", Conns: srv.Conns, CloseAll: srv.CloseAll, Shutdown: srv.Shutdown}
			})
		})
	}
}

// startServer serves a server with cfg and a core made from cc (attached
// to the server) on httptest — through Listen when zeroCopy;
// cleanup shuts both down.
func startServer(tb testing.TB, zeroCopy bool, cfg Config, cc core.Config) (*Server, *core.Core, *httptest.Server) {
	c, err := core.New(cc)
	if err != nil {
		tb.Fatal(err)
	}
	srv := New(c, cfg)
	hs := httptest.NewUnstartedServer(srv)
	if zeroCopy {
		hs.Listener = srv.Listen(hs.Listener)
	}
	hs.Start()
	tb.Cleanup(func() {
		srv.Shutdown()
		hs.Close()
	})
	return srv, c, hs
}
