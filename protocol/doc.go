// Package protocol implements Veltrix wire protocol v1, the binary format spoken
// between clients (browsers, phones, the load generator) and edges.
//
// SPEC.md in this directory is normative; this package and the JavaScript codec
// in js/ both follow it and are checked against the golden vectors in
// testdata/golden.json.
//
// Every message is a 3-byte header (type, little-endian body length) and a body.
// Encoders are append-style (AppendPosition(dst, &m) returns dst with the
// message appended) and decoders fill caller-owned structs, reusing their slices,
// so the hot messages (POSITION, CELL_UPDATE, PING) encode and decode without
// allocating. Byte-string fields (tokens, texts, URLs) returned by a decoder alias
// the input buffer and are valid only as long as it is.
//
// A frame (a WebSocket payload, a WebTransport datagram or a chunk of a stream)
// holds one or more messages; Split takes them apart one by one:
//
//	for len(frame) > 0 {
//		t, body, rest, err := protocol.Split(frame)
//		if err != nil {
//			return err // a *protocol.Error carrying the close code
//		}
//		switch t {
//		case protocol.TypePosition:
//			if err := pos.Decode(body); err != nil {
//				return err
//			}
//		}
//		frame = rest
//	}
package protocol
