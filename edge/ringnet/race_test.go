//go:build race

package ringnet

// raceEnabled: allocation counts and the benchmark's pacing are not
// meaningful under the race detector.
const raceEnabled = true
