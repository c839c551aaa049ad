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
		name string
		args []string
		want string
	}{
		{"steady", []string{"-players", "0"}, "-players 0"},
		{"steady", []string{"-transport", "tcp"}, "want ws (WebSocket) or wt"},
		{"steady", []string{"-rate", "50"}, "per-player limit"},
		{"steady", []string{"-edge", "localhost:8090"}, "want the edge's base URL"},
		{"steady", []string{"-edge", "http://127.0.0.1:8090"}, "needs -coordinator and -admin-token"},
		{"steady", []string{"-hotspots", "0", "-hotspot-share", "0.5"}, "some -hotspots"},
		{"steady", []string{"-duration", "0s"}, "must be positive"},
		{"failover", []string{"-kill-after", "1m"}, "must fall inside"},
		{"failover", []string{"-edge", "http://e:1", "-coordinator", "http://c:1", "-admin-token", "x"}, "only against a system this tool starts"},
		{"hunt-status", []string{"-status-rate", "0"}, "positive -status-rate"},
		{"steady", []string{"-players"}, "flag needs an argument"},
		{"steady", []string{"stray"}, `unexpected argument "stray"`},
		{"steady", []string{"-hunt", "-3"}, "positive hunt id"},
		{"nonsense", nil, `unknown scenario "nonsense"`},
	} {
		_, err := Parse(tc.name, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want one mentioning %q", tc.name, tc.args, err, tc.want)
		}
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
	for _, tc := range [][2]int{{10, 3}, {15000, 1}, {3, 5}, {40001, 4}} {
		first, count := Split(tc[0], tc[1])
		next, total := 0, 0
		for i := range first {
			if first[i] != next {
				t.Fatalf("%v: worker %d starts at %d, want %d", tc, i, first[i], next)
			}
			if d := count[i] - count[0]; d < -1 || d > 1 {
				t.Fatalf("%v: uneven split %v", tc, count)
			}
			next += count[i]
			total += count[i]
		}
		if total != tc[0] {
			t.Fatalf("%v: %d players split, want %d", tc, total, tc[0])
		}
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
