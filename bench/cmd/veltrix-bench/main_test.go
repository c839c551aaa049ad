package main

import (
	"encoding/json"
	"errors"
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

// TestScenariosAgainstARealSystem runs small scenarios end to end: the
// tool starts a coordinator and an edge, worker processes play the crowd
// (over WebSocket or WebTransport, in one process or two), and the result
// holds real figures and passing checks.
func TestScenariosAgainstARealSystem(t *testing.T) {
	bin := binaries(t)
	for _, tc := range []struct {
		name, scenario string
		args           []string
		want           func(*report.Run) string
	}{
		{"steady", "steady", []string{"-players", "60", "-duration", "2s", "-hotspots", "1", "-hotspot-share", "1"}, func(r *report.Run) string {
			if r.Crowd.Connected != 60 || r.Crowd.Counters["positions"] == 0 || r.Crowd.Delivery.Count() == 0 {
				return "no positions delivered"
			}
			if !r.Edge.Sampled || r.Edge.After.Connections != 60 || r.Derived.EdgeCPU <= 0 {
				return "the edge was not sampled while 60 players were on"
			}
			return ""
		}},
		{"claim-storm", "claim-storm", []string{"-players", "40", "-duration", "2s", "-hotspots", "2"}, func(r *report.Run) string {
			if r.Crowd.Counters["claims_won"] == 0 || r.Crowd.Counters["claims_already_claimed"] == 0 {
				return "no race for treasures"
			}
			if r.Derived.ClaimsPerSec <= 0 {
				return "no claims/s"
			}
			return ""
		}},
		{"webtransport", "steady", []string{"-transport", "wt", "-players", "30", "-duration", "2s", "-hotspots", "1", "-hotspot-share", "1"}, func(r *report.Run) string {
			if r.Config.Transport != "wt" || r.Crowd.Connected != 30 || r.Crowd.Delivery.Count() == 0 {
				return "no positions delivered over WebTransport"
			}
			if r.Edge.After.Connections != 30 {
				return "the edge did not count 30 WebTransport sessions"
			}
			return ""
		}},
		{"two-workers", "claim-storm", []string{"-workers", "2", "-players", "40", "-duration", "2s", "-hotspots", "2"}, func(r *report.Run) string {
			if r.Workers != 2 || r.Crowd.Players != 40 || r.Crowd.Connected != 40 {
				return "40 players were not split over 2 worker processes"
			}
			if r.Crowd.Delivery.Count() == 0 || r.Crowd.Counters["claims_won"] == 0 {
				return "the merged result holds no deliveries or no wins"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{tc.scenario, "-bin-dir", bin, "-out", out, "-ramp", "200"}, tc.args...)
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

// runBench runs the tool and returns what it printed and its exit code
// (-1 when it did not exit on its own).
func runBench(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	b, err := exec.Command(filepath.Join(bin, "veltrix-bench"), args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(b), 0
	case errors.As(err, &ee):
		return string(b), ee.ExitCode()
	default:
		t.Fatalf("%v: %v", args, err)
		return "", -1
	}
}

// Each bad invocation exits non-zero, without a panic, saying what is
// wrong.
func TestBadFlagsExitWithAClearError(t *testing.T) {
	bin := binaries(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: veltrix-bench <scenario> [flags]"},
		{[]string{"steady", "-players", "-5"}, 1, "veltrix-bench: -players -5: want 1 … 1,000,000"},
		{[]string{"nonsense"}, 1, `veltrix-bench: unknown scenario "nonsense" (want one of connect-storm,`},
		{[]string{"steady", "-bogus"}, 1, "veltrix-bench: flag provided but not defined: -bogus"},
		{[]string{"steady", "-transport", "xx"}, 1, `veltrix-bench: -transport "xx": want ws (WebSocket) or wt (WebTransport)`},
		{[]string{"failover", "-kill-after", "40s"}, 1, "veltrix-bench: -kill-after 40s must fall inside -duration 30s"},
		{[]string{"steady", "-out"}, 1, "veltrix-bench: -out needs a directory"},
		{[]string{"steady", "-bin-dir", "/nonexistent", "-players", "1", "-duration", "1s"}, 1,
			"veltrix-bench: cannot find /nonexistent/veltrix-edge (run make build, or pass -bin-dir)"},
		{[]string{"compare", "-a", "-x", "-b", "-x"}, 1, `veltrix-bench: the two targets are the same (edge flags "-x", bin dir bin)`},
		{[]string{"compare", "-players", "10"}, 1, "veltrix-bench: compare needs two targets"},
		{[]string{"compare", "-a-bin-dir", "/nonexistent", "-b-bin-dir", "/nonexistent2"}, 1,
			`veltrix-bench: target "a: /nonexistent": cannot find veltrix-edge in /nonexistent`},
	} {
		out, code := runBench(t, bin, tc.args...)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d\n%s", tc.args, code, tc.code, out)
		}
		if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
			t.Errorf("%q: panicked:\n%s", tc.args, out)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%q: the output does not say %q:\n%s", tc.args, tc.want, out)
		}
	}
}
