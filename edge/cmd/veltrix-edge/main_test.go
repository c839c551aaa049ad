package main

import (
	"log/slog"
	"strings"
	"testing"
)

// -coordinator-ca/-cert/-key apply to https:// coordinators only, and
// unreadable files stop the edge with the reason.
func TestCoordinatorTLSFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	o, err := parseFlags([]string{"-coordinators", "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := o.coordinatorTLS(log); c != nil || err != nil {
		t.Fatalf("without the flags: %v, %v", c, err)
	}
	o, _ = parseFlags([]string{"-coordinators", "http://127.0.0.1:8080", "-coordinator-ca", "ca.pem"})
	if _, err := o.coordinatorTLS(log); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("a CA for http:// coordinators: %v", err)
	}
	o, _ = parseFlags([]string{"-coordinators", "https://127.0.0.1:8080", "-coordinator-cert", "edge.pem"})
	if _, err := o.coordinatorTLS(log); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("a certificate without its key: %v", err)
	}
	o, _ = parseFlags([]string{"-coordinators", "https://127.0.0.1:8080", "-coordinator-ca", t.TempDir() + "/none.pem"})
	if _, err := o.coordinatorTLS(log); err == nil {
		t.Error("a missing CA file was accepted")
	}
}

// Flags come from VELTRIX_EDGE_<FLAG> too, and the command line wins.
func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("VELTRIX_EDGE_TICK_HZ", "20")
	t.Setenv("VELTRIX_EDGE_REGION", "eu")
	o, err := parseFlags([]string{"-region", "us"})
	if err != nil {
		t.Fatal(err)
	}
	if o.tickHz != 20 || o.region != "us" {
		t.Errorf("tick-hz %d, region %q: want 20 from the environment, us from the command line", o.tickHz, o.region)
	}
	t.Setenv("VELTRIX_EDGE_CLAIM_RATE", "lots")
	if _, err := parseFlags(nil); err == nil || !strings.Contains(err.Error(), "VELTRIX_EDGE_CLAIM_RATE") {
		t.Errorf("a bad variable: %v", err)
	}
}
