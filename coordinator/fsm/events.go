package fsm

import (
	"encoding/json"

	"github.com/veltrix/veltrix/coordinator/wire"
)

// EventKind says what an Event records (wire.EventKind).
type EventKind = wire.EventKind

// Event kinds.
const (
	EventTreasureClaimed = wire.EventTreasureClaimed
	EventTreasurePlaced  = wire.EventTreasurePlaced
	EventHuntStarted     = wire.EventHuntStarted
	EventHuntEnded       = wire.EventHuntEnded
	EventScoreChanged    = wire.EventScoreChanged
	EventHuntCreated     = wire.EventHuntCreated
	EventHuntDeleted     = wire.EventHuntDeleted
	EventHuntHomed       = wire.EventHuntHomed
)

// Event is one entry of the ordered event log edges follow (wire.Event).
type Event = wire.Event

// DefaultEventCap is how many recent events the log keeps. An edge that asks
// for events older than that gets a state snapshot first.
const DefaultEventCap = 1 << 16

// EventLog keeps the most recent Cap events. Its JSON form is the logical
// window only, so replicas with the same events encode identically.
type EventLog struct {
	Cap     int
	items   []Event // the window is items[off:]
	off     int
	dropped uint64 // highest Index of a dropped event
}

// Append adds e, dropping the oldest event past Cap.
func (l *EventLog) Append(e Event) {
	l.items = append(l.items, e)
	if len(l.items)-l.off > l.Cap {
		l.dropped = l.items[l.off].Index
		l.off++
	}
	if l.off > l.Cap { // compact: amortised O(1) per event
		l.items = append(l.items[:0], l.items[l.off:]...)
		l.off = 0
	}
}

// Window returns the retained events, oldest first. The slice is shared:
// callers copy what they keep beyond the FSM's read lock.
func (l *EventLog) Window() []Event { return l.items[l.off:] }

// After returns the retained events with Index > index, and whether the log
// still holds everything after index (false: events were dropped and the
// caller needs a snapshot first).
func (l *EventLog) After(index uint64) ([]Event, bool) {
	w := l.Window()
	lo, hi := 0, len(w)
	for lo < hi { // first event with Index > index
		mid := (lo + hi) / 2
		if w[mid].Index <= index {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return w[lo:], l.dropped <= index
}

type eventLogJSON struct {
	Cap     int     `json:"cap"`
	Dropped uint64  `json:"dropped"`
	Events  []Event `json:"events"`
}

// MarshalJSON encodes the window.
func (l EventLog) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventLogJSON{Cap: l.Cap, Dropped: l.dropped, Events: l.Window()})
}

// UnmarshalJSON restores a window.
func (l *EventLog) UnmarshalJSON(b []byte) error {
	var v eventLogJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = EventLog{Cap: v.Cap, items: v.Events, dropped: v.Dropped}
	if l.Cap <= 0 {
		l.Cap = DefaultEventCap
	}
	return nil
}
