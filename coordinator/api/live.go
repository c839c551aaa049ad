package api

import (
	"cmp"
	_ "embed"
	"net/http"
	"slices"
	"strconv"

	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/geo"
)

// The operators' live view: GET /live is a page that holds no data (so it
// needs no token to load); it asks for the admin token (or reads it from
// the URL fragment, #token=…, which browsers never send to a server) and
// polls GET /v1/live with it, one request at a time, every few seconds
// while it is visible.
//
// GET /v1/live (admin) is this node's view: its raft state and the cluster
// configuration, each server's own raft state (asked of it), every hunt with its treasures (claimed or not) and a heat
// map of players per cell summed over the live edges' load reports, and
// every registered edge with what its latest report said.

//go:embed live.html
var livePage []byte

// MaxHeatCells bounds the heat map of one hunt in GET /v1/live: the busiest
// cells.
const MaxHeatCells = 2000

// LiveView is the body of GET /v1/live.
type LiveView struct {
	Cluster     cluster.Status `json:"cluster"`
	Replication []ServerView   `json:"replication"` // each server's own view (replication.go)
	Hunts       []LiveHunt     `json:"hunts"`
	Edges       []LiveEdge     `json:"edges"`
}

// LiveHunt is a hunt on the live view's map.
type LiveHunt struct {
	HuntSummary
	Treasures []LiveTreasure `json:"treasures"`
	Heat      []HeatCell     `json:"heat"` // busiest first
	Players   int            `json:"players_online"`
}

// LiveTreasure is a treasure's position (degrees) and whether it is claimed.
type LiveTreasure struct {
	ID      uint32  `json:"id"`
	Lat     float64 `json:"lat"`
	Lng     float64 `json:"lng"`
	Claimed bool    `json:"claimed,omitempty"`
}

// HeatCell is the players in one cell over all live edges, with the cell's
// outline ([lat, lng] vertices) to draw.
type HeatCell struct {
	Cell     string       `json:"cell"`
	Players  int          `json:"players"`
	Boundary [][2]float64 `json:"boundary"`
}

// LiveEdge is a registered edge and, when live, its latest load report.
type LiveEdge struct {
	ID         string          `json:"id"`
	Region     string          `json:"region,omitempty"`
	Live       bool            `json:"live"`
	LastSeenMS int64           `json:"last_seen_ms,omitempty"`
	Players    int             `json:"players"`
	Stats      *wire.EdgeStats `json:"stats,omitempty"`
}

func (s *Server) livePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	_, _ = w.Write(livePage)
}

func (s *Server) liveView(w http.ResponseWriter, r *http.Request) {
	v := LiveView{Cluster: s.node.Status(), Hunts: []LiveHunt{}, Edges: []LiveEdge{}}
	v.Replication = s.replication(r.Context(), v.Cluster)
	regions := map[string]string{}
	s.node.FSM().View(func(st *fsm.State) {
		for _, h := range st.Hunts {
			lh := LiveHunt{HuntSummary: summary(h), Treasures: make([]LiveTreasure, 0, len(h.Treasures)), Heat: []HeatCell{}}
			lh.Spec.Area = geo.Polygon{Outer: slices.Clone(h.Spec.Area.Outer), Holes: slices.Clone(h.Spec.Area.Holes)}
			for _, t := range sortedTreasures(h) {
				lh.Treasures = append(lh.Treasures, LiveTreasure{ID: t.ID, Lat: float64(t.Lat) / 1e7, Lng: float64(t.Lng) / 1e7, Claimed: t.Claimed()})
			}
			v.Hunts = append(v.Hunts, lh)
		}
		for id, e := range st.Edges {
			regions[id] = e.Region
			v.Edges = append(v.Edges, LiveEdge{ID: id, Region: e.Region})
		}
	})
	sortLiveHunts(v.Hunts)
	heat := s.liveEdges(v.Edges)
	for i := range v.Hunts {
		h := &v.Hunts[i]
		for cell, n := range heat[h.ID] {
			h.Players += n
			h.Heat = append(h.Heat, HeatCell{Cell: cell, Players: n})
		}
		slices.SortFunc(h.Heat, func(a, b HeatCell) int { return cmp.Or(cmp.Compare(b.Players, a.Players), cmp.Compare(a.Cell, b.Cell)) })
		h.Heat = h.Heat[:min(len(h.Heat), MaxHeatCells)]
		for j := range h.Heat {
			h.Heat[j].Boundary = boundary(h.Heat[j].Cell)
		}
	}
	slices.SortFunc(v.Edges, func(a, b LiveEdge) int { return cmp.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, v)
}

// liveEdges fills in the live edges' latest reports and returns their
// players per hunt and cell, summed.
func (s *Server) liveEdges(edges []LiveEdge) map[uint32]map[string]int {
	heat := map[uint32]map[string]int{}
	now := s.lockSwept()
	defer s.mu.Unlock()
	for i := range edges {
		l := s.live[edges[i].ID]
		if l == nil {
			continue
		}
		e := &edges[i]
		e.Live, e.LastSeenMS, e.Stats = true, now.Sub(l.seen).Milliseconds(), l.stats
		for _, n := range l.hunts {
			e.Players += n
		}
		if l.stats == nil {
			continue
		}
		for _, c := range l.stats.Cells {
			if heat[c.Hunt] == nil {
				heat[c.Hunt] = map[string]int{}
			}
			heat[c.Hunt][c.Cell] += c.Players
		}
	}
	return heat
}

// sortLiveHunts orders live hunts by id.
func sortLiveHunts(hs []LiveHunt) {
	slices.SortFunc(hs, func(a, b LiveHunt) int { return cmp.Compare(a.ID, b.ID) })
}

// boundary is the outline of a hexadecimal cell index (validated when the
// report came in).
func boundary(hex string) [][2]float64 {
	c, _ := strconv.ParseUint(hex, 16, 64)
	pts, err := geo.CellBoundary(geo.Cell(c))
	if err != nil {
		return nil
	}
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[i] = [2]float64{p.Lat, p.Lng}
	}
	return out
}
