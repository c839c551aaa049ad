package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
)

// Credentials binds edge bearer tokens to edge ids: a request bearing an
// edge's token acts as that edge and no other. Only SHA-256 hashes of the
// tokens are held, so a lookup is a map lookup of the hash (no comparison
// of secrets whose timing could leak), and a credentials file gives away
// no token.
//
// The file has one credential a line, "<edge id> <sha256 hex of its token>";
// blank lines and lines starting with '#' are ignored. An id may have more
// than one line: that is how a token is rotated without downtime (add the
// new hash, move the edge to the new token, remove the old line, reload).
// An id ending in '*' ("eu-west-1-*") is a group credential, for identical
// instances of an autoscaling group: its token acts as any edge id with
// that prefix (each instance names itself, e.g. eu-west-1-<instance id>),
// and never as an id outside it.
type Credentials struct {
	path   string
	forbid *[32]byte // the admin token's hash: no edge may have it

	mu     sync.RWMutex // guards the fields below
	byHash map[[32]byte]string
	ids    map[string]int // id → number of hashes
	stamp  fileStamp      // of the file when it was read
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// HashToken is wire.HashToken.
func HashToken(token string) string { return wire.HashToken(token) }

// ParseCredentials reads credential lines: it returns token hash → edge id,
// or an error naming the first bad line.
func ParseCredentials(r io.Reader) (map[[32]byte]string, error) {
	out := map[[32]byte]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"<edge id> <sha256 hex of the token>\"", n)
		}
		if !validCredentialID(f[0]) {
			return nil, fmt.Errorf("line %d: %w (or such a prefix followed by '*')", n, errEdgeID)
		}
		var h [32]byte
		if b, err := hex.DecodeString(f[1]); err != nil || len(b) != len(h) {
			return nil, fmt.Errorf("line %d: %q is not a SHA-256 in hex (64 digits)", n, f[1])
		} else {
			copy(h[:], b)
		}
		if prev, ok := out[h]; ok && prev != f[0] {
			return nil, fmt.Errorf("line %d: the same token is given to edges %s and %s", n, prev, f[0])
		}
		out[h] = f[0]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// NewCredentials returns in-memory credentials from edge id → token (dev
// mode, tests); Add adds more.
func NewCredentials(tokens map[string]string) (*Credentials, error) {
	c := &Credentials{}
	c.set(map[[32]byte]string{}, fileStamp{})
	for id, tok := range tokens {
		if err := c.Add(id, tok); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// LoadCredentials reads a credentials file; Reload and ReloadIfChanged read
// it again.
func LoadCredentials(path string) (*Credentials, error) {
	c := &Credentials{path: path}
	if _, err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// forbidToken refuses token (the admin token) as any edge's, now and at
// every reload.
func (c *Credentials) forbidToken(token string) error {
	h := sha256.Sum256([]byte(token))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forbid = &h
	if id, ok := c.byHash[h]; ok {
		return fmt.Errorf("edge %s's credential is the admin token", id)
	}
	return nil
}

// validCredentialID accepts an edge id, or an id prefix followed by '*'.
func validCredentialID(id string) bool {
	return ValidEdgeID(strings.TrimSuffix(id, "*"))
}

// Covers reports whether a credential for cid (an id, or a prefix and '*')
// may act as edge id.
func Covers(cid, id string) bool {
	if prefix, ok := strings.CutSuffix(cid, "*"); ok {
		return strings.HasPrefix(id, prefix) && ValidEdgeID(id)
	}
	return cid == id
}

// Add gives edge id (or a prefix and '*') the token (in memory; a file
// reload replaces it).
func (c *Credentials) Add(id, token string) error {
	if !validCredentialID(id) {
		return errEdgeID
	}
	if token == "" {
		return errors.New("an edge token cannot be empty")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := sha256.Sum256([]byte(token))
	if c.forbid != nil && *c.forbid == h {
		return errors.New("an edge token cannot be the admin token")
	}
	if prev, ok := c.byHash[h]; ok && prev != id {
		return fmt.Errorf("the token is already edge %s's", prev)
	} else if !ok {
		c.byHash[h] = id
		c.ids[id]++
	}
	return nil
}

// Reload reads the file again and reports whether it changed. On error the
// credentials in use stay as they were.
func (c *Credentials) Reload() (bool, error) {
	if c.path == "" {
		return false, nil
	}
	b, err := os.ReadFile(c.path)
	if err != nil {
		return false, fmt.Errorf("edge credentials: %w", err)
	}
	st, err := os.Stat(c.path)
	if err != nil {
		return false, fmt.Errorf("edge credentials: %w", err)
	}
	m, err := ParseCredentials(bytes.NewReader(b))
	if err != nil {
		return false, fmt.Errorf("edge credentials %s: %w", c.path, err)
	}
	c.mu.RLock()
	forbid := c.forbid
	c.mu.RUnlock()
	if forbid != nil {
		if id, ok := m[*forbid]; ok {
			return false, fmt.Errorf("edge credentials %s: edge %s's token is the admin token", c.path, id)
		}
	}
	c.mu.RLock()
	same := len(m) == len(c.byHash)
	for h, id := range m {
		same = same && c.byHash[h] == id
	}
	c.mu.RUnlock()
	c.set(m, fileStamp{mod: st.ModTime(), size: st.Size()})
	return !same, nil
}

// ReloadIfChanged reloads the file when its modification time or size
// changed since it was last read (a cheap stat, fit for polling).
func (c *Credentials) ReloadIfChanged() (bool, error) {
	if c.path == "" {
		return false, nil
	}
	st, err := os.Stat(c.path)
	if err != nil {
		return false, fmt.Errorf("edge credentials: %w", err)
	}
	c.mu.RLock()
	stamp := c.stamp
	c.mu.RUnlock()
	if st.ModTime().Equal(stamp.mod) && st.Size() == stamp.size {
		return false, nil
	}
	return c.Reload()
}

func (c *Credentials) set(m map[[32]byte]string, stamp fileStamp) {
	ids := map[string]int{}
	for _, id := range m {
		ids[id]++
	}
	c.mu.Lock()
	c.byHash, c.ids, c.stamp = m, ids, stamp
	c.mu.Unlock()
}

// Lookup returns the edge id bound to token.
func (c *Credentials) Lookup(token string) (string, bool) {
	return c.lookupHash(sha256.Sum256([]byte(token)))
}

func (c *Credentials) lookupHash(h [32]byte) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.byHash[h]
	return id, ok
}

// Has reports whether a credential covers edge id (then only such a
// credential may act as it).
func (c *Credentials) Has(id string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ids[id] > 0 {
		return true
	}
	for cid := range c.ids { // group credentials are few
		if strings.HasSuffix(cid, "*") && Covers(cid, id) {
			return true
		}
	}
	return false
}

// IDs returns the edge ids that have credentials, sorted.
func (c *Credentials) IDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.ids))
	for id := range c.ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
