// Package wire is the contract between edges and the coordinator cluster:
// the JSON bodies of the coordinator's HTTP API (the edge event stream,
// claims, registration, load reports, identity, hunts, status and tokens)
// and Client, a typed client over them.
//
// It is a leaf: it imports the standard library, protocol and geo only, so
// an edge that speaks to coordinators links none of the coordinator's Raft,
// log store or state machine. The coordinator's state machine (coordinator/fsm)
// reuses the record types defined here (Claim, Outcome, Treasure, Event,
// Edge, Leader, HuntSpec), so a value has one JSON form in the log, in
// snapshots and on the wire. JSON field names never change: edges and
// coordinators one version apart must understand each other.
package wire
