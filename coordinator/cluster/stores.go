package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"go.etcd.io/bbolt"
)

// logStore is a raft log and stable store that owns files to close.
type logStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// storeFiles names the file by which each log store kind is recognised in
// a data directory.
var storeFiles = [...]struct{ kind, file string }{{"wal", filepath.Join("wal", "wal-meta.db")}, {"bolt", "raft.db"}}

// openLogStore opens the durable log store kind under dir, raft-wal
// reporting to walm, and returns it with its kind. Kind "" means the store
// dir already holds, or raft-wal for a new directory. raft-wal is the
// default: one fsync per append instead of bbolt's two, 2.2–2.6× faster per
// write (BenchmarkLogStore in this package), and the store that keeps the
// claim p99 under 20 ms at 5,000 claims/s (bench/RESULTS.md). It must be
// v0.4.1 or later: v0.4.0 could not reopen a log whose tail raft had
// truncated (TestLogStoreSurvivesTailTruncationAndRestart). raft-boltdb
// stays selectable, and directories written with it keep opening with it.
// raft-wal repairs a torn tail at open in silence; repairFiler logs it to log.
func openLogStore(kind, dir string, walm *walMetrics, log *slog.Logger) (logStore, string, error) {
	// A log written by the other store must not be taken for an empty one:
	// the node would forget its term and vote, and could vote twice.
	var held []string
	for _, s := range storeFiles {
		if _, err := os.Stat(filepath.Join(dir, s.file)); err == nil {
			held = append(held, s.kind)
		}
	}
	switch {
	case len(held) > 1:
		return nil, "", fmt.Errorf("%s holds both a wal and a bolt log store: remove the one this node did not use", dir)
	case len(held) == 1 && kind != "" && kind != held[0]:
		return nil, "", fmt.Errorf("%s holds a %s log store, not %s: start with -log-store=%s", dir, held[0], kind, held[0])
	case len(held) == 1:
		kind = held[0]
	case kind == "":
		kind = "wal"
	}
	st, err := openStore(kind, dir, walm, log)
	return st, kind, err
}

func openStore(kind, dir string, walm *walMetrics, log *slog.Logger) (logStore, error) {
	switch kind {
	case "wal":
		d := filepath.Join(dir, "wal")
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		w, err := raftwal.Open(d, raftwal.WithMetricsCollector(walm), raftwal.WithSegmentFiler(newRepairFiler(d, log)))
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return w, nil
	case "bolt":
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		// NoFreelistSync: bbolt rebuilds its freelist on open instead of
		// writing it on every commit (less written per fsync).
		b, err := raftboltdb.New(raftboltdb.Options{
			Path:        filepath.Join(dir, "raft.db"),
			BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType, InitialMmapSize: 1 << 30},
		})
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown log store %q", kind)
}
