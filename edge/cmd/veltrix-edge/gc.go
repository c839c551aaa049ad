package main

import (
	"log/slog"
	"runtime/debug"
)

// defaultGCPercent is the edge's GOGC. An edge's live heap is mostly its
// sessions (pointer-free, about 0.6 KiB each), and idle players make
// little garbage, so collections are rare and cheap (well under 1% of a
// core at 100,000 players); at 50 the heap stays within 1.5× of the live
// data — under 1 KiB per idle connection — rather than the Go default's 2×.
const defaultGCPercent = 50

// setGCPercent applies -gc-percent, unless GOGC is set in the
// environment (the runtime read it already: it wins).
func setGCPercent(pct int, gogc string, log *slog.Logger) {
	if gogc != "" {
		log.Info("GC target from the GOGC environment variable", "gogc", gogc)
		return
	}
	debug.SetGCPercent(pct)
}
