package fsm

import (
	"maps"
	"slices"

	"github.com/veltrix/veltrix/geo"
)

// clone returns a deep copy of s that shares nothing Apply mutates: the
// snapshot and digest encode it outside the FSM's lock. Map and slice
// copies are memory copies (strings are immutable and shared), so it costs
// a fraction of encoding. TestCloneSharesNothing fails when a new map or
// slice field is added to the state without being copied here.
func (s *State) clone() *State {
	c := *s
	c.Hunts = make(map[uint32]*Hunt, len(s.Hunts))
	for id, h := range s.Hunts {
		c.Hunts[id] = h.clone()
	}
	c.Edges = maps.Clone(s.Edges)
	for id, e := range c.Edges {
		e.URLs = slices.Clone(e.URLs)
		c.Edges[id] = e
	}
	c.Nodes = maps.Clone(s.Nodes)
	c.Events = s.Events.clone()
	c.Claims = s.Claims.clone()
	return &c
}

func (h *Hunt) clone() *Hunt {
	c := *h
	c.Spec.Area = clonePolygon(h.Spec.Area)
	c.Treasures = maps.Clone(h.Treasures)
	c.Scores = maps.Clone(h.Scores)
	c.Leaders = slices.Clone(h.Leaders)
	c.LegacyClaims = maps.Clone(h.LegacyClaims)
	return &c
}

func clonePolygon(p geo.Polygon) geo.Polygon {
	c := geo.Polygon{Outer: slices.Clone(p.Outer)}
	if p.Holes != nil {
		c.Holes = make([][]geo.Point, len(p.Holes))
		for i, h := range p.Holes {
			c.Holes[i] = slices.Clone(h)
		}
	}
	return c
}

// clone copies the retained window only.
func (l EventLog) clone() EventLog {
	l.items, l.off = slices.Clone(l.Window()), 0
	return l
}
