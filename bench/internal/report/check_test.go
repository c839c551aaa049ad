package report

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/bench/internal/sim"
)

// checkNamed is r's check called name, or nil.
func checkNamed(r *Run, name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// Each correctness check fails on its own fault, names it in its detail,
// and fails the run; the others stay ok.
func TestEachCheckCatchesItsFault(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spoil  func(r *Run)
		check  string
		detail string
		also   string // a check the fault fails as well
	}{
		{"a player not connected", func(r *Run) { r.Crowd.Connected, r.Crowd.DialError = 99, "connection refused" },
			"players connected", "99 of 100 (first error: connection refused)", ""},
		{"a malformed frame", func(r *Run) { r.Crowd.Counters["bad_frames"] = 2 }, "frames well formed", "2 malformed", ""},
		{"a position outside its cell", func(r *Run) { r.Crowd.Counters["wrong_cell"] = 3 }, "positions in their cell", "3 sampled entries", ""},
		{"a result without its claim", func(r *Run) { r.Crowd.Counters["claim_unmatched"] = 1 }, "claim results matched", "1 results without a claim", ""},
		{"a double win", func(r *Run) { r.Crowd.Winners[2] = []uint32{6, 7} }, "no treasure won twice", "2 treasures won, 1 announced to more than one player", "winners match the coordinator"},
		{"a winner not on record", func(r *Run) { r.Crowd.Winners[1] = []uint32{8} }, "winners match the coordinator", "1 announced wins not on record", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run("a", 10, 1, map[uint32][]uint32{1: {5}, 2: {6}})
			tc.spoil(r)
			r.Check(map[uint32]uint32{1: 5, 2: 6})
			c := checkNamed(r, tc.check)
			if c == nil || c.OK || !strings.Contains(c.Detail, tc.detail) {
				t.Fatalf("check %q: %+v, want failed with %q", tc.check, c, tc.detail)
			}
			if r.OK() {
				t.Error("the run is OK with a failed check")
			}
			for _, o := range r.Checks {
				if o.Name != tc.check && o.Name != tc.also && !o.OK {
					t.Errorf("check %q failed too: %s", o.Name, o.Detail)
				}
			}
			var sum bytes.Buffer
			r.Summary(&sum)
			if !strings.Contains(sum.String(), "[FAIL] "+tc.check+": ") {
				t.Errorf("summary does not show the failure:\n%s", sum.String())
			}
		})
	}
}

// Without claims in the scenario there are no claim checks; without the
// coordinator's record there is no winner check; a first dial error is
// "none" when there was none.
func TestChecksThatDoNotApply(t *testing.T) {
	r := run("a", 10, 1, map[uint32][]uint32{1: {5, 6}})
	r.Config.Claims = false
	r.Check(nil)
	if len(r.Checks) != 3 || !r.OK() {
		t.Errorf("checks without claims: %+v", r.Checks)
	}
	if c := checkNamed(r, "players connected"); c == nil || !strings.Contains(c.Detail, "first error: none") {
		t.Errorf("players connected: %+v", c)
	}
	r = run("b", 10, 1, map[uint32][]uint32{1: {5}})
	r.Check(nil)
	if checkNamed(r, "winners match the coordinator") != nil || checkNamed(r, "no treasure won twice") == nil {
		t.Errorf("checks without the coordinator's record: %+v", r.Checks)
	}
}

// ClaimsAnswered counts every outcome but not the claims sent.
func TestClaimsAnswered(t *testing.T) {
	n := ClaimsAnswered(map[string]int64{"claims_sent": 100, "claims_won": 1, "claims_already_claimed": 2, "claims_too_far": 3,
		"claims_hunt_not_active": 4, "claims_other": 5, "claims_unanswered": 85})
	if n != 15 {
		t.Errorf("ClaimsAnswered = %d, want 15", n)
	}
}

// secs writes pause bounds in the unit that fits, and says when there is
// none or it is beyond the last bucket.
func TestSecs(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   float64
		want string
	}{
		{"not measured", math.NaN(), "n/a"},
		{"beyond the last bucket", math.Inf(1), "∞"},
		{"microseconds", 7.168e-06, "7.2 µs"},
		{"milliseconds", 0.000917504 * 2, "1.84 ms"},
		{"a millisecond", 1e-3, "1.00 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := secs(tc.in); got != tc.want {
				t.Errorf("secs(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// The summary shows what was measured and leaves out what was not.
func TestSummarySections(t *testing.T) {
	r := run("a", 100_000, 2, nil)
	r.Edge.SyscallsErr = "perf cannot count system calls here"
	r.Crowd.Errors = map[string]int64{"rate_limited": 3}
	r.Failover = &Failover{Killed: "c1", KilledAt: 10, NewLeader: "http://127.0.0.1:1", NewLeaderAt: 10.4}
	var b bytes.Buffer
	r.Summary(&b)
	s := b.String()
	for _, want := range []string{"a — claim-storm: 100 players (ws)", "syscalls     not counted: perf cannot", "edge errors  map[rate_limited:3]",
		"killed c1 at 10.0s, http://127.0.0.1:1 leads from 10.4s (400 ms)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	r = run("b", 10, 1, nil)
	r.Edge.Sampled, r.Crowd.Delivery = false, nil
	r.Crowd.Series = []sim.Interval{}
	b.Reset()
	r.Summary(&b)
	for _, absent := range []string{"delivery ", "edge  ", "failover", "hunt status", "claims  "} {
		if strings.Contains(b.String(), absent) {
			t.Errorf("summary of a run without it shows %q:\n%s", absent, b.String())
		}
	}
}
