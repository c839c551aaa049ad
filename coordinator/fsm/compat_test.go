package fsm

import (
	"bufio"
	"encoding/hex"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/protocol"
)

var writeV1 = flag.Bool("write-v1-log", false, "write testdata/v1.log (only when introducing version 1; never rewrite it)")

// TestReadsVersion1Log replays a log written by version 1 of every command
// (testdata/v1.log, frozen): a newer node must keep reading it.
func TestReadsVersion1Log(t *testing.T) {
	const path = "testdata/v1.log"
	if *writeV1 {
		writeV1Log(t, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := newHarness(t)
	var last any
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		last = h.apply(b)
		if err, ok := last.(error); ok && err != nil {
			t.Fatalf("entry %d: %v", h.index, err)
		}
	}
	outs, ok := last.([]Outcome)
	if !ok || len(outs) != 1 || outs[0].Code != protocol.OutcomeWon {
		t.Fatalf("last entry (a claim) gave %#v", last)
	}
	hu := h.hunt(1)
	if hu == nil || hu.State != Active || hu.Remaining != 2 || hu.Scores[9] != 100 {
		t.Fatalf("state after the v1 log: %+v", hu)
	}
	h.f.View(func(s *State) {
		if s.Nodes["c1"] != "127.0.0.1:8080" || s.Edges["e1"].Region != "eu" {
			t.Errorf("registries: %v %v", s.Nodes, s.Edges)
		}
	})
}

func writeV1Log(t *testing.T, path string) {
	h := newHarness(t)
	h.apply(&SetNode{ID: "c1", Addr: "127.0.0.1:8080"})
	h.apply(&RegisterEdge{Edge: Edge{ID: "e1", Region: "eu", URLs: []string{"wss://e1/ws"}, Since: 1}})
	id := h.create(spec(3), 7)
	h.transition(KindStartHunt, id)
	tr := h.anyTreasure(id)
	h.claim(Claim{Edge: "e1", Request: 1, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})
	var sb strings.Builder
	sb.WriteString("# Raft entries written by command version 1. Frozen: never regenerate.\n")
	for _, e := range h.log {
		sb.WriteString(hex.EncodeToString(e) + "\n")
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
