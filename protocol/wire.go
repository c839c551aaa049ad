package protocol

import (
	"encoding/binary"
	"strconv"
)

var le = binary.LittleEndian

// Split returns the type and body of the first message in frame and the bytes
// after it. Messages of unknown type are returned like any other (their body
// is opaque); the caller skips them, which is how new types stay compatible.
// The returned slices alias frame.
func Split(frame []byte) (t Type, body, rest []byte, err error) {
	if len(frame) < HeaderSize {
		return 0, nil, nil, ErrTruncated
	}
	t = Type(frame[0])
	if t == 0 {
		return 0, nil, nil, ErrMalformed
	}
	n := int(le.Uint16(frame[1:]))
	if n > MaxBody {
		return 0, nil, nil, ErrTooLarge
	}
	if len(frame)-HeaderSize < n {
		return 0, nil, nil, ErrTruncated
	}
	end := HeaderSize + n
	return t, frame[HeaderSize:end:end], frame[end:], nil
}

// appendHeader appends a message header announcing a body of n bytes.
func appendHeader(dst []byte, t Type, n int) []byte {
	return append(dst, byte(t), byte(n), byte(n>>8))
}

// patchLength rewrites the length of the message that starts at dst[start:].
func patchLength(dst []byte, start int) {
	le.PutUint16(dst[start+1:], uint16(len(dst)-start-HeaderSize))
}

func appendU16(dst []byte, v uint16) []byte { return le.AppendUint16(dst, v) }
func appendU32(dst []byte, v uint32) []byte { return le.AppendUint32(dst, v) }
func appendI32(dst []byte, v int32) []byte  { return le.AppendUint32(dst, uint32(v)) }
func appendU64(dst []byte, v uint64) []byte { return le.AppendUint64(dst, v) }

// appendBytes16 appends a u16 length and b, cut to max bytes.
func appendBytes16(dst []byte, b []byte, max int) []byte {
	if len(b) > max {
		b = b[:max]
	}
	return append(appendU16(dst, uint16(len(b))), b...)
}

// readBytes16 reads a u16-prefixed byte string at b[off:] of at most max bytes.
// It returns the string (aliasing b) and the offset after it.
func readBytes16(b []byte, off, max int) ([]byte, int, error) {
	if len(b)-off < 2 {
		return nil, 0, ErrTruncated
	}
	n := int(le.Uint16(b[off:]))
	off += 2
	if n > max {
		return nil, 0, ErrTooLarge
	}
	if len(b)-off < n {
		return nil, 0, ErrTruncated
	}
	return b[off : off+n : off+n], off + n, nil
}

// readCount reads a count of entries of size each at b[off:] (a u8 or u16
// count as wide says) and checks it against max and the bytes left.
func readCount(b []byte, off, wide, size, max int) (int, int, error) {
	var n int
	if wide == 1 {
		n = int(b[off])
	} else {
		n = int(le.Uint16(b[off:]))
	}
	off += wide
	if n > max {
		return 0, 0, ErrTooLarge
	}
	if (len(b)-off)/size < n {
		return 0, 0, ErrTruncated
	}
	return n, off, nil
}

// Cell is an H3 cell index as carried on the wire. Its text form is the
// canonical lower-case hexadecimal H3 string.
type Cell uint64

// String returns the canonical H3 hexadecimal form of c.
func (c Cell) String() string { return strconv.FormatUint(uint64(c), 16) }

// MarshalText implements encoding.TextMarshaler.
func (c Cell) MarshalText() ([]byte, error) {
	return strconv.AppendUint(nil, uint64(c), 16), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Cell) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil {
		return &Error{Code: CodeBadMessage, Kind: "malformed", Msg: "invalid cell " + strconv.Quote(string(b))}
	}
	*c = Cell(v)
	return nil
}

// Text is a byte string field (token, error text, URL). Decoded Text aliases
// the decoder's input; its JSON form is a plain string.
type Text []byte

// MarshalText implements encoding.TextMarshaler.
func (t Text) MarshalText() ([]byte, error) { return t, nil }

// UnmarshalText implements encoding.TextUnmarshaler; it copies b.
func (t *Text) UnmarshalText(b []byte) error {
	*t = append((*t)[:0], b...)
	return nil
}
