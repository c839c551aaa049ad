package region

import (
	"strings"
	"testing"

	"github.com/veltrix/veltrix/protocol"
)

func TestConfigValidate(t *testing.T) {
	bad := Config{URL: "http://x", ClusterListen: "nohost", Routes: []string{"a"}, Outbox: -1}
	err := bad.Validate()
	for _, want := range []string{"exclude each other", "not nats://", "cluster listen address", "is not [nats-route://]host:port", "cannot be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
	if err := (&Config{Routes: []string{"127.0.0.1:1"}}).Validate(); err == nil {
		t.Error("routes without a cluster listen address accepted")
	}
	if err := (&Config{Self: Sibling{WS: "http://a/ws"}}).Validate(); err == nil || !strings.Contains(err.Error(), "self") {
		t.Errorf("a self announcement without a WebSocket URL: %v", err)
	}
	if err := (&Config{TTL: -1}).Validate(); err == nil {
		t.Error("a negative TTL accepted")
	}
	good := Config{Self: Sibling{Region: "eu", WS: "wss://a/ws", WT: "https://a/wt"}, ClusterListen: "127.0.0.1:0", Routes: []string{"nats-route://10.0.0.2:6250", "10.0.0.3:6250"}}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
}

func TestSubjectRoundTrip(t *testing.T) {
	h, c, ok := parseSubject(subject(7, 0x8928308280fffff))
	if !ok || h != 7 || c != 0x8928308280fffff {
		t.Fatalf("parseSubject(subject(7, cell)) = %d, %x, %v", h, c, ok)
	}
	for _, s := range []string{"veltrix.alive", "veltrix.cell.", "veltrix.cell.7", "veltrix.cell.x.1", "veltrix.cell.4294967296.1", "other.7.1"} {
		if _, _, ok := parseSubject(s); ok {
			t.Errorf("parseSubject(%q) accepted", s)
		}
	}
}

func FuzzParseSubject(f *testing.F) {
	f.Add("veltrix.cell.7.8928308280fffff")
	f.Add("veltrix.cell..")
	f.Fuzz(func(t *testing.T, s string) {
		h, c, ok := parseSubject(s)
		if !ok {
			return
		}
		if h2, c2, ok2 := parseSubject(subject(h, c)); !ok2 || h2 != h || c2 != c {
			t.Fatalf("parseSubject(%q) = %d, %x; its canonical subject reads back as %d, %x, %v", s, h, c, h2, c2, ok2)
		}
	})
}

// TestPublishDoesNotAllocate: the core calls Publish under its lock each
// tick; once the outbox has grown it copies without allocating, and an
// origin snapshot is rewritten in the copy only.
func TestPublishDoesNotAllocate(t *testing.T) {
	r := &Region{kick: make(chan struct{}, 1)} // no sender: the outbox only fills
	r.out.max = 1 << 20
	frame := protocol.AppendCellUpdate(nil, &protocol.CellUpdate{Cell: 0x8928308280fffff, Flags: protocol.FlagSnapshot, Origin: 5,
		Entries: []protocol.CellEntry{{Op: protocol.OpEntered, Player: 1}}})
	orig := string(frame)
	r.Publish(7, 0x8928308280fffff, frame, true) // grow the outbox once
	n := testing.AllocsPerRun(500, func() {
		r.out.b.buf, r.out.b.frames = r.out.b.buf[:0], r.out.b.frames[:0]
		r.Publish(7, 0x8928308280fffff, frame, true)
	})
	if n != 0 {
		t.Errorf("Publish allocates %v times", n)
	}
	if string(frame) != orig {
		t.Error("Publish rewrote the caller's bytes")
	}
	if got := r.out.b.buf[protocol.HeaderSize+12]; got != protocol.FlagOriginSnapshot {
		t.Errorf("published flags %#x, want ORIGIN_SNAPSHOT", got)
	}
}
