// Package core is the edge's transport-independent heart: sessions, H3 cell
// buckets, interest areas and the per-tick fan-out. It knows nothing of
// sockets. A transport hands it the frames a connection received (Deliver),
// tells it when a connection ends (Closed), and takes ready output when the
// core says a session has some (Notifier.Ready, then Pull). Each transport
// registers its Notifier once (Register) and opens its sessions under that
// Owner with a handle of its own (Open); the core notifies only the owner,
// passing the handle back. That contract fits both the
// goroutine-per-connection netpoll transport and a ring that owns thousands
// of connections on one thread.
//
// Per-session state is a pointer-free struct in a slot table addressed by
// generational ids, so the garbage collector has nothing to scan however
// many players are connected. A POSITION that stays in its cell is decoded,
// validated and recorded without allocating; on each tick every changed cell
// is encoded once into a CELL_UPDATE frame and the same bytes are queued for
// every session whose interest area holds the cell.
package core
