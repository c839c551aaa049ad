package api

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/protocol/token"
)

func (s *Server) createHunt(w http.ResponseWriter, r *http.Request) {
	var req HuntRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if !validText(req.Name, fsm.MaxNameLen) {
		writeError(w, http.StatusBadRequest, "name must be 1 to %d bytes of UTF-8 text without control characters", fsm.MaxNameLen)
		return
	}
	spec := fsm.HuntSpec(req.Spec())
	seed := rand.Uint64()
	if err := spec.CheckPlacement(seed); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	entry, err := fsm.Encode(&fsm.CreateHunt{Spec: spec, Seed: seed, Time: s.now().UnixMicro()})
	res, ok := s.applyEntry(w, r, entry, err)
	if !ok {
		return
	}
	cr := res.(*fsm.CreateResult)
	if cr.Err != nil {
		writeError(w, http.StatusBadRequest, "%v", cr.Err)
		return
	}
	w.Header().Set("Location", "/v1/hunts/"+strconv.FormatUint(uint64(cr.Hunt), 10))
	writeJSON(w, http.StatusCreated, map[string]uint32{"hunt": cr.Hunt})
}

// applyEntry commits an encoded command (encErr is the encoder's error) and
// returns the state machine's response; on failure it writes the error
// response itself and returns false.
func (s *Server) applyEntry(w http.ResponseWriter, r *http.Request, entry []byte, encErr error) (any, bool) {
	if encErr != nil {
		writeError(w, http.StatusInternalServerError, "%v", encErr)
		return nil, false
	}
	res, err := s.node.Apply(r.Context(), entry)
	if err != nil {
		writeClusterError(w, err)
		return nil, false
	}
	return res, true
}

// huntID parses the {id} path segment, writing the 4xx itself.
func huntID(w http.ResponseWriter, r *http.Request) (uint32, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, "hunt id %q is not a positive integer", r.PathValue("id"))
		return 0, false
	}
	return uint32(id), true
}

func summary(h *fsm.Hunt) HuntSummary {
	return HuntSummary{ID: h.ID, Spec: wire.HuntSpec(h.Spec), State: h.State.String(), Total: len(h.Treasures), Remaining: h.Remaining,
		Leaderboard: slices.Clone(h.Leaders), Home: h.Home}
}

// setHome sets the region whose edges serve a hunt (PUT
// /v1/hunts/{id}/home, {"region": "eu-west"}; "" serves it anywhere).
func (s *Server) setHome(w http.ResponseWriter, r *http.Request) {
	id, ok := huntID(w, r)
	if !ok {
		return
	}
	var req wire.HomeRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.Region != "" && !wire.ValidRegion(req.Region) {
		writeError(w, http.StatusBadRequest, "region %q: %s", req.Region, wire.RegionRule)
		return
	}
	entry, err := fsm.Encode(&fsm.SetHome{Hunt: id, Region: req.Region, Time: s.now().UnixMicro()})
	res, ok := s.applyEntry(w, r, entry, err)
	if !ok {
		return
	}
	if huntError(w, res, http.StatusBadRequest) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hunt": id, "home": req.Region})
}

