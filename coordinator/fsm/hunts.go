package fsm

import (
	"errors"
	"fmt"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/geo"
)

// Errors a command's response can carry.
var (
	ErrNoSuchHunt    = errors.New("no such hunt")
	ErrBadTransition = errors.New("hunt is not in a state that allows this")
	ErrInvalidSpec   = errors.New("invalid hunt")
	ErrInvalidRegion = errors.New("invalid region")
)

// Limits of a hunt spec.
const (
	MaxNameLen     = 128
	MaxTreasures   = 100_000
	MaxSpacing     = 64
	MaxClaimRadius = 16
	MinResolution  = 5
	MaxResolution  = 13
	DefaultPoints  = 100
	// A hunt's position budget, when set, lies in MinPositionBudget ..
	// MaxPositionBudget bytes per second (edge/core.MinPositionBudget is
	// the edge's floor).
	MinPositionBudget = 1 << 10
	MaxPositionBudget = 1 << 20
)

// CreateResult is the response to CreateHunt.
type CreateResult struct {
	Hunt uint32
	Err  error
}

// Validate says what is wrong with s in words, or returns nil. It does not
// place treasures; CheckPlacement does.
func (s *HuntSpec) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, a...))
	}
	switch {
	case s.Name == "" || len(s.Name) > MaxNameLen:
		return bad("name must be 1 to %d bytes", MaxNameLen)
	case s.Resolution < MinResolution || s.Resolution > MaxResolution:
		return bad("resolution %d is outside %d..%d", s.Resolution, MinResolution, MaxResolution)
	case s.Treasures < 1 || s.Treasures > MaxTreasures:
		return bad("treasures %d is outside 1..%d", s.Treasures, MaxTreasures)
	case s.MinSpacing < 0 || s.MinSpacing > MaxSpacing:
		return bad("min_spacing %d is outside 0..%d", s.MinSpacing, MaxSpacing)
	case s.ClaimRadius < 0 || s.ClaimRadius > MaxClaimRadius:
		return bad("claim_radius %d is outside 0..%d", s.ClaimRadius, MaxClaimRadius)
	case s.Respawn != "" && s.Respawn != RespawnNone && s.Respawn != RespawnAfter:
		return bad("respawn %q is not %q or %q", s.Respawn, RespawnNone, RespawnAfter)
	case s.PositionBudget != 0 && (s.PositionBudget < MinPositionBudget || s.PositionBudget > MaxPositionBudget):
		return bad("position_budget %d is outside %d..%d bytes per second (0: the edges' own)", s.PositionBudget, MinPositionBudget, MaxPositionBudget)
	case s.Starts < 0 || s.Ends < 0 || (s.Starts != 0 && s.Ends != 0 && s.Ends <= s.Starts):
		return bad("schedule must end after it starts")
	}
	if err := s.Area.Validate(); err != nil {
		return bad("area: %v", err)
	}
	return nil
}

func (s *HuntSpec) placement(seed uint64) geo.PlacementSpec {
	return geo.PlacementSpec{Area: s.Area, Resolution: s.Resolution, Count: s.Treasures, MinSpacing: s.MinSpacing, Seed: seed}
}

// CheckPlacement validates s and places its treasures as CreateHunt will, so
// that a hunt whose area cannot hold them is refused before anything is
// written to the log.
func (s *HuntSpec) CheckPlacement(seed uint64) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if _, err := geo.Place(s.placement(seed)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	return nil
}

func (f *FSM) createHuntLocked(index uint64, c *CreateHunt) *CreateResult {
	if err := c.Spec.Validate(); err != nil {
		return &CreateResult{Err: err}
	}
	placed, err := geo.Place(c.Spec.placement(c.Seed))
	if err != nil {
		return &CreateResult{Err: fmt.Errorf("%w: %v", ErrInvalidSpec, err)}
	}
	if c.Spec.Points == 0 {
		c.Spec.Points = DefaultPoints
	}
	if c.Spec.Respawn == "" {
		c.Spec.Respawn = RespawnNone
	}
	h := &Hunt{
		ID: f.s.NextHunt, Spec: c.Spec, State: Scheduled,
		Treasures: make(map[uint32]Treasure, len(placed)), Remaining: len(placed),
		Scores: map[uint32]uint32{}, Leaders: []Leader{},
	}
	f.s.NextHunt++
	for _, p := range placed {
		f.addTreasureLocked(h, p)
	}
	f.s.Hunts[h.ID] = h
	f.emit(Event{Index: index, Kind: EventHuntCreated, Hunt: h.ID, Time: c.Time})
	return &CreateResult{Hunt: h.ID}
}

func (f *FSM) addTreasureLocked(h *Hunt, p geo.Treasure) Treasure {
	lat, lng := p.Point.E7()
	t := Treasure{ID: f.s.NextTreasure, Cell: uint64(p.Cell), Lat: lat, Lng: lng, Points: h.Spec.Points}
	f.s.NextTreasure++
	h.Treasures[t.ID] = t
	if ix := f.derived[h.ID]; ix != nil {
		ix.occupied[t.Cell] = t.ID
	}
	return t
}

func (f *FSM) transitionLocked(index uint64, k Kind, c *HuntTransition) error {
	h := f.s.Hunts[c.Hunt]
	if h == nil {
		return fmt.Errorf("hunt %d: %w", c.Hunt, ErrNoSuchHunt)
	}
	ev := Event{Index: index, Hunt: h.ID, Time: c.Time}
	switch {
	case k == KindStartHunt && h.State == Scheduled:
		h.State, h.Started, ev.Kind = Active, c.Time, EventHuntStarted
	case k == KindEndHunt && h.State != Ended:
		f.endHuntLocked(index, h, c.Time)
		return nil
	case k == KindDeleteHunt:
		delete(f.s.Hunts, h.ID)
		delete(f.derived, h.ID)
		ev.Kind = EventHuntDeleted
	default:
		return fmt.Errorf("hunt %d is %v: %w", h.ID, h.State, ErrBadTransition)
	}
	f.emit(ev)
	return nil
}

// setHomeLocked moves a hunt to another home region (EventHuntHomed); a
// hunt already there is left alone, without an event.
func (f *FSM) setHomeLocked(index uint64, c *SetHome) error {
	if c.Region != "" && !wire.ValidRegion(c.Region) {
		return fmt.Errorf("%w: %q: %s", ErrInvalidRegion, c.Region, wire.RegionRule)
	}
	h := f.s.Hunts[c.Hunt]
	if h == nil {
		return fmt.Errorf("hunt %d: %w", c.Hunt, ErrNoSuchHunt)
	}
	if h.Home == c.Region {
		return nil
	}
	h.Home = c.Region
	f.emit(Event{Index: index, Kind: EventHuntHomed, Hunt: h.ID, Region: c.Region, Time: c.Time})
	return nil
}

func (f *FSM) endHuntLocked(index uint64, h *Hunt, now int64) {
	h.State, h.Ended = Ended, now
	f.emit(Event{Index: index, Kind: EventHuntEnded, Hunt: h.ID, Time: now})
}

// emit appends e to the event log, numbering it within its entry.
func (f *FSM) emit(e Event) {
	e.Seq = 0
	if w := f.s.Events.Window(); len(w) > 0 && w[len(w)-1].Index == e.Index {
		e.Seq = w[len(w)-1].Seq + 1
	}
	f.s.Events.Append(e)
}
