package ringnet

import (
	"testing"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// TestEventfdWakeups: with the eventfd fallback forced (Config.EventfdWake)
// the rings are still woken for output the core queues from another
// goroutine: each tick's CELL_UPDATE reaches both neighbours, round after
// round, and the wake-ups went through the fallback.
func TestEventfdWakeups(t *testing.T) {
	c, srv, url, priv := keyed(t, Config{EventfdWake: true}, core.Config{PositionRate: 1e9, PositionBurst: 1e9, MessageRate: 1e9, MessageBurst: 1e9, MaxSpeed: 1e6})
	for _, r := range srv.rings {
		if !r.ur.EventfdWake() { // set before the rings started serving
			t.Fatalf("ring %d wakes with MSG_RING, want the eventfd", r.idx)
		}
	}
	a, b := dialWelcomed(t, url, priv, 1), dialWelcomed(t, url, priv, 2)
	lat, lng := geo.Point{Lat: 52.3730796, Lng: 4.8924534}.E7()
	before := srv.Stats().Wakeups
	for i := range 50 {
		for n, cl := range []*benchClient{a, b} {
			cl.sendFrames(t, protocol.AppendPosition(nil, &protocol.Position{Seq: uint32(i + 1), Lat: lat + int32(n*10+i%2), Lng: lng, Time: uint64(i + 1)}), true)
			for cl.read(t) != typePong {
			}
		}
		c.Tick() // Ready from this goroutine: the rings must be woken
		for _, cl := range []*benchClient{a, b} {
			for cl.read(t) != protocol.TypeCellUpdate {
			}
		}
	}
	if srv.Stats().Wakeups == before {
		t.Error("no wake-up was needed: the test proves nothing")
	}
}
