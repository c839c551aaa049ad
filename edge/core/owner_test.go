package core

import (
	"slices"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// call is one notification a transport received.
type call struct {
	id     SessionID
	handle uint64
	code   protocol.Code // 0: Ready
}

// recorder is a transport that records its notifications.
type recorder struct{ calls []call }

func (r *recorder) Ready(id SessionID, handle uint64) { r.calls = append(r.calls, call{id, handle, 0}) }
func (r *recorder) Hangup(id SessionID, handle uint64, code protocol.Code) {
	r.calls = append(r.calls, call{id, handle, code})
}

// The core notifies only the transport that opened a session, with the
// handle that transport gave Open: no broadcast to the other transports.
func TestNotificationsGoToTheOwnerWithItsHandle(t *testing.T) {
	r := newRig(t)
	a, b := &recorder{}, &recorder{}
	oa, ob := r.c.Register(a), r.c.Register(b)
	if oa == ob || oa == r.owner || ob == r.owner {
		t.Fatalf("owners %d, %d, %d are not distinct", r.owner, oa, ob)
	}
	const ha, hb = 0xa1<<56 | 42, 0xb2<<56 | 7
	ida, idb := r.c.Open(oa, ha), r.c.Open(ob, hb)

	// a: HELLO makes a WELCOME ready.
	tok, _ := token.Mint(r.priv, 1, testHunt, "", r.now, time.Hour)
	if err := r.c.Deliver(ida, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: testHunt, Token: protocol.Text(tok)})); err != nil {
		t.Fatal(err)
	}
	// b: a POSITION before HELLO readies an ERROR and hangs up.
	if err := r.c.Deliver(idb, protocol.AppendPosition(nil, &protocol.Position{Seq: 1})); protocol.CodeOf(err) != protocol.CodeHelloRequired {
		t.Fatalf("POSITION before HELLO: %v", err)
	}
	if want := []call{{ida, ha, 0}}; !slices.Equal(a.calls, want) {
		t.Errorf("owner a got %v, want %v", a.calls, want)
	}
	if want := []call{{idb, hb, 0}, {idb, hb, protocol.CodeHelloRequired}}; !slices.Equal(b.calls, want) {
		t.Errorf("owner b got %v, want %v", b.calls, want)
	}
	if len(r.net.ready) != 0 || len(r.net.closed) != 0 {
		t.Errorf("the rig's own transport was notified: ready %v, closed %v", r.net.ready, r.net.closed)
	}
}
