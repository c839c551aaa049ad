package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// samples returns one filled message of every type.
func samples() []Message {
	return []Message{
		&Hello{Version: Version, Kind: KindMobile, Hunt: 9, Token: Text("a.b.c")},
		&Position{Seq: 3, Lat: -123456789, Lng: 987654321, Accuracy: 120, Time: 1 << 50},
		&Claim{Request: 77, Treasure: 1 << 31},
		&Ping{Time: 12345},
		&Bye{Code: CodeShuttingDown},
		&Token{Token: Text("d.e.f")},
		&Welcome{Player: 1, Hunt: 2, Resolution: 9, TickHz: 20, Radius: 2, Time: 99},
		&CellUpdate{Cell: 0x8928308280fffff, Tick: 5, Flags: FlagSnapshot, Entries: []CellEntry{
			{Op: OpEntered, Player: 1, Lat: 10, Lng: -10, Stamp: 1},
			{Op: OpLeft, Player: 2, Lat: 20, Lng: -20, Stamp: 2}}},
		&Treasures{Flags: 0, Treasures: []TreasureEntry{{Treasure: 3, Lat: 1, Lng: 2, Points: 50, State: TreasureHidden}}},
		&Hint{Band: 6, Bearing: 35999},
		&ClaimResult{Request: 77, Treasure: 3, Outcome: OutcomeTooFar},
		&Event{Kind: EventHuntEnded, Hunt: 2, Time: 1000},
		&HuntStatus{Hunt: 2, State: HuntEnded, Total: 10, Leaders: []Leader{{Player: 1, Score: 5}}},
		&ErrorMessage{Code: CodeRateLimited, Text: Text("slow down")},
		&Redirect{Code: CodeRedirect, URL: Text("wss://b/ws")},
		&Pong{Echo: 1, Time: 2},
		&CellSummary{Cell: 0x8928308280fffff, Tick: 7, Count: 4000, Lat: 523730796, Lng: 48924534, Children: []SummaryChild{
			{Cell: 0x8a2830828007fff, Count: 3000, Lat: 523730000, Lng: 48920000},
			{Cell: 0x8a283082800ffff, Count: 1000, Lat: -1, Lng: 1}}},
		&TickRate{TickHz: 5, Reason: TickRateOverload},
		&FineCell{Cell: 0x8c1969c9b3905ff, Tick: 9, Flags: FlagSnapshot, Lat: 523730796, Lng: 48924534, Stamp: 77,
			Entries: []FineEntry{{Player: 1, DLat: -128, DLng: 127}, {Player: 2}}},
	}
}

