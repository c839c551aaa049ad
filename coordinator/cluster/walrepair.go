package cluster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/segment"
	"github.com/hashicorp/raft-wal/types"
)

// repairFiler is raft-wal's own segment filer, which also says what the
// recovery of the tail segment at open threw away. raft-wal v0.4.1 repairs
// a torn tail (a batch whose commit frame never made it to disk, or a frame
// header half written when the machine stopped) by silently ignoring it:
// the node starts with a shorter log and nothing in its logs says so.
type repairFiler struct {
	*segment.Filer
	dir string
	log *slog.Logger
}

func newRepairFiler(dir string, log *slog.Logger) repairFiler {
	return repairFiler{Filer: segment.NewFiler(dir, fs.New()), dir: dir, log: log}
}

// RecoverTail recovers the unsealed tail segment as raft-wal does, and logs
// a warning when the file held more than raft-wal kept.
func (f repairFiler) RecoverTail(info types.SegmentInfo) (types.SegmentWriter, error) {
	name := segment.FileName(info)
	onDisk, torn, scanErr := scanSegmentFile(filepath.Join(f.dir, name))
	w, err := f.Filer.RecoverTail(info)
	if err != nil {
		return nil, err
	}
	kept := uint64(0)
	if last := w.LastIndex(); last != 0 {
		kept = last - info.BaseIndex + 1 // how raft-wal numbers the entries it recovered
	}
	switch {
	case scanErr != nil && !errors.Is(scanErr, os.ErrNotExist):
		f.log.Warn("raft-wal: cannot check the log tail for a repair", "segment", name, "err", scanErr)
	case onDisk > kept || torn:
		f.log.Warn("raft-wal repaired a torn log tail at start-up: what a crash left half written is dropped",
			"segment", name, "entries_kept", kept, "entries_dropped", onDisk-min(onDisk, kept),
			"torn_frame_header", torn, "last_index", w.LastIndex())
	}
	return w, nil
}

func scanSegmentFile(path string) (entries uint64, torn bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	return scanSegment(f)
}

// The raft-wal v0.4.1 segment format, as far as its recovery walks it: a
// 32-byte file header, then frames of an 8-byte header (type, 3 reserved
// bytes, little-endian length or CRC) and a payload padded to 8 bytes.
// Commit frames have no payload. The walk ends at a zero header, the end of
// the file, or a header that is neither.
const (
	walFileHeaderLen  = 32
	walFrameHeaderLen = 8
	walFrameEntry     = 1
	walFrameIndex     = 2
	walFrameCommit    = 3
)

// scanSegment walks the frames of a segment file as raft-wal's recovery
// does and counts its entry frames, committed or not. torn reports that the
// walk stopped at a frame header that is neither zero nor valid, or at a
// partial one: bytes that a write cut short left behind.
func scanSegment(r io.ReaderAt) (entries uint64, torn bool, err error) {
	var h [walFrameHeaderLen]byte
	for off := int64(walFileHeaderLen); ; {
		n, err := r.ReadAt(h[:], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return entries, false, err
		}
		zero := len(bytes.TrimLeft(h[:n], "\x00")) == 0
		if n < walFrameHeaderLen || zero {
			return entries, !zero, nil
		}
		switch h[0] {
		case walFrameEntry, walFrameIndex:
			size := int64(binary.LittleEndian.Uint32(h[4:]))
			off += walFrameHeaderLen + (size+walFrameHeaderLen-1)&^(walFrameHeaderLen-1)
			if h[0] == walFrameEntry {
				entries++
			}
		case walFrameCommit:
			off += walFrameHeaderLen
		default:
			return entries, true, nil
		}
	}
}
