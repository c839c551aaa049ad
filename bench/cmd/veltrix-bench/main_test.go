package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/bench/internal/report"
)

// binaries builds the tool, the edge and the coordinator once.
func binaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the whole system")
	}
	dir := t.TempDir()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", dir+"/", "./bench/cmd/veltrix-bench", "./edge/cmd/veltrix-edge", "./coordinator/cmd/veltrix-coordinator")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return dir
}

// TestScenariosAgainstARealSystem runs two small scenarios end to end:
// the tool starts a coordinator and an edge, a worker process plays the
// crowd, and the result holds real figures and passing checks.
func TestScenariosAgainstARealSystem(t *testing.T) {
	bin := binaries(t)
	for _, tc := range []struct {
		name string
		args []string
		want func(*report.Run) string
	}{
		{"steady", []string{"-players", "60", "-duration", "2s", "-hotspots", "1", "-hotspot-share", "1"}, func(r *report.Run) string {
			if r.Crowd.Connected != 60 || r.Crowd.Counters["positions"] == 0 || r.Crowd.Delivery.Count() == 0 {
				return "no positions delivered"
			}
			if !r.Edge.Sampled || r.Edge.After.Connections != 60 || r.Derived.EdgeCPU <= 0 {
				return "the edge was not sampled while 60 players were on"
			}
			return ""
		}},
		{"claim-storm", []string{"-players", "40", "-duration", "2s", "-hotspots", "2"}, func(r *report.Run) string {
			if r.Crowd.Counters["claims_won"] == 0 || r.Crowd.Counters["claims_already_claimed"] == 0 {
				return "no race for treasures"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{tc.name, "-bin-dir", bin, "-out", out, "-ramp", "200"}, tc.args...)
			cmd := exec.Command(filepath.Join(bin, "veltrix-bench"), args...)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			raw, err := os.ReadFile(filepath.Join(out, "result.json"))
			if err != nil {
				t.Fatal(err)
			}
			var r report.Run
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			if !r.OK() {
				t.Fatalf("checks failed: %+v", r.Checks)
			}
			if msg := tc.want(&r); msg != "" {
				t.Fatalf("%s:\n%s", msg, b)
			}
			for _, f := range []string{"report.html", "summary.txt"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestBadFlagsExitWithAClearError(t *testing.T) {
	bin := binaries(t)
	for _, args := range [][]string{
		{"steady", "-players", "-5"},
		{"nonsense"},
		{"compare", "-a", "-x", "-b", "-x"},
		{"steady", "-bin-dir", "/nonexistent", "-players", "1", "-duration", "1s"},
	} {
		b, err := exec.Command(filepath.Join(bin, "veltrix-bench"), args...).CombinedOutput()
		if err == nil {
			t.Errorf("%v: exit 0\n%s", args, b)
			continue
		}
		if !strings.Contains(string(b), "veltrix-bench") && !strings.Contains(string(b), "usage") {
			t.Errorf("%v: no clear message: %s", args, b)
		}
	}
}
