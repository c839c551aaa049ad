// Package cluster runs one coordinator node: hashicorp/raft with a durable
// log store on disk, a file snapshot store and a mutual-TLS TCP transport
// (plain TCP only when explicitly asked for), driving the
// replicated state machine of package fsm.
//
// Node adds what the state machine must not do itself: it batches claims
// into log entries (the hot write path), and while it leads it writes its
// API address into the log (so followers can forward writes to it) and turns
// the clock into log entries that start and end scheduled hunts. Replicas
// never consult their own clocks.
package cluster
