package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// FuzzDeliver feeds arbitrary frames to a welcomed session and to a fresh
// one: the core must never panic, must answer errors with a protocol code,
// and must keep serving a well-behaved neighbour.
func FuzzDeliver(f *testing.F) {
	f.Add(protocol.AppendPosition(nil, &protocol.Position{Seq: 5, Lat: 523730796, Lng: 48924534}))
	f.Add(protocol.AppendClaim(nil, &protocol.Claim{Request: 1, Treasure: 2}))
	f.Add([]byte{0x01, 0x08, 0x00, 1, 1, 7, 0, 0, 0, 0, 0})
	f.Add([]byte{0x7f, 0x01, 0x00, 0xff})
	f.Add(protocol.AppendToken(nil, &protocol.Token{Token: protocol.Text("x.y.z")}))
	f.Add([]byte{0x06, 0x03, 0x00, 0x05, 0x00, 'a'})
	f.Fuzz(func(t *testing.T, frame []byte) {
		r := newRig(t)
		good, bad := r.join(1), r.join(2)
		fresh := r.c.Open(r.owner, 0)
		for _, id := range []SessionID{bad, fresh} {
			if err := r.c.Deliver(id, frame); err != nil && protocol.CodeOf(err) == protocol.CodeInternal {
				t.Fatalf("error without a protocol code: %v", err)
			}
		}
		r.c.Tick()
		r.pull(bad)
		r.pull(fresh)
		r.now = r.now.Add(time.Second)
		if err := r.move(good, dam); err != nil {
			t.Fatalf("the neighbour was hurt: %v", err)
		}
		r.c.Closed(bad)
		r.c.Closed(fresh)
		r.c.Tick()
	})
}
