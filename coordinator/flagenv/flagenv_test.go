package flagenv

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantHz  int
		wantTTL time.Duration
		wantErr []string // substrings of the error; nil: no error
	}{
		{name: "no variables keep the defaults", wantHz: 10, wantTTL: time.Second},
		{name: "a variable sets its flag", env: map[string]string{"VX_TICK_HZ": "20", "VX_LOAD_TTL": "5s"}, wantHz: 20, wantTTL: 5 * time.Second},
		{name: "the command line wins", env: map[string]string{"VX_TICK_HZ": "20"}, args: []string{"-tick-hz", "30"}, wantHz: 30, wantTTL: time.Second},
		{name: "another prefix is ignored", env: map[string]string{"VELTRIX_TICK_HZ": "20"}, wantHz: 10, wantTTL: time.Second},
		{name: "every bad value is named", env: map[string]string{"VX_TICK_HZ": "fast", "VX_LOAD_TTL": "soon"},
			wantErr: []string{`VX_TICK_HZ="fast"`, `VX_LOAD_TTL="soon"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			hz := fs.Int("tick-hz", 10, "")
			ttl := fs.Duration("load-ttl", time.Second, "")
			err := apply(fs, "VX_", func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.wantErr != nil {
				for _, w := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("error %v does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if *hz != tc.wantHz || *ttl != tc.wantTTL {
				t.Errorf("tick-hz %d, load-ttl %v; want %d, %v", *hz, *ttl, tc.wantHz, tc.wantTTL)
			}
		})
	}
}

// Apply reads the process environment.
func TestApplyEnvironment(t *testing.T) {
	t.Setenv("VX_TICK_HZ", "7")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	hz := fs.Int("tick-hz", 10, "")
	if err := Apply(fs, "VX_"); err != nil || *hz != 7 {
		t.Fatalf("Apply: %v, tick-hz %d", err, *hz)
	}
	if got := Name("VELTRIX_EDGE_", "claim-burst"); got != "VELTRIX_EDGE_CLAIM_BURST" {
		t.Errorf("Name = %s", got)
	}
}
