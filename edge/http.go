package edge

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/veltrix/veltrix/edge/web"
	"github.com/veltrix/veltrix/geo"
)

func (e *Edge) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /ws", e.WS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", e.readyz)
	mux.HandleFunc("GET /v1/hunts/{id}/status", e.huntStatus)
	mux.HandleFunc("GET /v1/hunts/{id}/area", e.huntArea)
	mux.HandleFunc("GET /v1/wt", e.wtInfo)
	mux.HandleFunc("GET /v1/geo/area", e.geoArea)
	mux.HandleFunc("GET /v1/route", e.route)
	web.Register(mux)
	mux.Handle("GET /metrics", e.metrics())
	if e.cfg.Extra != nil {
		e.cfg.Extra(mux)
	}
	return mux
}

// Drain makes /readyz answer 503 (draining) while the edge keeps serving its
// players, so that a load balancer stops sending new ones before Close tells
// the connected ones to reconnect elsewhere. Close drains too.
func (e *Edge) Drain() { e.draining.Store(true) }

// readyz: ready once the coordinator stream has been heard recently, and
// not draining.
func (e *Edge) readyz(w http.ResponseWriter, _ *http.Request) {
	st := e.Link.Replica().Staleness()
	draining := e.draining.Load()
	ready := st >= 0 && st < 15*time.Second && !draining
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"ready": ready, "draining": draining, "coordinator_staleness": st.String(), "connections": e.WS.Conns()})
}

// huntStatus answers from the local replica: no coordinator round trip.
func (e *Edge) huntStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := huntParam(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "hunt id must be a positive integer"})
		return
	}
	st, ok := e.Link.Replica().Status(id, e.Core.PlayersInHunt(id))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such hunt on this edge"})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// huntArea answers the hunt's area polygon from the local replica: the
// outline the demo page draws.
func (e *Edge) huntArea(w http.ResponseWriter, r *http.Request) {
	id, ok := huntParam(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "hunt id must be a positive integer"})
		return
	}
	a, ok := e.Link.Replica().Area(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such hunt on this edge"})
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// wtInfo tells a page where WebTransport is and, with dev certificates, the
// hash to pass as serverCertificateHashes.
func (e *Edge) wtInfo(w http.ResponseWriter, _ *http.Request) {
	if e.WT == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "WebTransport is disabled on this edge"})
		return
	}
	info := map[string]string{"url": e.WTURL()}
	if e.certs != nil {
		h, err := e.certs.Hash()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		info["cert_sha256"] = base64.StdEncoding.EncodeToString(h[:])
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, info)
}

// areaCell is one cell of an interest area, for drawing.
type areaCell struct {
	Cell     string       `json:"cell"`
	Boundary [][2]float64 `json:"boundary"` // [lat, lng] vertices
}

// geoArea returns the cells of the interest area around ?lat=&lng= at the
// hunt's resolution: what the demo page draws.
func (e *Edge) geoArea(w http.ResponseWriter, r *http.Request) {
	lat, err1 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
	lng, err2 := strconv.ParseFloat(r.URL.Query().Get("lng"), 64)
	hunt, _ := strconv.ParseUint(r.URL.Query().Get("hunt"), 10, 32)
	res := 9
	if h, ok := e.Link.Replica().Hunt(uint32(hunt)); ok {
		res = h.Resolution
	}
	c, err := geo.CellOf(geo.Point{Lat: lat, Lng: lng}, res)
	if err1 != nil || err2 != nil || err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "lat and lng must be a valid position"})
		return
	}
	disk, err := geo.GridDisk(c, max(e.cfg.Radius, 1))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	out := make([]areaCell, 0, len(disk))
	for _, d := range disk {
		b, err := geo.CellBoundary(d)
		if err != nil {
			continue
		}
		ac := areaCell{Cell: d.String()}
		for _, p := range b {
			ac.Boundary = append(ac.Boundary, [2]float64{p.Lat, p.Lng})
		}
		out = append(out, ac)
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
