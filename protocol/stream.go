package protocol

import "io"

// ReadStreamMessage reads one message from a WebTransport stream (SPEC.md
// §3: each message is length-prefixed by its own header, so a stream needs
// no other framing) into buf, which must hold MaxMessage bytes, and returns
// it (aliasing buf). A header announcing a body over MaxBody is returned
// alone with ErrTooLarge, before any of the body is read.
func ReadStreamMessage(r io.Reader, buf []byte) ([]byte, error) {
	if _, err := io.ReadFull(r, buf[:HeaderSize]); err != nil {
		return nil, err
	}
	n := int(buf[1]) | int(buf[2])<<8
	if n > MaxBody {
		return buf[:HeaderSize], ErrTooLarge
	}
	if _, err := io.ReadFull(r, buf[HeaderSize:HeaderSize+n]); err != nil {
		return nil, err
	}
	return buf[:HeaderSize+n], nil
}
