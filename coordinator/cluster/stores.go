package cluster

import (
	"errors"
	"fmt"
	"io"
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

// openLogStore opens the durable log store kind under dir. raft-boltdb is
// the default; raft-wal is faster per write (BenchmarkLogStore in this
// package) but can refuse to start after a crash (see bench/RESULTS.md), so
// it is kept for measurement only.
func openLogStore(kind, dir string) (logStore, error) {
	switch kind {
	case "wal":
		d := filepath.Join(dir, "wal")
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		w, err := raftwal.Open(d)
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
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is locked: is another coordinator using this data directory?", dir)
		}
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown log store %q", kind)
}
