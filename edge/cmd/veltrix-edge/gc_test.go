package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestGCPercent: -gc-percent defaults to 50 and is applied, unless GOGC is
// set in the environment, which wins.
func TestGCPercent(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.gcPercent != 50 {
		t.Fatalf("-gc-percent defaults to %d, want 50", o.gcPercent)
	}
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	log := slog.New(slog.DiscardHandler)
	setGCPercent(o.gcPercent, "", log)
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GC percent %d after -gc-percent 50, want 50", got)
	}
	setGCPercent(30, "200", log)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d with GOGC set, want it left alone (100)", got)
	}
}
