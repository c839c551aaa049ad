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
// bad input, slow readers) on the netpoll transport.
func TestConformance(t *testing.T) {
	wstest.Run(t, func(t *testing.T, o wstest.Options, cc core.Config) (*core.Core, wstest.Transport) {
		srv := New(Config{HelloTimeout: o.HelloTimeout, WriteTimeout: o.WriteTimeout})
		cc.Notifier = srv
		c, err := core.New(cc)
		if err != nil {
			t.Fatal(err)
		}
		srv.Attach(c)
		hs := httptest.NewServer(srv)
		t.Cleanup(func() {
			srv.Shutdown()
			hs.Close()
		})
		return c, wstest.Transport{URL: "ws" + strings.TrimPrefix(hs.URL, "http"), Conns: srv.Conns}
	})
}
