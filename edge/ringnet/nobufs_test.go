package ringnet

import (
	"sync"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// TestNoBufsParksAndRearms: with a provided-buffer ring far too small for
// a burst (4 buffers of 64 bytes per ring), several clients each write
// many messages at once; the receives run out of buffers (ENOBUFS), are
// parked and re-armed as buffers return, and every message of every client
// still arrives, in order — nothing is lost and no connection is closed.
func TestNoBufsParksAndRearms(t *testing.T) {
	_, srv, url, priv := keyed(t, Config{Rings: 1, Buffers: 4, BufferSize: 64}, core.Config{MessageRate: 1e9, MessageBurst: 1e9}) // bursts of PINGs, all answered
	const clients, pings = 4, 150
	cls := make([]*benchClient, clients)
	for i := range cls {
		cls[i] = dialWelcomed(t, url, priv, uint32(i+1))
	}
	before := srv.Stats().NoBufs
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	for i, cl := range cls {
		var burst []byte
		for n := range pings {
			cl.w.b = burst
			burst = appendClientFrame(&cl.w, ws.OpBinary, protocol.AppendPing(nil, &protocol.Ping{Time: uint64(n + 1)}))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cl.nc.Write(burst); err != nil {
				errs <- err.Error()
				return
			}
			want := uint64(1)
			for want <= pings {
				data, _, err := wsutil.ReadServerData(cl.nc)
				if err != nil {
					errs <- "client " + string(rune('A'+i)) + ": " + err.Error()
					return
				}
				for len(data) > 0 {
					typ, body, rest, err := protocol.Split(data)
					if err != nil {
						errs <- err.Error()
						return
					}
					if typ == protocol.TypePong {
						var p protocol.Pong
						if err := p.Decode(body); err != nil || p.Echo != want {
							errs <- "client " + string(rune('A'+i)) + ": PONG out of order"
							return
						}
						want++
					}
					data = rest
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := srv.Stats().NoBufs - before; got == 0 {
		t.Error("the receives never ran out of buffers: the test proves nothing")
	} else {
		t.Logf("%d ENOBUFS parks", got)
	}
	if n := srv.Conns(); n != clients {
		t.Errorf("%d connections open, want %d", n, clients)
	}
}
