package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two targets: edge flags, builds, or both; each resolved to its own
// configuration and label.
func TestCompareTargets(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		binA, binB     string
		edgeA, edgeB   string
		labelA, labelB string
	}{
		{[]string{"-a", "-transport=netpoll", "-b", "-transport=uring", "-players", "10"}, "bin", "bin",
			"-transport=netpoll", "-transport=uring", "a: -transport=netpoll", "b: -transport=uring"},
		{[]string{"-a-bin-dir", "old/bin", "-b-bin-dir=new/bin"}, "old/bin", "new/bin", "", "", "a: old/bin", "b: new/bin"},
		{[]string{"-bin-dir", "cur", "-a-bin-dir", "old"}, "old", "cur", "", "", "a: old", "b: cur"},
		{[]string{"-a-bin-dir", "old", "-b-bin-dir", "new", "-a", "-tick-hz=10", "-b", "-tick-hz=10"}, "old", "new",
			"-tick-hz=10", "-tick-hz=10", "a: old -tick-hz=10", "b: new -tick-hz=10"},
		{[]string{"-b", "-tick-hz=20", "-a-label", "ten", "-b-label=twenty"}, "bin", "bin", "", "-tick-hz=20", "ten", "twenty"},
	} {
		c, err := parseCompare(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		cfgs, err := c.configs()
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		a, b := cfgs[0], cfgs[1]
		if a.BinDir != tc.binA || b.BinDir != tc.binB || strings.Join(a.EdgeArgs, " ") != tc.edgeA || strings.Join(b.EdgeArgs, " ") != tc.edgeB {
			t.Errorf("%q: a %s %q, b %s %q", tc.args, a.BinDir, a.EdgeArgs, b.BinDir, b.EdgeArgs)
		}
		if a.Label != tc.labelA || b.Label != tc.labelB {
			t.Errorf("%q: labels %q and %q, want %q and %q", tc.args, a.Label, b.Label, tc.labelA, tc.labelB)
		}
		if a.Scenario != "steady" || a.Players != b.Players {
			t.Errorf("%q: the targets do not share the scenario: %+v, %+v", tc.args, a, b)
		}
	}
}

// Bad combinations are refused before anything runs, saying why.
func TestCompareRefusesBadCombinations(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "compare needs two targets"},
		{[]string{"-players", "10"}, "compare needs two targets"},
		{[]string{"-a", "-x", "-b", "-x"}, `the two targets are the same (edge flags "-x", bin dir bin)`},
		{[]string{"-a-bin-dir", "bin/", "-b-bin-dir", "./bin"}, "the two targets are the same"},
		{[]string{"-bin-dir", "x", "-b-bin-dir", "x"}, "the two targets are the same"},
		{[]string{"-a-bin-dir", ""}, "-a-bin-dir needs a directory"},
		{[]string{"-a-bin-dir", "x", "-b-bin-dir"}, "-b-bin-dir needs a value"},
		{[]string{"-a", "-x", "-a", "-y"}, "-a given twice"},
		{[]string{"-a", "-x", "-edge", "http://127.0.0.1:8090", "-coordinator", "http://c", "-admin-token", "t"}, "drop -edge"},
		{[]string{"-a", "-x", "-edge-args", "-y"}, "drop -edge-args"},
		{[]string{"-a", "-x", "-a-label", "same", "-b-label", "same"}, `both targets are labelled "same"`},
		{[]string{"-a", "-x", "-scenario", "nonsense"}, `unknown scenario "nonsense"`},
		{[]string{"-a", "-x", "-players", "-5"}, "-players -5"},
	} {
		c, err := parseCompare(tc.args)
		if err == nil {
			_, err = c.configs()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// A build lacking a binary is named before any target runs.
func TestCompareChecksBothBuilds(t *testing.T) {
	good, half := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(good, "veltrix-edge"), filepath.Join(good, "veltrix-coordinator"), filepath.Join(half, "veltrix-edge")} {
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c, err := parseCompare([]string{"-a-bin-dir", good, "-b-bin-dir", half})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := c.configs()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBuild(cfgs[0]); err != nil {
		t.Fatalf("a complete build refused: %v", err)
	}
	err = checkBuild(cfgs[1])
	if err == nil || !strings.Contains(err.Error(), "cannot find veltrix-coordinator in "+half) || !strings.HasPrefix(err.Error(), `target "b: `) {
		t.Fatalf("b lacks the coordinator: %v", err)
	}
}