func (s *Server) listHunts(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.readBarrier(w, r, s.listHunts); !ok {
		return
	}
	out := []HuntSummary{}
	s.node.FSM().View(func(st *fsm.State) {
		for _, h := range st.Hunts {
			out = append(out, summary(h))
		}
	})
	sortHunts(out)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getHunt(w http.ResponseWriter, r *http.Request) {
	id, ok := huntID(w, r)
	if !ok {
		return
	}
	if _, ok := s.readBarrier(w, r, s.getHunt); !ok {
		return
	}
	var d *HuntDetail
	s.node.FSM().View(func(st *fsm.State) {
		if h := st.Hunts[id]; h != nil {
			d = &HuntDetail{HuntSummary: summary(h), Treasures: sortedTreasures(h)}
		}
	})
	if d == nil {
		writeError(w, http.StatusNotFound, "no hunt %d", id)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// transition serves start, stop and delete.
func (s *Server) transition(w http.ResponseWriter, r *http.Request) {
	id, ok := huntID(w, r)
	if !ok {
		return
	}
	kind := fsm.KindDeleteHunt
	switch {
	case r.Method != http.MethodPost:
	case strings.HasSuffix(r.URL.Path, "/start"):
		kind = fsm.KindStartHunt
	default:
		kind = fsm.KindEndHunt
	}
	entry, err := fsm.EncodeTransition(kind, fsm.HuntTransition{Hunt: id, Time: s.now().UnixMicro()})
	res, ok := s.applyEntry(w, r, entry, err)
	if !ok {
		return
	}
	if huntError(w, res, http.StatusConflict) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint32{"hunt": id})
}

// huntError writes the error a hunt command's response res carries, if
// any: 404 for a hunt that does not exist, status otherwise.
func huntError(w http.ResponseWriter, res any, status int) bool {
	err, _ := res.(error)
	if err == nil {
		return false
	}
	if errors.Is(err, fsm.ErrNoSuchHunt) {
		status = http.StatusNotFound
	}
	writeError(w, status, "%v", err)
	return true
}

func (s *Server) clusterStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.node.Status())
}

// StateDigest identifies this replica's whole state at an applied index:
// replicas at the same index must have the same digest.
type StateDigest struct {
	Node    string `json:"node"`
	Applied uint64 `json:"applied_index"`
	SHA256  string `json:"sha256"`
}

func (s *Server) stateDigest(w http.ResponseWriter, _ *http.Request) {
	applied, sum := s.node.FSM().Digest()
	writeJSON(w, http.StatusOK, StateDigest{Node: s.node.ID(), Applied: applied, SHA256: hex.EncodeToString(sum[:])})
}

// VoterRequest is the body of POST /v1/cluster/voters.
type VoterRequest struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	APIAddr  string `json:"api_addr,omitempty"`
}

func (s *Server) addVoter(w http.ResponseWriter, r *http.Request) {
	var req VoterRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if _, err := cluster.ParsePeers(req.ID + "=" + req.RaftAddr); err != nil || req.ID == "" {
		writeError(w, http.StatusBadRequest, "voter needs an id and a raft_addr host:port")
		return
	}
	if err := s.node.AddVoter(r.Context(), req.ID, req.RaftAddr, req.APIAddr); err != nil {
		writeClusterError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.node.Status())
}

func (s *Server) removeServer(w http.ResponseWriter, r *http.Request) {
	if err := s.node.RemoveServer(r.Context(), r.PathValue("id")); err != nil {
		writeClusterError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.node.Status())
}

func (s *Server) mintToken(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SigningKey == nil {
		writeError(w, http.StatusNotFound, "this node has no token signing key")
		return
	}
	var req TokenRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	ttl := time.Duration(req.TTLSeconds) * time.Second
	if req.TTLSeconds == 0 {
		ttl = time.Hour
	}
	if req.Player == 0 || req.Hunt == 0 || ttl <= 0 || ttl > 7*24*time.Hour {
		writeError(w, http.StatusBadRequest, "player and hunt must be positive and ttl_seconds within 1..604800")
		return
	}
	tok, err := token.Mint(s.cfg.SigningKey, req.Player, req.Hunt, req.Name, s.now(), ttl)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (s *Server) publicKey(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.SigningKey == nil {
		writeError(w, http.StatusNotFound, "this node has no token signing key")
		return
	}
	pem, err := token.EncodePublicKey(s.cfg.SigningKey.Public().(ed25519.PublicKey))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(pem)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is ready when a leader is known and this node has heard from it
// recently: it can then serve reads and forward writes.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	id, api := s.node.Leader()
	stale := s.node.Staleness()
	if id == "" || api == "" || stale > 5*time.Second {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "leader": id, "staleness": stale.String()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ready": true, "leader": id, "staleness": stale.String()})
}
