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

var (
	writeV1 = flag.Bool("write-v1-log", false, "write testdata/v1.log (only when introducing version 1; never rewrite it)")
	writeV2 = flag.Bool("write-v2-log", false, "write testdata/v2.log (only when introducing version 2; never rewrite it)")
)

// TestReadsVersion1Log replays a log written by version 1 of every command
// (testdata/v1.log, frozen): a newer node must keep reading it.
func TestReadsVersion1Log(t *testing.T) {
	const path = "testdata/v1.log"
	if *writeV1 {
		writeV1Log(t, path)
	}
	h, last := replayLog(t, path)
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

// replayLog applies every entry of a frozen log (hex, one per line) and
// returns the harness and the last entry's response.
func replayLog(t *testing.T, path string) (*harness, any) {
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
	return h, last
}

// TestReadsVersion2Log replays a log of version 2 (testdata/v2.log,
// frozen): a hunt's home region set and moved (SetHome), and a claim
// retried through another edge, recognised by (hunt, player, request).
func TestReadsVersion2Log(t *testing.T) {
	const path = "testdata/v2.log"
	if *writeV2 {
		writeV2Log(t, path)
	}
	h, last := replayLog(t, path)
	outs, ok := last.([]Outcome)
	if !ok || len(outs) != 1 || outs[0].Code != protocol.OutcomeWon || outs[0].Score != 100 {
		t.Fatalf("last entry (the claim retried through edge e2) gave %#v", last)
	}
	hu := h.hunt(1)
	if hu == nil || hu.Home != "us-east" || hu.Remaining != 2 || hu.Scores[9] != 100 {
		t.Fatalf("state after the v2 log: %+v", hu)
	}
	var homes []string
	h.f.View(func(s *State) {
		for _, e := range s.Events.Window() {
			if e.Kind == EventHuntHomed {
				homes = append(homes, e.Region)
			}
		}
	})
	if strings.Join(homes, ",") != "eu-west,us-east" {
		t.Errorf("home events: %q", homes)
	}
}

func writeV2Log(t *testing.T, path string) {
	h := newHarness(t)
	h.apply(&RegisterEdge{Edge: Edge{ID: "e1", Region: "eu-west", URLs: []string{"wss://e1/ws"}, Since: 1}})
	id := h.create(spec(3), 7)
	h.apply(&SetHome{Hunt: id, Region: "eu-west", Time: 2})
	h.transition(KindStartHunt, id)
	tr := h.anyTreasure(id)
	h.claim(Claim{Edge: "e1", Request: 5, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})
	h.apply(&SetHome{Hunt: id, Region: "us-east", Time: 3})
	h.claim(Claim{Edge: "e2", Request: 5, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})
	writeLog(t, path, "# Raft entries written by command version 2 (SetHome; claims keyed by hunt, player, request). Frozen: never regenerate.\n", h.log)
}

func writeLog(t *testing.T, path, header string, entries [][]byte) {
	var sb strings.Builder
	sb.WriteString(header)
	for _, e := range entries {
		sb.WriteString(hex.EncodeToString(e) + "\n")
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeV1Log(t *testing.T, path string) {
	h := newHarness(t)
	h.apply(&SetNode{ID: "c1", Addr: "127.0.0.1:8080"})
	h.apply(&RegisterEdge{Edge: Edge{ID: "e1", Region: "eu", URLs: []string{"wss://e1/ws"}, Since: 1}})
	id := h.create(spec(3), 7)
	h.transition(KindStartHunt, id)
	tr := h.anyTreasure(id)
	h.claim(Claim{Edge: "e1", Request: 1, Hunt: id, Treasure: tr.ID, Player: 9, Cell: tr.Cell})
	writeLog(t, path, "# Raft entries written by command version 1. Frozen: never regenerate.\n", h.log)
}
