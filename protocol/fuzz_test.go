package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

// Every decoder has a fuzz target. Each checks that decoding never panics,
// that a failure is a typed *Error, and that a decoded message is stable:
// decode → encode → decode gives the same message and the same bytes.

func fuzzDecoder(f *testing.F, t Type) {
	for _, m := range samples() {
		if m.Type() == t {
			_, body, _, _ := Split(m.AppendTo(nil))
			f.Add(body)
			f.Add(body[:len(body)/2])
			f.Add(append(bytes.Clone(body), 0xff, 0xfe))
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(tt *testing.T, body []byte) {
		checkStable(tt, t, body)
	})
}

func checkStable(t *testing.T, typ Type, body []byte) {
	m := NewMessage(typ)
	if err := m.Decode(body); err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%v: untyped error %v", typ, err)
		}
		return
	}
	enc := m.AppendTo(nil)
	if len(enc) > MaxMessage {
		t.Fatalf("%v: re-encoded to %d bytes", typ, len(enc))
	}
	gotType, body2, rest, err := Split(enc)
	if err != nil || gotType != typ || len(rest) != 0 {
		t.Fatalf("%v: re-encoded message does not split: %v", typ, err)
	}
	m2 := NewMessage(typ)
	if err := m2.Decode(body2); err != nil {
		t.Fatalf("%v: re-encoded message does not decode: %v", typ, err)
	}
	if !reflect.DeepEqual(normalise(m), normalise(m2)) {
		t.Fatalf("%v: unstable: %+v then %+v", typ, m, m2)
	}
	if enc2 := m2.AppendTo(nil); !bytes.Equal(enc, enc2) {
		t.Fatalf("%v: re-encoding changed bytes:\n%x\n%x", typ, enc, enc2)
	}
}

// normalise maps empty lists and byte strings to nil so that a nil and an
// empty decoded slice compare equal.
func normalise(m Message) Message {
	switch m := m.(type) {
	case *Hello:
		if len(m.Token) == 0 {
			m.Token = nil
		}
	case *Token:
		if len(m.Token) == 0 {
			m.Token = nil
		}
	case *ErrorMessage:
		if len(m.Text) == 0 {
			m.Text = nil
		}
	case *Redirect:
		if len(m.URL) == 0 {
			m.URL = nil
		}
	case *CellUpdate:
		if len(m.Entries) == 0 {
			m.Entries = nil
		}
	case *Treasures:
		if len(m.Treasures) == 0 {
			m.Treasures = nil
		}
	case *HuntStatus:
		if len(m.Leaders) == 0 {
			m.Leaders = nil
		}
	case *FineCell:
		if len(m.Entries) == 0 {
			m.Entries = nil
		}
	case *CellSummary:
		if len(m.Children) == 0 {
			m.Children = nil
		}
	}
	return m
}

func FuzzHello(f *testing.F)       { fuzzDecoder(f, TypeHello) }
func FuzzPosition(f *testing.F)    { fuzzDecoder(f, TypePosition) }
func FuzzClaim(f *testing.F)       { fuzzDecoder(f, TypeClaim) }
func FuzzPing(f *testing.F)        { fuzzDecoder(f, TypePing) }
func FuzzBye(f *testing.F)         { fuzzDecoder(f, TypeBye) }
func FuzzToken(f *testing.F)       { fuzzDecoder(f, TypeToken) }
func FuzzWelcome(f *testing.F)     { fuzzDecoder(f, TypeWelcome) }
func FuzzCellUpdate(f *testing.F)  { fuzzDecoder(f, TypeCellUpdate) }
func FuzzTreasures(f *testing.F)   { fuzzDecoder(f, TypeTreasures) }
func FuzzHint(f *testing.F)        { fuzzDecoder(f, TypeHint) }
func FuzzClaimResult(f *testing.F) { fuzzDecoder(f, TypeClaimResult) }
func FuzzEvent(f *testing.F)       { fuzzDecoder(f, TypeEvent) }
func FuzzHuntStatus(f *testing.F)  { fuzzDecoder(f, TypeHuntStatus) }
func FuzzError(f *testing.F)       { fuzzDecoder(f, TypeError) }
func FuzzRedirect(f *testing.F)    { fuzzDecoder(f, TypeRedirect) }
func FuzzPong(f *testing.F)        { fuzzDecoder(f, TypePong) }
func FuzzCellSummary(f *testing.F) { fuzzDecoder(f, TypeCellSummary) }
func FuzzTickRate(f *testing.F)    { fuzzDecoder(f, TypeTickRate) }
func FuzzFineCell(f *testing.F)    { fuzzDecoder(f, TypeFineCell) }

// FuzzFrame feeds whole frames through Split and every decoder, seeded with
// the golden vectors.
func FuzzFrame(f *testing.F) {
	for _, v := range loadGolden(f).Vectors {
		b, _ := hex.DecodeString(v.Hex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		for len(frame) > 0 {
			typ, body, rest, err := Split(frame)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			if len(rest) >= len(frame) {
				t.Fatal("Split made no progress")
			}
			if NewMessage(typ) != nil {
				checkStable(t, typ, body)
			}
			frame = rest
		}
	})
}
