//go:build !race

package ringnet

const raceEnabled = false
