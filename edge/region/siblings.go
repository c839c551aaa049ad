package region

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"
)

// The edges of a region announce themselves: with each heartbeat, an edge
// that knows its public URLs (Config.Self) publishes them on
// edgesSubject. Every edge keeps the announcements of its region's other
// edges and forgets an edge silent for Config.TTL (the bound after which
// its players leave: core.Config.RemoteTTL), so GET /v1/route can name the
// live edges a player may fail over to.

const edgesSubject = "veltrix.edges"

// Limits of an announcement and of the list of siblings.
const (
	maxAnnouncement = 4 << 10
	maxURLLen       = 1024 // as protocol REDIRECT's url
	maxSiblings     = 1024 // edges remembered at once; more are ignored until some expire
)

// Sibling is an edge of the region as it announces itself.
type Sibling struct {
	Origin uint32 `json:"origin"`
	Region string `json:"region,omitempty"` // the edge's -region ("" for none)
	WS     string `json:"ws"`               // its players' WebSocket URL
	WT     string `json:"wt,omitempty"`     // its WebTransport URL ("": none)
}

// ParseSibling reads an announcement, checking what a player would be
// sent to: an origin, a ws:// or wss:// URL and an optional https:// one.
func ParseSibling(b []byte) (Sibling, error) {
	var s Sibling
	if len(b) > maxAnnouncement {
		return s, fmt.Errorf("announcement of %d bytes, at most %d", len(b), maxAnnouncement)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("announcement: %w", err)
	}
	if s.Origin == 0 {
		return s, errors.New("announcement without an origin")
	}
	if err := checkURL(s.WS, "ws", "wss"); err != nil {
		return s, err
	}
	if s.WT != "" {
		return s, checkURL(s.WT, "https")
	}
	return s, nil
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil || len(s) > maxURLLen || !slices.Contains(schemes, u.Scheme) || u.Host == "" || u.User != nil {
		return fmt.Errorf("announced URL %q is not a %v URL of at most %d bytes", s, schemes, maxURLLen)
	}
	return nil
}

// siblingSet is the live list: origin → last announcement and when it came.
type siblingSet struct {
	mu   sync.Mutex // guards m
	m    map[uint32]heard
	self Sibling
	ttl  time.Duration
}

type heard struct {
	s  Sibling
	at time.Time
}

// heard records an announcement received at now; another region's and an
// unparsable one are ignored (an error says why).
func (ss *siblingSet) heard(b []byte, now time.Time) error {
	s, err := ParseSibling(b)
	if err != nil {
		return err
	}
	if s.Region != ss.self.Region || s.Origin == ss.self.Origin {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expireLocked(now)
	if _, known := ss.m[s.Origin]; !known && len(ss.m) >= maxSiblings {
		return errors.New("too many siblings")
	}
	if ss.m == nil {
		ss.m = map[uint32]heard{}
	}
	ss.m[s.Origin] = heard{s, now}
	return nil
}

func (ss *siblingSet) expireLocked(now time.Time) {
	for o, h := range ss.m {
		if now.Sub(h.at) > ss.ttl {
			delete(ss.m, o)
		}
	}
}

// live returns the siblings heard from within the TTL before now, by
// origin.
func (ss *siblingSet) live(now time.Time) []Sibling {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expireLocked(now)
	out := make([]Sibling, 0, len(ss.m))
	for _, h := range ss.m {
		out = append(out, h.s)
	}
	slices.SortFunc(out, func(a, b Sibling) int { return cmp.Compare(a.Origin, b.Origin) })
	return out
}

// Siblings returns the region's other live edges: those whose announcement
// came within Config.TTL (at most TTL + Heartbeat after one died).
func (r *Region) Siblings() []Sibling { return r.sibs.live(time.Now()) }

// announcement is s as published.
func announcement(s Sibling) []byte {
	b, _ := json.Marshal(s) // strings and a number: cannot fail
	return b
}
