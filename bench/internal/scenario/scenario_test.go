package scenario

import (
	"strings"
	"testing"
)

func TestEveryScenarioDefaultsAreValid(t *testing.T) {
	for _, n := range Names {
		c := Defaults(n)
		if err := c.Validate(); err != nil {
			t.Errorf("%s defaults: %v", n, err)
		}
	}
}

func TestBadFlagsGiveClearErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string // the case
		scenario string
		args     []string
		want     string
	}{
		{"no players", "steady", []string{"-players", "0"}, "-players 0"},
		{"too many players", "steady", []string{"-players", "1000001"}, "want 1 … 1,000,000"},
		{"unknown transport", "steady", []string{"-transport", "tcp"}, "want ws (WebSocket) or wt"},
		{"unknown client", "steady", []string{"-client", "epoll"}, "want auto, uring or go"},
		{"rate over the edge limit", "steady", []string{"-rate", "50"}, "per-player limit"},
		{"negative rate", "steady", []string{"-rate", "-1"}, "-rate -1"},
		{"edge without scheme", "steady", []string{"-edge", "localhost:8090"}, "want the edge's base URL"},
		{"edge without host", "steady", []string{"-edge", "http://", "-coordinator", "http://c:1", "-admin-token", "x"}, "want the edge's base URL"},
		{"edge without coordinator", "steady", []string{"-edge", "http://127.0.0.1:8090"}, "needs -coordinator and -admin-token"},
		{"edge-args with edge", "steady", []string{"-edge", "http://e:1", "-coordinator", "http://c:1", "-admin-token", "x", "-edge-args", "-tick-hz=5"}, "-edge-args applies to an edge this tool starts"},
		{"hotspot share without hotspots", "steady", []string{"-hotspots", "0", "-hotspot-share", "0.5"}, "some -hotspots"},
		{"hotspot share over one", "steady", []string{"-hotspot-share", "1.5"}, "-hotspot-share 1.5"},
		{"too many hotspots", "steady", []string{"-hotspots", "1001"}, "-hotspots 1001"},
		{"zero duration", "steady", []string{"-duration", "0s"}, "must be positive"},
		{"duration over a day", "steady", []string{"-duration", "25h"}, "want 0 … 24h"},
		{"zero ramp", "steady", []string{"-ramp", "0"}, "-ramp 0"},
		{"tiny city", "steady", []string{"-city-km", "0.01"}, "-city-km 0.01"},
		{"too many workers", "steady", []string{"-workers", "65"}, "-workers 65"},
		{"no sources", "steady", []string{"-sources", "0"}, "-sources 0"},
		{"kill after the run", "failover", []string{"-kill-after", "1m"}, "must fall inside"},
		{"failover against a running edge", "failover", []string{"-edge", "http://e:1", "-coordinator", "http://c:1", "-admin-token", "x"}, "only against a system this tool starts"},
		{"hunt-status without rate", "hunt-status", []string{"-status-rate", "0"}, "positive -status-rate"},
		{"status rate too high", "steady", []string{"-status-rate", "100001"}, "-status-rate 100001"},
		{"flag without value", "steady", []string{"-players"}, "flag needs an argument"},
		{"stray argument", "steady", []string{"stray"}, `unexpected argument "stray"`},
		{"negative hunt", "steady", []string{"-hunt", "-3"}, "positive hunt id"},
		{"zero hunt", "steady", []string{"-hunt", "0"}, "positive hunt id"},
		{"unknown scenario", "nonsense", nil, `unknown scenario "nonsense"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.scenario, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %v: error %v, want one mentioning %q", tc.scenario, tc.args, err, tc.want)
			}
		})
	}
}

// Every fault is reported at once, not only the first.
func TestValidateReportsEveryFault(t *testing.T) {
	_, err := Parse("steady", []string{"-players", "0", "-transport", "tcp", "-sources", "0"})
	for _, want := range []string{"-players 0", "-transport \"tcp\"", "-sources 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

// Settings at the edges of their ranges, and those one scenario allows,
// are accepted.
func TestGoodFlagsAreAccepted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario string
		args     []string
	}{
		{"connect-storm with no measured phase", "connect-storm", []string{"-duration", "0s"}},
		{"https edge with its coordinator", "steady", []string{"-edge", "https://e.example:443", "-coordinator", "https://c.example", "-admin-token", "x"}},
		{"rate at the limit", "steady", []string{"-rate", "5"}},
		{"idle players", "steady", []string{"-rate", "0"}},
		{"everyone at hotspots", "steady", []string{"-hotspot-share", "1"}},
		{"a given hunt", "steady", []string{"-hunt", "12"}},
		{"WebTransport", "claim-storm", []string{"-transport", "wt"}},
		{"the Go client", "steady", []string{"-client", "go"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.scenario, tc.args); err != nil {
				t.Errorf("%s %v: %v", tc.scenario, tc.args, err)
			}
		})
	}
}

func TestParseKeepsDefaultsAndOverrides(t *testing.T) {
	c, err := Parse("steady", []string{"-players", "300", "-edge-args", "-transport=uring -tick-hz=20"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Players != 300 || c.Rate != Defaults("steady").Rate || len(c.EdgeArgs) != 2 || c.EdgeArgs[0] != "-transport=uring" {
		t.Fatalf("parsed %+v", c)
	}
}

func TestSplitCoversEveryPlayerOnce(t *testing.T) {
	for _, tc := range []struct {
		name             string
		players, workers int
	}{
		{"uneven", 10, 3},
		{"one worker", 15000, 1},
		{"more workers than players", 3, 5},
		{"one left over", 40001, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, count := Split(tc.players, tc.workers)
			if len(first) != tc.workers || len(count) != tc.workers {
				t.Fatalf("%d workers given, %d/%d shares", tc.workers, len(first), len(count))
			}
			next := 0
			for i := range first {
				if first[i] != next {
					t.Fatalf("worker %d starts at %d, want %d", i, first[i], next)
				}
				if d := count[i] - count[0]; d < -1 || d > 1 {
					t.Fatalf("uneven split %v", count)
				}
				next += count[i]
			}
			if next != tc.players {
				t.Fatalf("%d players split, want %d", next, tc.players)
			}
		})
	}
}

func TestWorkersFor(t *testing.T) {
	if n, err := WorkersFor(15000, 20000, 1000); err != nil || n != 1 {
		t.Fatalf("15,000 under 20,000: %d %v", n, err)
	}
	if n, err := WorkersFor(40000, 20000, 1000); err != nil || n != 3 {
		t.Fatalf("40,000 under 20,000: %d %v", n, err)
	}
	if _, err := WorkersFor(10, 100, 200); err == nil {
		t.Fatal("no room left, no error")
	}
}
