package edge

import (
	"net/http"
	"strconv"

	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol/client"
)

// Routing: GET /v1/route answers where a player connects; the router sends
// HELLOs elsewhere (REDIRECT) for hunts homed in another region and, while
// the edge drains, to its sibling edges.

// route answers GET /v1/route?hunt=&lat=&lng= (each optional; lat and lng
// together): the hunt's home region, else the region whose cell holds the
// position, else this edge's region, with its entry points.
func (e *Edge) route(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var hunt uint64
	if v := q.Get("hunt"); v != "" {
		var err error
		if hunt, err = strconv.ParseUint(v, 10, 32); err != nil || hunt == 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "hunt must be a positive 32-bit integer"})
			return
		}
	}
	var p *geo.Point
	if q.Has("lat") || q.Has("lng") {
		lat, err1 := strconv.ParseFloat(q.Get("lat"), 64)
		lng, err2 := strconv.ParseFloat(q.Get("lng"), 64)
		p = &geo.Point{Lat: lat, Lng: lng}
		if err1 != nil || err2 != nil || p.Validate() != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "lat and lng go together and must be a valid position in degrees"})
			return
		}
	}
	home, _ := e.Link.Replica().Home(uint32(hunt))
	name, reg, ok := e.table.Route(home, p, e.cfg.Region)
	out := client.Route{Region: name, WS: reg.WS, WT: reg.WT, Hunt: uint32(hunt), Home: home != ""}
	if !ok {
		if name != e.cfg.Region {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "region " + strconv.Quote(name) + " is not in this edge's routing table"})
			return
		}
		out.WS, out.WT = e.WSURL(), e.WTURL() // this edge's region, not in the table: this edge
	}
	out.Alternates = e.alternates(reg, ok)
	w.Header().Set("Access-Control-Allow-Origin", "*") // public, and asked by pages of other regions
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// alternates are where a player of the route's region fails over to: the
// region's load balancer when the table names it (reg, ok), else (this
// edge's own region, route answering with this edge) its other live edges,
// as they announce themselves over NATS (edge/region).
func (e *Edge) alternates(reg geo.Region, ok bool) []client.Alternate {
	if ok {
		return []client.Alternate{{WS: reg.WS, WT: reg.WT}}
	}
	var out []client.Alternate
	for _, s := range e.Region.Siblings() {
		out = append(out, client.Alternate{WS: s.WS, WT: s.WT})
	}
	return out
}

// router implements core.Router for the edge.
type router struct{ e *Edge }

// Redirect sends a player elsewhere: while draining, to a sibling edge
// (chosen by player, so that the players spread evenly); for a hunt homed
// in another region the table knows, to that region.
func (rt router) Redirect(hunt, player uint32, webTransport bool) string {
	e := rt.e
	if e.draining.Load() && len(e.siblings) > 0 {
		return pick(e.siblings[int(player)%len(e.siblings)], webTransport)
	}
	home, ok := e.Link.Replica().Home(hunt)
	if !ok || e.cfg.Region == "" || home == e.cfg.Region {
		return ""
	}
	if reg, ok := e.table.Region(home); ok {
		return pick(reg, webTransport)
	}
	return "" // a region the table does not name: served here if this edge holds the hunt
}

// pick is r's URL for a session over WebTransport or not (WebSocket when r
// has no WebTransport URL: the clients follow either).
func pick(r geo.Region, webTransport bool) string {
	if webTransport && r.WT != "" {
		return r.WT
	}
	return r.WS
}
