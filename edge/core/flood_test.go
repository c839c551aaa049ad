package core

import (
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// countTypes counts msgs by type, and the codes of the ERRORs among them.
func countTypes(msgs []protocol.Message) (map[protocol.Type]int, []protocol.Code) {
	n := map[protocol.Type]int{}
	var codes []protocol.Code
	for _, m := range msgs {
		n[m.Type()]++
		if e, ok := m.(*protocol.ErrorMessage); ok {
			codes = append(codes, e.Code)
		}
	}
	return n, codes
}

// TestMessageFloodIsRateLimited: a flood of any message type (here PINGs,
// which ask for output, and an unknown type) is answered up to the
// session's bucket, the excess dropped with one rate_limited ERROR (not
// fatal); the bucket refills with time.
func TestMessageFloodIsRateLimited(t *testing.T) {
	r := newRig(t, func(c *Config) { c.MessageRate = 10; c.MessageBurst = 20 })
	id := r.join(1) // the HELLO took a token
	var flood []byte
	for i := range 500 {
		flood = protocol.AppendPing(flood, &protocol.Ping{Time: uint64(i)})
		flood = append(flood, 0x3f, 0, 0) // an unknown client type, skipped but counted
	}
	if err := r.c.Deliver(id, flood); err != nil {
		t.Fatalf("a flood is not fatal: %v", err)
	}
	n, codes := countTypes(r.pull(id))
	if pongs := n[protocol.TypePong]; pongs != 10 { // 19 tokens left, PINGs and unknown messages alternate
		t.Errorf("%d PONGs for a flood of 500 PINGs with 19 tokens left, want 10", pongs)
	}
	if len(codes) != 1 || codes[0] != protocol.CodeRateLimited {
		t.Errorf("ERRORs %v, want one rate_limited", codes)
	}
	if _, closed := r.net.closed[id]; closed {
		t.Fatal("rate_limited closed the session")
	}
	if got := r.c.Snapshot().Drops[DropMessageFlood]; got != 1000-19 {
		t.Errorf("message_flood drops %d, want %d", got, 1000-19)
	}
	r.now = r.now.Add(time.Second) // 10 tokens back
	r.c.Deliver(id, protocol.AppendPing(nil, &protocol.Ping{Time: 9}))
	if msgs := r.pull(id); len(msgs) != 1 || msgs[0].(*protocol.Pong).Echo != 9 {
		t.Fatalf("after a second: %v, want the PONG", msgs)
	}
}

// TestTooSlowDropsTheBacklogAndSaysWhy: a session closed too_slow — its
// control messages piling up past MaxControl, or its frames dropped for
// SlowTicks ticks — gets its backlog dropped and a too_slow ERROR as its
// last output, so the transport has room to deliver it before the close.
func TestTooSlowDropsTheBacklogAndSaysWhy(t *testing.T) {
	r := newRig(t, func(c *Config) { c.MaxControl = 1000; c.MessageRate = 1e6; c.MessageBurst = 1e6 })
	id := r.join(1)
	for i := range 100 { // 19-byte PONGs that nobody pulls
		r.c.Deliver(id, protocol.AppendPing(nil, &protocol.Ping{Time: uint64(i)}))
	}
	if r.net.closed[id] != protocol.CodeTooSlow {
		t.Fatalf("closed %v, want too_slow", r.net.closed[id])
	}
	if msgs := r.pull(id); len(msgs) != 1 || msgs[0].(*protocol.ErrorMessage).Code != protocol.CodeTooSlow {
		t.Fatalf("after too_slow: %d messages %v, want the too_slow ERROR alone", len(msgs), msgs)
	}
}
