package wtnet

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// closes records the closes a core asks a transport for.
type closes map[core.SessionID]protocol.Code

func (closes) Ready(core.SessionID, uint64)                             {}
func (c closes) Hangup(id core.SessionID, _ uint64, code protocol.Code) { c[id] = code }

// inputRig is a core fed the way a session's readers feed it, with no
// network: a welcomed session under test and a welcomed neighbour.
type inputRig struct {
	core       *core.Core
	closed     closes
	id, neighb core.SessionID
}

func newInputRig(t *testing.T) *inputRig {
	pub, priv, _ := token.GenerateKey()
	r := &inputRig{closed: closes{}}
	c, err := core.New(core.Config{PublicKey: pub, Hunts: oneHunt{}})
	if err != nil {
		t.Fatal(err)
	}
	r.core = c
	owner := c.Register(r.closed)
	hello := func(player uint32) core.SessionID {
		id := c.Open(owner, 0)
		tok, _ := token.Mint(priv, player, 7, "", time.Now(), time.Hour)
		if err := c.Deliver(id, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text(tok)})); err != nil {
			t.Fatal(err)
		}
		c.Pull(id, nil)
		return id
	}
	r.id, r.neighb = hello(1), hello(2)
	return r
}

// neighbourUnhurt checks that the neighbour still gets a PONG.
func (r *inputRig) neighbourUnhurt(t *testing.T) {
	t.Helper()
	if err := r.core.Deliver(r.neighb, protocol.AppendPing(nil, &protocol.Ping{Time: 1})); err != nil {
		t.Fatalf("the neighbour was hurt: %v", err)
	}
	if ctrl, _, _ := r.core.Pull(r.neighb, nil); len(ctrl) == 0 || protocol.Type(ctrl[0]) != protocol.TypePong {
		t.Fatalf("the neighbour got no PONG: %x", ctrl)
	}
}

// FuzzStreamInput: arbitrary bytes on a session's stream, read the way
// readStream reads them. Every message protocol.ReadStreamMessage returns is whole and
// in order; a header over the limit comes alone, with ErrTooLarge, and
// the core closes the session message_too_large (bad_message for type
// 0x00, which SPEC.md checks first); the core never panics nor
// fails without a protocol code; the neighbour is unaffected.
func FuzzStreamInput(f *testing.F) {
	f.Add(append(protocol.AppendPing(nil, &protocol.Ping{Time: 1}), protocol.AppendClaim(nil, &protocol.Claim{Request: 1, Treasure: 2})...))
	f.Add(protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 523730796, Lng: 48924534}))
	f.Add([]byte{byte(protocol.TypeClaim), 0xff, 0xff})
	f.Add([]byte{0x3a, 0x02, 0x00, 1, 2, byte(protocol.TypePing), 0x08})
	f.Add([]byte{0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newInputRig(t)
		rd := bytes.NewReader(in)
		buf := make([]byte, protocol.MaxMessage)
		var consumed []byte
		for {
			if _, done := r.closed[r.id]; done {
				break // closed (a BYE, a fatal error): the core takes no more input
			}
			msg, err := protocol.ReadStreamMessage(rd, buf)
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break // the client went away
			}
			if n := int(msg[1]) | int(msg[2])<<8; errors.Is(err, protocol.ErrTooLarge) != (n > protocol.MaxBody) ||
				err == nil && len(msg) != protocol.HeaderSize+n || err != nil && len(msg) != protocol.HeaderSize {
				t.Fatalf("ReadStreamMessage: %d bytes announcing %d, err %v", len(msg), n, err)
			}
			consumed = append(consumed, msg...)
			if !bytes.Equal(consumed, in[:len(consumed)]) {
				t.Fatal("ReadStreamMessage lost or reordered bytes")
			}
			derr := r.core.Deliver(r.id, msg)
			if derr != nil && protocol.CodeOf(derr) == protocol.CodeInternal {
				t.Fatalf("error without a protocol code: %v", derr)
			}
			want := protocol.CodeMessageTooLarge
			if msg[0] == 0 {
				want = protocol.CodeBadMessage // SPEC.md §3: type 0x00 is checked first
			}
			if err != nil && (derr == nil || r.closed[r.id] != want) {
				t.Fatalf("an oversized message: core said %v, closed %v", derr, r.closed[r.id])
			}
		}
		r.neighbourUnhurt(t)
	})
}

// FuzzDatagramInput: an arbitrary datagram, checked and delivered the way
// readDatagrams does. Over 1,200 bytes it is refused message_too_large
// before the core sees it; otherwise the core answers with protocol codes
// only; the neighbour is unaffected.
func FuzzDatagramInput(f *testing.F) {
	f.Add(protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 523730796, Lng: 48924534}))
	f.Add(protocol.AppendPosition(protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 1}), &protocol.Position{Seq: 2, Lat: 950000000}))
	f.Add(make([]byte, protocol.MaxDatagram+1))
	f.Add([]byte{byte(protocol.TypePosition), 0x30})
	f.Fuzz(func(t *testing.T, d []byte) {
		r := newInputRig(t)
		code, ok := checkDatagram(d)
		if ok == (len(d) > protocol.MaxDatagram) || !ok && code != protocol.CodeMessageTooLarge {
			t.Fatalf("checkDatagram(%d bytes) = %v, %v", len(d), code, ok)
		}
		if ok {
			if err := r.core.DeliverUnordered(r.id, d); err != nil && protocol.CodeOf(err) == protocol.CodeInternal {
				t.Fatalf("error without a protocol code: %v", err)
			}
		}
		r.neighbourUnhurt(t)
	})
}
