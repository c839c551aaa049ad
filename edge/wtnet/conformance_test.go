package wtnet

import (
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wstest"
)

// TestConformance runs the transports' shared suite over WebTransport:
// neighbours, bad input (the stream's and the datagrams' own included),
// the slow reader (a stream it does not read), PING flood, CloseAll,
// Shutdown with a client that does not read, idle, token expiry and
// replaced. The WebSocket-only cases (Caps) do not run.
func TestConformance(t *testing.T) {
	wstest.Run(t, wstest.WebTransport, func(t *testing.T, o wstest.Options, cc core.Config) (*core.Core, wstest.Transport) {
		r := serve(t, Config{HelloTimeout: o.HelloTimeout, WriteTimeout: o.WriteTimeout}, cc)
		shutdown := func() { _ = r.srv.Shutdown() }
		return r.core, wstest.Transport{URL: r.url, CertHash: r.hash, Conns: r.srv.Sessions, CloseAll: r.srv.CloseAll, Shutdown: shutdown}
	})
}
