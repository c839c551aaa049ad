package main

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

// With no flags an edge gets the documented defaults.
func TestFlagDefaults(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != "127.0.0.1:8090" || o.coordinators != "" || o.edgeToken != "" || o.id != "" || o.region != "" || o.publicURL != "" {
		t.Errorf("addresses and identity: %+v", o)
	}
	if o.tickHz != 10 || o.radius != 1 || o.claimRate != 2 || o.claimBurst != 10 || o.positionBudget != 8192 || o.crowdPlayers != 8192/17 {
		t.Errorf("tick %d, radius %d, claim rate %v, burst %v, position budget %d, crowd players %d", o.tickHz, o.radius, o.claimRate, o.claimBurst, o.positionBudget, o.crowdPlayers)
	}
	if o.devMode || o.devDir != "data/dev" || o.crowd != 20 {
		t.Errorf("dev: %v %q %d", o.devMode, o.devDir, o.crowd)
	}
	if o.transport != "auto" || o.rings != 0 || o.drainDelay != 0 || o.logLevel != "info" || o.pprofAddr != "" {
		t.Errorf("transport %q, rings %d, drain %v, log %q, pprof %q", o.transport, o.rings, o.drainDelay, o.logLevel, o.pprofAddr)
	}
	if o.tlsCert != "" || o.tlsKey != "" || o.origins != "" || o.coordCA != "" || o.coordCert != "" || o.coordKey != "" {
		t.Errorf("TLS and origins must be off by default: %+v", o)
	}
}

// Every flag is mirrored by VELTRIX_EDGE_<FLAG> (dashes as underscores); a
// flag on the command line wins over its variable.
func TestFlagEnvironment(t *testing.T) {
	t.Setenv("VELTRIX_EDGE_LISTEN", "127.0.0.1:0")
	t.Setenv("VELTRIX_EDGE_COORDINATORS", "http://127.0.0.1:1, http://127.0.0.1:2,")
	t.Setenv("VELTRIX_EDGE_EDGE_TOKEN", "edge-secret")
	t.Setenv("VELTRIX_EDGE_TICK_HZ", "20")
	t.Setenv("VELTRIX_EDGE_CLAIM_RATE", "0.5")
	t.Setenv("VELTRIX_EDGE_DEV", "true")
	t.Setenv("VELTRIX_EDGE_DRAIN_DELAY", "3s")
	t.Setenv("VELTRIX_EDGE_RADIUS", "2")
	t.Setenv("VELTRIX_EDGE_REGION", "eu")
	t.Setenv("VELTRIX_EDGE_REGIONS", "eu ws=wss://eu/ws; us ws=wss://us/ws")
	t.Setenv("VELTRIX_EDGE_SIBLINGS", "e2 ws=ws://e2:8090/ws")
	t.Setenv("VELTRIX_EDGE_POSITION_BUDGET", "4096")
	// The coordinator's variables are not the edge's.
	t.Setenv("VELTRIX_LISTEN", "127.0.0.1:1")
	t.Setenv("VELTRIX_TICK_HZ", "99")
	o, err := parseFlags([]string{"-radius", "3", "-transport", "netpoll"})
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != "127.0.0.1:0" || o.edgeToken != "edge-secret" || o.tickHz != 20 || o.positionBudget != 4096 || o.claimRate != 0.5 || !o.devMode || o.drainDelay != 3*time.Second {
		t.Errorf("from the environment: %+v", o)
	}
	if o.region != "eu" || o.regions != "eu ws=wss://eu/ws; us ws=wss://us/ws" || o.siblings != "e2 ws=ws://e2:8090/ws" {
		t.Errorf("routing from the environment: region %q, regions %q, siblings %q", o.region, o.regions, o.siblings)
	}
	if got, want := splitList(o.coordinators), []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}; !slices.Equal(got, want) {
		t.Errorf("coordinators %q, want %q", got, want)
	}
	if o.radius != 3 || o.transport != "netpoll" {
		t.Errorf("-radius 3 with VELTRIX_EDGE_RADIUS=2 gave %d (transport %q): the flag must win", o.radius, o.transport)
	}
}

// Bad values, from the command line or the environment, are refused with
// an error that names where they came from; -h is flag.ErrHelp.
func TestFlagBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{name: "unknown flag", args: []string{"-no-such-flag"}, want: "no-such-flag"},
		{name: "bad integer flag", args: []string{"-tick-hz", "fast"}, want: "tick-hz"},
		{name: "bad float flag", args: []string{"-claim-rate", "lots"}, want: "claim-rate"},
		{name: "bad duration flag", args: []string{"-drain-delay", "5"}, want: "drain-delay"},
		{name: "bad integer in environment", env: map[string]string{"VELTRIX_EDGE_CROWD": "many"}, want: `VELTRIX_EDGE_CROWD="many"`},
		{name: "bad bool in environment", env: map[string]string{"VELTRIX_EDGE_DEV": "perhaps"}, want: "VELTRIX_EDGE_DEV"},
		{name: "two bad variables", env: map[string]string{"VELTRIX_EDGE_RINGS": "x", "VELTRIX_EDGE_CLAIM_BURST": "y"}, want: "VELTRIX_EDGE_RINGS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := parseFlags(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
			for k := range tc.env {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		if _, err := parseFlags([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("-h: %v", err)
		}
	})
}

// splitList drops blanks and surrounding spaces, and gives nil for "".
func TestSplitList(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"only commas and spaces", " , ,", nil},
		{"one", "https://a.example", []string{"https://a.example"}},
		{"spaces and a trailing comma", " a , b,", []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitList(tc.in); !slices.Equal(got, tc.want) || (tc.want == nil && got != nil) {
				t.Errorf("splitList(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// An unknown -log-level stops the edge before anything starts.
func TestFlagBadLogLevel(t *testing.T) {
	o, err := parseFlags([]string{"-log-level", "loud"})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(o); err == nil || !strings.Contains(err.Error(), "-log-level") {
		t.Errorf("run with -log-level loud: %v", err)
	}
}
