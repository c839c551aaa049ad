package fsm

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// TestCloneSharesNothing walks a busy state and its clone side by side: no
// map, slice or pointer of the clone may be the original's, or Apply would
// race with a snapshot being encoded. A field added to the state without a
// copy in clone.go fails here.
func TestCloneSharesNothing(t *testing.T) {
	h := newHarness(t)
	randomWorkload(h, rand.New(rand.NewPCG(5, 6)), 300)
	h.apply(&RegisterEdge{Edge: Edge{ID: "e1", URLs: []string{"ws://a"}}})
	h.apply(&SetNode{ID: "c1", Addr: "127.0.0.1:1"})
	h.f.mu.Lock()
	h.f.s.Hunts[1].Spec.Area.Holes = [][]geo.Point{{{Lat: 1, Lng: 2}}}
	orig := h.f.s
	c := orig.clone()
	h.f.mu.Unlock()
	if !bytes.Equal(encodeState(orig), encodeState(c)) {
		t.Fatal("the clone encodes differently")
	}
	var visited int
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Map:
			if !a.IsNil() && a.Pointer() == b.Pointer() {
				t.Errorf("%s: the clone shares the map", path)
			}
			visited++
			for _, k := range a.MapKeys() {
				walk(fmt.Sprintf("%s[%v]", path, k), a.MapIndex(k), b.MapIndex(k))
			}
		case reflect.Slice:
			if a.Cap() > 0 && a.Pointer() == b.Pointer() {
				t.Errorf("%s: the clone shares the slice", path)
			}
			visited++
			for i := range min(a.Len(), b.Len()) {
				walk(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
			}
		case reflect.Pointer:
			if !a.IsNil() && a.Pointer() == b.Pointer() {
				t.Errorf("%s: the clone shares the pointer", path)
			}
			if !a.IsNil() {
				walk(path, a.Elem(), b.Elem())
			}
		case reflect.Struct:
			for i := range a.NumField() {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	}
	walk("State", reflect.ValueOf(orig), reflect.ValueOf(c))
	if visited < 10 {
		t.Fatalf("walked only %d maps and slices", visited)
	}
}

// TestEncodingDoesNotBlockApply holds the encoder of a digest, and of a
// snapshot being persisted, and shows that a claim is applied meanwhile;
// the digest and the snapshot still show the state as it was captured.
// (Issue 12 item 14: a digest of a large state held claims for seconds.)
func TestEncodingDoesNotBlockApply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		encode func(f *FSM) []byte // returns what was encoded
	}{
		{"digest", func(f *FSM) []byte {
			_, sum := f.Digest()
			return sum[:]
		}},
		{"snapshot", func(f *FSM) []byte {
			snap, err := f.Snapshot()
			if err != nil {
				panic(err)
			}
			sink := &memSink{}
			if err := snap.Persist(sink); err != nil {
				panic(err)
			}
			return sink.Bytes()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			id := h.create(spec(50), 1)
			if err := h.transition(KindStartHunt, id); err != nil {
				t.Fatal(err)
			}
			tr := h.anyTreasure(id)
			before := h.f.Encode()
			want := before
			if tc.name == "digest" {
				sum := sha256.Sum256(before)
				want = sum[:]
			}
			entered, release := make(chan struct{}), make(chan struct{})
			testHookEncode = func() {
				close(entered)
				<-release
			}
			t.Cleanup(func() { testHookEncode = nil })
			got := make(chan []byte)
			go func() { got <- tc.encode(h.f) }()
			<-entered // the encoder is running and will not finish until released

			applied := make(chan []Outcome)
			data, err := Encode(&Claims{Time: 5, Seed: 5, Claims: []Claim{{Edge: "e", Request: 1, Hunt: id, Treasure: tr.ID, Player: 7, Cell: tr.Cell}}})
			if err != nil {
				t.Fatal(err)
			}
			go func() { applied <- h.f.Apply(&raft.Log{Index: 100, Type: raft.LogCommand, Data: data}).([]Outcome) }()
			select {
			case outs := <-applied:
				if outs[0].Code != protocol.OutcomeWon {
					t.Errorf("claim during %s: outcome %d, want won", tc.name, outs[0].Code)
				}
			case <-time.After(10 * time.Second): // failure detector only: passing never waits
				close(release)
				<-got
				<-applied
				t.Fatalf("Apply waited for the %s's encoder", tc.name)
			}
			testHookEncode = nil
			close(release)
			if b := <-got; !bytes.Equal(b, want) {
				t.Errorf("the %s is not of the state captured before the claim", tc.name)
			}
			if bytes.Equal(h.f.Encode(), before) {
				t.Error("the claim changed nothing")
			}
		})
	}
}

// largeState is a hunt of 20,000 treasures with n players' scores and n
// remembered claim outcomes (at most MaxClaimRecords are kept).
func largeState(b *testing.B, n int) *FSM {
	h := newHarness(b)
	id := h.create(HuntSpec{Name: "big", Area: square, Resolution: 13, Treasures: 20_000, ClaimRadius: 1}, 1)
	hunt := h.f.s.Hunts[id]
	for i := range n {
		h.f.s.Claims.add(ClaimID{Hunt: id, Player: uint32(i), Request: uint32(i)}, Outcome{Code: protocol.OutcomeTooFar, Treasure: uint32(i), Index: uint64(i)})
		hunt.Scores[uint32(i)] = uint32(i)
	}
	return h.f
}

// BenchmarkDigest compares the time Apply is held out (capture: the copy
// under the read lock) with the whole digest (copy, encode, hash), for a
// state of a million players (only the last MaxClaimRecords claims are kept).
func BenchmarkDigest(b *testing.B) {
	f := largeState(b, 1_000_000)
	b.Run("capture", func(b *testing.B) {
		for b.Loop() {
			f.capture()
		}
	})
	b.Run("digest", func(b *testing.B) {
		for b.Loop() {
			f.Digest()
		}
	})
}
