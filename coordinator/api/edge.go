package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

// heartbeatEvery is how often an idle stream proves it is alive.
const heartbeatEvery = 5 * time.Second

// events streams the event log from ?from=INDEX (the last index the edge has
// processed; 0 or absent for a fresh edge). An edge too far behind for the
// retained log — or a fresh one — first gets a snapshot of the state, then
// the events after it. With ?region=NAME it carries only the hunts homed
// in NAME or nowhere (wire.StreamMessage). Any node serves it from its own
// replica.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	from, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	if err != nil && r.URL.Query().Get("from") != "" {
		writeError(w, http.StatusBadRequest, "from %q is not a log index", r.URL.Query().Get("from"))
		return
	}
	region := r.URL.Query().Get("region")
	if region != "" && !wire.ValidRegion(region) {
		writeError(w, http.StatusBadRequest, "region %q: %s", region, wire.RegionRule)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	s.metrics.followers.Inc()
	defer s.metrics.followers.Dec()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	for {
		changed := s.node.FSM().Changed()
		msgs := s.nextMessages(&from, region)
		for i := range msgs {
			if enc.Encode(&msgs[i]) != nil {
				return
			}
		}
		flusher.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-beat.C:
			if enc.Encode(StreamMessage{Type: "heartbeat", Index: from}) != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// nextMessages returns what an edge that has processed *from needs next, of
// region's hunts ("": all), and advances *from to the applied index they
// bring it to.
func (s *Server) nextMessages(from *uint64, region string) []StreamMessage {
	var out []StreamMessage
	s.node.FSM().View(func(st *fsm.State) {
		evs, complete := st.Events.After(*from)
		if *from == 0 || !complete {
			out = append(out, snapshotMessage(st, region))
		} else {
			for i := range evs {
				if m, ok := eventMessage(st, evs[i], region); ok {
					out = append(out, m)
				}
			}
		}
		*from = st.Applied
	})
	return out
}

// serves reports whether a stream for region carries hunt h: every hunt
// without a region, and those homed in it or nowhere with one. A deleted
// hunt's events (h nil) go to every stream.
func serves(h *fsm.Hunt, region string) bool {
	return region == "" || h == nil || h.Home == "" || h.Home == region
}

// eventMessage is e as a stream line for region, or false when that
// stream leaves it out. Filtering goes by the hunt's home now, not when
// the event happened: a hunt that moved in gets its whole state with the
// move, and the events before it repeat part of it (replicas apply them
// idempotently).
func eventMessage(st *fsm.State, e fsm.Event, region string) (StreamMessage, bool) {
	h := st.Hunts[e.Hunt]
	if e.Kind != fsm.EventHuntHomed && !serves(h, region) {
		return StreamMessage{}, false
	}
	m := StreamMessage{Type: "event", Event: &e}
	if h != nil && (e.Kind == fsm.EventHuntCreated || e.Kind == fsm.EventHuntHomed && region != "" && serves(h, region)) {
		// The hunt as it is now: later events of it may repeat what it
		// already shows; replicas apply them idempotently.
		m.Hunts = []HuntDetail{{HuntSummary: summary(h), Treasures: sortedTreasures(h)}}
	}
	return m, true
}

func snapshotMessage(st *fsm.State, region string) StreamMessage {
	m := StreamMessage{Type: "snapshot", Index: st.Applied, Hunts: []HuntDetail{}, Edges: []fsm.Edge{}}
	for _, h := range st.Hunts {
		if !serves(h, region) {
			if m.Homes == nil {
				m.Homes = map[uint32]string{}
			}
			m.Homes[h.ID] = h.Home
			continue
		}
		m.Hunts = append(m.Hunts, HuntDetail{HuntSummary: summary(h), Treasures: sortedTreasures(h)})
	}
	slices.SortFunc(m.Hunts, func(a, b HuntDetail) int { return int(a.ID) - int(b.ID) })
	for _, e := range st.Edges {
		m.Edges = append(m.Edges, e)
	}
	slices.SortFunc(m.Edges, func(a, b fsm.Edge) int {
		return bytes.Compare([]byte(a.ID), []byte(b.ID))
	})
	return m
}

// claims judges each claim on its own: a request is refused whole (400)
// only when the edge itself wrote it wrong (no claims, too many, no edge
// id); a claim a player got wrong (no such treasure, hunt or player) is
// answered unknown alone and never enters the log, so it cannot fail the
// honest claims batched with it.
func (s *Server) claims(w http.ResponseWriter, r *http.Request) {
	var req ClaimsRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if err := validateClaims(req.Claims); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	for i := range req.Claims {
		if !s.actsAs(w, r, req.Claims[i].Edge) {
			return
		}
	}
	outs := make([]fsm.Outcome, len(req.Claims))
	valid := make([]fsm.Claim, 0, len(req.Claims))
	for i, c := range req.Claims {
		if c.Hunt == 0 || c.Treasure == 0 || c.Player == 0 {
			outs[i] = fsm.Outcome{Code: protocol.OutcomeUnknown, Treasure: c.Treasure}
			continue
		}
		valid = append(valid, c)
	}
	start := time.Now()
	if len(valid) > 0 {
		decided, err := s.node.SubmitClaims(r.Context(), valid)
		if err != nil {
			writeClusterError(w, err)
			return
		}
		s.metrics.claimLatency.Observe(time.Since(start).Seconds())
		for i := range outs {
			if outs[i].Code == 0 {
				outs[i], decided = decided[0], decided[1:]
			}
		}
	}
	for _, o := range outs {
		s.metrics.claims.WithLabelValues(outcomeName(o.Code)).Inc()
	}
	writeJSON(w, http.StatusOK, ClaimsResponse{Outcomes: outs})
}

// validateClaims checks what the edge itself writes into a request.
func validateClaims(cs []fsm.Claim) error {
	if len(cs) == 0 || len(cs) > MaxClaimsPerRequest {
		return fmt.Errorf("a request carries 1 to %d claims, not %d", MaxClaimsPerRequest, len(cs))
	}
	for i, c := range cs {
		if c.Edge == "" || len(c.Edge) > 255 {
			return fmt.Errorf("claim %d: an edge id of 1 to 255 bytes is required", i)
		}
	}
	return nil
}

// registerEdge records the edge in the replicated registry. A second live
// edge under the same id (another instance while the first still reports)
// is refused with 409 until the first has been silent for LoadTTL.
func (s *Server) registerEdge(w http.ResponseWriter, r *http.Request) {
	var e fsm.Edge
	if !s.readJSON(w, r, &e) {
		return
	}
	if err := checkEdge(&e); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.actsAs(w, r, e.ID) {
		return
	}
	s.regMu.Lock()
	defer s.regMu.Unlock()
	var prev fsm.Edge
	var known bool
	var n int
	s.node.FSM().View(func(st *fsm.State) { prev, known = st.Edges[e.ID]; n = len(st.Edges) })
	if !known && n >= s.cfg.MaxEdges {
		writeError(w, http.StatusForbidden, "the coordinators hold %d registered edges, the limit", n)
		return
	}
	if known && prev.Instance != e.Instance {
		if ago, live := s.liveFor(e.ID, prev.Instance); live {
			writeError(w, http.StatusConflict, "edge %s is live as another instance (it reported %v ago): a second edge with this id is refused until the first has been silent for %v",
				e.ID, ago.Round(time.Millisecond), s.cfg.LoadTTL)
			return
		}
	}
	e.Since = s.now().UnixMicro()
	entry, err := fsm.Encode(&fsm.RegisterEdge{Edge: e})
	if _, ok := s.applyEntry(w, r, entry, err); ok {
		s.touch(e.ID, e.Instance, nil, nil)
		// The other nodes learn the instance is live (best effort: one
		// that has not applied the registration yet waits for the first
		// load report).
		s.fanOutLoad(r.Header.Get("Authorization"), LoadReport{Edge: e.ID, Instance: e.Instance})
		writeJSON(w, http.StatusOK, e)
	}
}

// checkEdge validates a registration's fields.
func checkEdge(e *fsm.Edge) error {
	switch {
	case !ValidEdgeID(e.ID):
		return errEdgeID
	case !ValidEdgeID(e.Instance):
		return errors.New("an edge registers with its instance: 1 to 64 letters, digits, '.', '_' or '-', new at every start")
	case e.Region != "" && !validText(e.Region, 64):
		return errors.New("a region is up to 64 bytes of UTF-8 text without control characters")
	case len(e.URLs) == 0 || len(e.URLs) > 16:
		return errors.New("an edge has 1 to 16 urls")
	}
	for _, u := range e.URLs {
		if !validText(u, 2048) {
			return errors.New("a url is 1 to 2048 bytes of UTF-8 text without control characters")
		}
	}
	return nil
}

// reportLoad keeps an edge's load report as soft state (never in the log)
// and passes it on to the other nodes so that any node's status counts it.
// Only the registered instance of a registered edge reports, within
// MaxPlayersPerEdge; a report counts for LoadTTL.
func (s *Server) reportLoad(w http.ResponseWriter, r *http.Request) {
	var rep LoadReport
	if !s.readJSON(w, r, &rep) {
		return
	}
	if err := s.checkLoad(&rep); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.actsAs(w, r, rep.Edge) {
		return
	}
	var reg fsm.Edge
	var known bool
	s.node.FSM().View(func(st *fsm.State) { reg, known = st.Edges[rep.Edge] })
	switch {
	case !known:
		writeError(w, http.StatusConflict, "edge %s is not registered: register first", rep.Edge)
		return
	case reg.Instance != rep.Instance:
		writeError(w, http.StatusConflict, "edge %s is registered by another instance: register again (refused while that one is live)", rep.Edge)
		return
	}
	if rep.Leaving {
		s.forget(rep.Edge, rep.Instance)
	} else {
		s.touch(rep.Edge, rep.Instance, rep.Hunts, rep.Stats)
	}
	if r.Header.Get(forwardedHeader) == "" {
		s.fanOutLoad(r.Header.Get("Authorization"), rep)
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkLoad validates a load report: a plausible count of players.
func (s *Server) checkLoad(rep *LoadReport) error {
	if !ValidEdgeID(rep.Edge) || !ValidEdgeID(rep.Instance) {
		return errors.New("a load report needs a valid edge id and instance")
	}
	if len(rep.Hunts) > MaxHuntsPerReport {
		return fmt.Errorf("a load report carries at most %d hunts", MaxHuntsPerReport)
	}
	total := 0
	for h, n := range rep.Hunts {
		if h == 0 || n < 0 || n > s.cfg.MaxPlayersPerEdge {
			return fmt.Errorf("hunt %d: %d players is not within 0..%d per edge", h, n, s.cfg.MaxPlayersPerEdge)
		}
		if total += n; total > s.cfg.MaxPlayersPerEdge {
			return fmt.Errorf("more than %d players on one edge", s.cfg.MaxPlayersPerEdge)
		}
	}
	if rep.Stats != nil {
		return s.checkStats(rep.Stats)
	}
	return nil
}

// checkStats validates a load report's stats: bounded maps of short keys,
// counts within the players an edge may have, valid cells.
func (s *Server) checkStats(st *wire.EdgeStats) error {
	if len(st.Connections) > wire.MaxStatKeys || len(st.Drops) > wire.MaxStatKeys || len(st.Closes) > wire.MaxStatKeys {
		return fmt.Errorf("stats carry at most %d keys per map", wire.MaxStatKeys)
	}
	for _, m := range []map[string]uint64{st.Drops, st.Closes} {
		for k := range m {
			if !validText(k, wire.MaxStatKeyLen) {
				return fmt.Errorf("stat key %q is not 1 to %d bytes of text", k, wire.MaxStatKeyLen)
			}
		}
	}
	for k, n := range st.Connections {
		if !validText(k, wire.MaxStatKeyLen) || n < 0 || n > s.cfg.MaxPlayersPerEdge {
			return fmt.Errorf("connections %q: %d is not within 0..%d", k, n, s.cfg.MaxPlayersPerEdge)
		}
	}
	if st.TickMS < 0 || st.TickMS > 3_600_000 {
		return fmt.Errorf("tick time %v ms is not plausible", st.TickMS)
	}
	if len(st.Cells) > wire.MaxCellsPerReport {
		return fmt.Errorf("stats carry at most %d cells", wire.MaxCellsPerReport)
	}
	for _, c := range st.Cells {
		cell, err := strconv.ParseUint(c.Cell, 16, 64)
		if err != nil || !geo.Cell(cell).IsValid() || c.Hunt == 0 || c.Players < 0 || c.Players > s.cfg.MaxPlayersPerEdge {
			return fmt.Errorf("cell %q of hunt %d with %d players is not a valid cell count", c.Cell, c.Hunt, c.Players)
		}
	}
	return nil
}

// fanOutLoad sends rep to every other node, best effort, in the background.
func (s *Server) fanOutLoad(auth string, rep LoadReport) {
	body, _ := json.Marshal(rep)
	for _, peer := range s.node.Status().Servers {
		if peer.ID == s.node.ID() || peer.API == "" {
			continue
		}
		go func(api string) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Scheme+"://"+api+"/v1/edge/load", bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(forwardedHeader, s.node.ID())
			if resp, err := s.cfg.Forward.Do(req); err == nil {
				resp.Body.Close()
			}
		}(peer.API)
	}
}
