// Package fsm is the coordinator's replicated state machine: hunts, their
// treasures, claims, scores, registered edges and the ordered event log that
// edges follow.
//
// It does no I/O and reads no clock. Every input arrives as a command in a
// Raft log entry, and everything non-deterministic — the time, the seed of a
// treasure placement or respawn — was chosen by the leader and written into
// that entry. Every replica that applies the same log therefore reaches the
// same state, byte for byte (see State.Encode).
//
// Commands are versioned: an entry starts with a kind byte and a version
// byte, and a node keeps decoders for every version it ever wrote, so a newer
// node reads an older log.
//
// The records edges also see (Claim, Outcome, Treasure, Event, Edge, Leader)
// are the types of coordinator/wire, aliased here.
package fsm
