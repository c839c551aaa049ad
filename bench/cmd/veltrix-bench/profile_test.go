package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// With VELTRIX_BENCH_CPUPROFILE set, a worker writes a CPU profile of its
// measured phase (from "go" to its result) to <prefix>.<worker>; without
// it, nothing is written.
func TestProfilePhase(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "cpu")
	t.Setenv("VELTRIX_BENCH_CPUPROFILE", "")
	start := make(chan struct{})
	profilePhase(start, 1)() // off: nothing to stop
	t.Setenv("VELTRIX_BENCH_CPUPROFILE", prefix)
	stop := profilePhase(start, 3)
	close(start)
	stop()
	stop() // once only
	b, err := os.ReadFile(prefix + ".3")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // pprof's gzipped protobuf
		t.Fatalf("profile of %d bytes starts %x, want gzip", len(b), b[:min(len(b), 2)])
	}
	if _, err := os.Stat(prefix + ".1"); !os.IsNotExist(err) {
		t.Fatalf("a profile without the variable: %v", err)
	}
}
