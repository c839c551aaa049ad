package protocol

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestReadStreamMessage: messages come off a stream whole and in order; a
// header announcing more than MaxBody comes back alone with ErrTooLarge
// before its body is read; a stream cut inside a message is an error.
func TestReadStreamMessage(t *testing.T) {
	var stream []byte
	stream = AppendPing(stream, &Ping{Time: 1})
	stream = AppendClaim(stream, &Claim{Request: 2, Treasure: 3})
	stream = append(stream, byte(TypeHello), 0xff, 0xff, 'x') // 65535 bytes announced
	r := bytes.NewReader(stream)
	buf := make([]byte, MaxMessage)
	for _, want := range []Type{TypePing, TypeClaim} {
		msg, err := ReadStreamMessage(r, buf)
		if err != nil || Type(msg[0]) != want {
			t.Fatalf("got %x, %v; want a whole %v", msg, err, want)
		}
		if _, _, rest, err := Split(msg); err != nil || len(rest) != 0 {
			t.Fatalf("%v is not one whole message: %v, %d bytes after it", want, err, len(rest))
		}
	}
	msg, err := ReadStreamMessage(r, buf)
	if !errors.Is(err, ErrTooLarge) || len(msg) != HeaderSize || r.Len() != 1 {
		t.Fatalf("oversized: %x, %v, %d bytes left unread; want the header alone and ErrTooLarge", msg, err, r.Len())
	}
	cut := AppendPing(nil, &Ping{Time: 4})
	if _, err := ReadStreamMessage(bytes.NewReader(cut[:len(cut)-1]), buf); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a cut message: %v, want io.ErrUnexpectedEOF", err)
	}
}