func TestRoundTripEveryType(t *testing.T) {
	seen := map[Type]bool{}
	for _, m := range samples() {
		seen[m.Type()] = true
		frame := m.AppendTo(nil)
		typ, body, rest, err := Split(frame)
		if err != nil || typ != m.Type() || len(rest) != 0 {
			t.Fatalf("%v: Split = %v, %v, rest %d", m.Type(), typ, err, len(rest))
		}
		got, err := DecodeMessage(typ, body)
		if err != nil {
			t.Fatalf("%v: %v", m.Type(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%v: round trip gave %+v, want %+v", m.Type(), got, m)
		}
	}
	for n := range typeNames {
		if !seen[n] {
			t.Errorf("no sample of %v", n)
		}
	}
}

func TestEncoderCutsOverLimits(t *testing.T) {
	long := bytes.Repeat([]byte("x"), MaxToken+100)
	cases := []struct {
		m    Message
		want int // body length after encoding
	}{
		{&Hello{Token: long}, helloFixed + MaxToken},
		{&Token{Token: long}, 2 + MaxToken},
		{&ErrorMessage{Text: long}, 4 + MaxText},
		{&Redirect{URL: long}, 4 + MaxURL},
		{&CellUpdate{Entries: make([]CellEntry, MaxCellEntries+5)}, cellUpdateFixed + MaxCellEntries*CellEntrySize},
		{&Treasures{Treasures: make([]TreasureEntry, MaxTreasures+1)}, 3 + MaxTreasures*TreasureEntrySize},
		{&HuntStatus{Leaders: make([]Leader, MaxLeaders+3)}, huntStatusFixed + MaxLeaders*LeaderEntrySize},
	}
	for _, c := range cases {
		frame := c.m.AppendTo(nil)
		if len(frame) > MaxMessage {
			t.Errorf("%v: %d bytes exceeds MaxMessage", c.m.Type(), len(frame))
		}
		_, body, _, err := Split(frame)
		if err != nil || len(body) != c.want {
			t.Errorf("%v: body %d bytes (err %v), want %d", c.m.Type(), len(body), err, c.want)
		}
		if _, err := DecodeMessage(c.m.Type(), body); err != nil {
			t.Errorf("%v: the cut message does not decode: %v", c.m.Type(), err)
		}
	}
}

func TestCellUpdateDatagramFit(t *testing.T) {
	build := func(n int) []byte {
		b, start := BeginCellUpdate(nil, 1, 1, 0)
		for range n {
			b = AppendCellEntry(b, &CellEntry{Op: OpMoved})
		}
		if got := CellEntries(b, start); got != n {
			t.Fatalf("CellEntries = %d, want %d", got, n)
		}
		return EndCellUpdate(b, start)
	}
	if n := len(build(MaxDatagramCellEntries)); n > MaxDatagram {
		t.Errorf("%d entries take %d bytes, more than a datagram", MaxDatagramCellEntries, n)
	}
	if n := len(build(MaxDatagramCellEntries + 1)); n <= MaxDatagram {
		t.Errorf("MaxDatagramCellEntries is not the maximum: one more still fits (%d bytes)", n)
	}
}

func TestBuilderAppendsAfterExistingBytes(t *testing.T) {
	frame := AppendPing(nil, &Ping{Time: 1})
	frame, start := BeginCellUpdate(frame, 42, 7, FlagContinued)
	frame = AppendCellEntry(frame, &CellEntry{Op: OpMoved, Player: 9, Lat: 1, Lng: 2, Stamp: 3})
	frame = EndCellUpdate(frame, start)
	got, err := decodeFrame(frame)
	if err != nil || len(got) != 2 {
		t.Fatalf("decodeFrame = %v, %v", got, err)
	}
	cu := got[1].(*CellUpdate)
	if cu.Cell != 42 || cu.Tick != 7 || cu.Flags != FlagContinued || len(cu.Entries) != 1 || cu.Entries[0].Player != 9 {
		t.Errorf("decoded %+v", cu)
	}
}

func TestDecodeShortBodies(t *testing.T) {
	for _, m := range samples() {
		frame := m.AppendTo(nil)
		_, body, _, _ := Split(frame)
		for n := range len(body) {
			err := NewMessage(m.Type()).Decode(body[:n])
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%v cut to %d of %d bytes: err = %v, want ErrTruncated", m.Type(), n, len(body), err)
			}
		}
	}
}

func TestCodes(t *testing.T) {
	if CodeOf(nil) != CodeNormal || CodeOf(ErrTooLarge) != CodeMessageTooLarge ||
		CodeOf(errors.New("x")) != CodeInternal {
		t.Error("CodeOf does not map errors to codes")
	}
	wrapped := errors.Join(errors.New("reading frame"), ErrTruncated)
	if CodeOf(wrapped) != CodeBadMessage {
		t.Errorf("CodeOf(wrapped) = %v", CodeOf(wrapped))
	}
	if CodeRateLimited.Fatal() || !CodeUnauthorized.Fatal() || !Code(999).Fatal() {
		t.Error("fatal flags wrong")
	}
	if CodeTooSlow.WebSocketCloseCode() != 4008 || CodeInvalidPosition.String() != "invalid_position" {
		t.Error("code naming wrong")
	}
	if !strings.Contains(Type(0x99).String(), "0x99") || TypeCellUpdate.String() != "CELL_UPDATE" {
		t.Error("type naming wrong")
	}
	if !TypeHello.FromClient() || TypeHello.FromEdge() || !TypePong.FromEdge() {
		t.Error("direction ranges wrong")
	}
}

func TestCellText(t *testing.T) {
	var c Cell
	if err := c.UnmarshalText([]byte("8928308280fffff")); err != nil || c != 0x8928308280fffff {
		t.Fatalf("UnmarshalText = %x, %v", uint64(c), err)
	}
	if c.String() != "8928308280fffff" {
		t.Errorf("String = %s", c)
	}
	if err := c.UnmarshalText([]byte("zz")); CodeOf(err) != CodeBadMessage {
		t.Errorf("bad cell text: err = %v", err)
	}
}
