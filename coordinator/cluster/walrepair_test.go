package cluster

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

var discardLog = slog.New(slog.DiscardHandler)

// TestWALRepairIsLogged: a raft-wal log whose tail was torn when the
// machine stopped (the last batch's bytes not all on disk, so its CRC fails;
// a frame header half written after the last commit; an entry written
// without its commit frame) reopens without what was torn, and the node
// logs one warning that says so. A clean reopen logs nothing.
func TestWALRepairIsLogged(t *testing.T) {
	last := []byte("entry 10 of term 1")
	for _, tc := range []struct {
		name string
		tear func(seg []byte) // seg holds entries 1..10, 10 in a batch alone
		keep uint64
		want string
	}{
		{"last batch torn", func(seg []byte) {
			seg[bytes.Index(seg, last)] ^= 0xff // its CRC no longer matches
		}, 9, "entries_kept=9 entries_dropped=1 torn_frame_header=false last_index=9"},
		{"frame header half written", func(seg []byte) {
			end := (len(bytes.TrimRight(seg, "\x00")) + 7) &^ 7 // the last commit frame's end: zeros follow
			copy(seg[end:], []byte{0xee, 0xee, 0xee})
		}, 10, "entries_kept=10 entries_dropped=0 torn_frame_header=true last_index=10"},
		{"entry written, commit not", func(seg []byte) {
			end := (len(bytes.TrimRight(seg, "\x00")) + 7) &^ 7
			copy(seg[end:], append([]byte{1, 0, 0, 0, 16, 0, 0, 0}, "entry 11 of term"...))
		}, 10, "entries_kept=10 entries_dropped=1 torn_frame_header=false last_index=10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			st, _, err := openLogStore("wal", dir, newWALMetrics(), log)
			if err != nil {
				t.Fatal(err)
			}
			var batch []*raft.Log
			for i := uint64(1); i <= 10; i++ {
				batch = append(batch, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: fmt.Appendf(nil, "entry %d of term 1", i)})
			}
			if err := st.StoreLogs(batch[:9]); err != nil {
				t.Fatal(err)
			}
			if err := st.StoreLogs(batch[9:]); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			reopen := func() uint64 {
				t.Helper()
				st, _, err := openLogStore("wal", dir, newWALMetrics(), log)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				n, err := st.LastIndex()
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := reopen(); n != 10 || logs.Len() != 0 {
				t.Fatalf("clean reopen: last index %d, logged %q", n, logs.String())
			}

			segs, err := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
			if err != nil || len(segs) != 1 {
				t.Fatalf("segments %v, %v", segs, err)
			}
			seg, err := os.ReadFile(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			tc.tear(seg)
			if err := os.WriteFile(segs[0], seg, 0o600); err != nil {
				t.Fatal(err)
			}
			if n := reopen(); n != tc.keep {
				t.Fatalf("reopened a torn log at last index %d, want %d", n, tc.keep)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "repaired a torn log tail") ||
				!strings.Contains(lines[0], "segment="+filepath.Base(segs[0])) || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("logged %q, want one warning of the repair with %s", logs.String(), tc.want)
			}
			if testing.Verbose() {
				t.Log(lines[0])
			}
		})
	}
}

// FuzzScanSegment: any bytes walk to an end, never counting more entry
// frames than whole frame headers fit in the file.
func FuzzScanSegment(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(make([]byte, 32), 1, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3, 4))
	f.Add(append(make([]byte, 32), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff))
	f.Add(append(make([]byte, 32), 0, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, _, err := scanSegment(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if max := max(len(b)-walFileHeaderLen, 0) / walFrameHeaderLen; n > uint64(max) {
			t.Fatalf("%d entries in %d bytes", n, len(b))
		}
	})
}
