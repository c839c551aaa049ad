package fsm

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// FSM applies committed log entries to a State. It implements raft.FSM.
//
// mu guards s, derived and changed. Apply holds it exclusively; readers use
// View. changed is closed (and replaced) after every applied entry, so event
// followers wake without polling.
type FSM struct {
	mu      sync.RWMutex
	s       *State
	derived map[uint32]*huntIndex // per-hunt caches rebuilt from s; never encoded
	changed chan struct{}
}

// New returns an FSM with an empty state.
func New() *FSM {
	return &FSM{s: newState(), derived: map[uint32]*huntIndex{}, changed: make(chan struct{})}
}

// Apply applies one committed entry. Its result is the command's response:
// *CreateResult, []Outcome, or an error (nil for success).
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.applyLocked(l.Index, l.Data)
	f.s.Applied = l.Index
	close(f.changed)
	f.changed = make(chan struct{})
	return res
}

func (f *FSM) applyLocked(index uint64, data []byte) any {
	k, cmd, err := decode(data)
	if err != nil {
		return err
	}
	switch c := cmd.(type) {
	case *CreateHunt:
		return f.createHuntLocked(index, c)
	case *HuntTransition:
		return f.transitionLocked(index, k, c)
	case *Claims:
		return f.claimsLocked(index, c)
	case *RegisterEdge:
		f.s.Edges[c.Edge.ID] = c.Edge
	case *SetNode:
		f.s.Nodes[c.ID] = c.Addr
	case *SetHome:
		return f.setHomeLocked(index, c)
	}
	return nil
}

// View calls fn with the state under the read lock. fn must not keep
// references into the state after it returns.
func (f *FSM) View(fn func(s *State)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.s)
}

// Changed returns a channel that is closed after the next applied entry.
func (f *FSM) Changed() <-chan struct{} {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.changed
}

// Encode returns the canonical encoding of the whole state: equal states
// encode to equal bytes (map keys are sorted by encoding/json).
func (f *FSM) Encode() []byte { return encodeState(f.capture()) }

// Digest returns the applied index and the SHA-256 of the state's encoding,
// read together. Only the copy (capture) holds up Apply; the encoding and
// hashing of a large state run outside the lock.
func (f *FSM) Digest() (applied uint64, sum [32]byte) {
	s := f.capture()
	return s.Applied, sha256.Sum256(encodeState(s))
}

// capture returns a copy of the state taken under the read lock: a few map
// copies, far cheaper than encoding it (see BenchmarkDigest).
func (f *FSM) capture() *State {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.s.clone()
}

// testHookEncode, when set by a test, runs before a captured state is
// encoded (outside the FSM's lock).
var testHookEncode func()

func encodeState(s *State) []byte {
	if testHookEncode != nil {
		testHookEncode()
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("fsm: state does not encode: %v", err)) // broken invariant
	}
	return b
}

// Snapshot captures a copy of the state; raft persists it later,
// concurrently with further Applies, so the encoding happens in Persist and
// never holds up claims.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &snapshot{s: f.capture()}, nil
}

// Restore replaces the state with a snapshot.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	s := newState()
	dec := json.NewDecoder(rc)
	if err := dec.Decode(s); err != nil {
		return fmt.Errorf("fsm: cannot restore snapshot: %w", err)
	}
	if err := upgradeClaims(s); err != nil {
		return fmt.Errorf("fsm: cannot restore snapshot: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s, f.derived = s, map[uint32]*huntIndex{}
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

// snapshot is a captured copy of the state, encoded when raft persists it.
type snapshot struct{ s *State }

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(encodeState(s.s)); err != nil {
		sink.Cancel()
		return fmt.Errorf("fsm: cannot persist snapshot: %w", err)
	}
	return sink.Close()
}

func (*snapshot) Release() {}
