package fsm

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxClaimRecords is how many claim outcomes the state remembers for
// retries, across all hunts. The oldest (lowest log index) is forgotten
// first, so every replica forgets the same ones after the same entry. At
// 5,000 claims/s it still covers about 50 s of retries; the edges'
// per-player claim rate keeps real traffic far below that. Changing it
// changes what replicas compute: it is part of the FSM's definition, like a
// command version.
const MaxClaimRecords = 1 << 18

// maxClaimRecords is MaxClaimRecords; tests lower it.
var maxClaimRecords = MaxClaimRecords

// ClaimID names a claim for deduplication: a player's request in a hunt.
// It does not name the edge, so a retry through any edge after a reconnect
// or a redirect finds the original outcome.
type ClaimID struct {
	Hunt    uint32 `json:"hunt"`
	Player  uint32 `json:"player"`
	Request uint32 `json:"request"`
}

// ClaimRecord is a remembered outcome.
type ClaimRecord struct {
	ClaimID
	Outcome Outcome `json:"outcome"`
}

// ClaimLog remembers the outcomes of the last MaxClaimRecords claims, in the
// order they were decided. Memory is bounded whatever the claim rate: about
// 100 bytes a record, 26 MB when full.
type ClaimLog struct {
	byID  map[ClaimID]Outcome
	order []ClaimID // oldest first; order[head:] is live
	head  int
}

func newClaimLog() ClaimLog { return ClaimLog{byID: map[ClaimID]Outcome{}} }

// Len is the number of remembered outcomes.
func (l *ClaimLog) Len() int { return len(l.byID) }

// Get returns the outcome remembered for id.
func (l *ClaimLog) Get(id ClaimID) (Outcome, bool) {
	o, ok := l.byID[id]
	return o, ok
}

// add remembers o for id, forgetting the oldest records beyond the bound.
func (l *ClaimLog) add(id ClaimID, o Outcome) {
	if l.byID == nil {
		l.byID = map[ClaimID]Outcome{}
	}
	l.byID[id] = o
	l.order = append(l.order, id)
	for len(l.byID) > maxClaimRecords {
		delete(l.byID, l.order[l.head])
		l.head++
	}
	// Reclaim the forgotten prefix once it is half the slice, so the
	// backing array stays within twice the bound.
	if l.head > 0 && l.head >= len(l.order)/2 {
		l.order = append(l.order[:0], l.order[l.head:]...)
		l.head = 0
	}
}

// MarshalJSON encodes the records oldest first: equal logs encode equally.
func (l ClaimLog) MarshalJSON() ([]byte, error) {
	recs := make([]ClaimRecord, 0, len(l.byID))
	for _, id := range l.order[l.head:] {
		recs = append(recs, ClaimRecord{ClaimID: id, Outcome: l.byID[id]})
	}
	return json.Marshal(recs)
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (l *ClaimLog) UnmarshalJSON(b []byte) error {
	var recs []ClaimRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return err
	}
	*l = newClaimLog()
	for _, r := range recs {
		if _, dup := l.byID[r.ClaimID]; dup {
			return fmt.Errorf("fsm: claim %+v remembered twice", r.ClaimID)
		}
		l.add(r.ClaimID, r.Outcome)
	}
	return nil
}

// clone returns a deep copy.
func (l *ClaimLog) clone() ClaimLog {
	c := ClaimLog{byID: make(map[ClaimID]Outcome, len(l.byID)), order: append([]ClaimID(nil), l.order[l.head:]...)}
	for k, v := range l.byID {
		c.byID[k] = v
	}
	return c
}

// upgradeClaims moves the per-hunt outcomes of a state written before the
// ClaimLog (keyed "edge/request", the player in the request's high 32 bits)
// into s.Claims, oldest decision first.
func upgradeClaims(s *State) error {
	var recs []ClaimRecord
	for _, h := range s.Hunts {
		for key, o := range h.LegacyClaims {
			i := strings.LastIndexByte(key, '/')
			req, err := strconv.ParseUint(key[i+1:], 10, 64)
			if err != nil {
				return fmt.Errorf("fsm: old claim key %q: %w", key, err)
			}
			recs = append(recs, ClaimRecord{ClaimID{h.ID, uint32(req >> 32), uint32(req)}, o})
		}
		h.LegacyClaims = nil
	}
	sortRecords(recs)
	for _, r := range recs {
		if _, dup := s.Claims.Get(r.ClaimID); !dup {
			s.Claims.add(r.ClaimID, r.Outcome)
		}
	}
	return nil
}

func sortRecords(recs []ClaimRecord) {
	slices.SortFunc(recs, func(a, b ClaimRecord) int {
		return cmp.Or(cmp.Compare(a.Outcome.Index, b.Outcome.Index), cmp.Compare(a.Hunt, b.Hunt),
			cmp.Compare(a.Player, b.Player), cmp.Compare(a.Request, b.Request))
	})
}
