package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/veltrix/veltrix/coordinator/cluster"
)

// forwardedHeader marks a request a follower forwarded; a node that gets one
// and does not lead answers 503 rather than forwarding again (no loops).
const forwardedHeader = "X-Veltrix-Forwarded-By"

// leaderOnly runs h on the leader and forwards the request to the leader
// from any other node.
func (s *Server) leaderOnly(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.node.IsLeader() {
			h(w, r)
			return
		}
		if r.Header.Get(forwardedHeader) != "" {
			writeClusterError(w, cluster.ErrNotLeader)
			return
		}
		id, api := s.node.Leader()
		switch {
		case id == "":
			writeClusterError(w, cluster.ErrNoQuorum)
		case api == "":
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "leader %s has not published its API address yet", id)
		default:
			s.forward(w, r, api)
		}
	})
}

// forward replays r against the leader's API at addr and copies the answer.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, addr string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", s.cfg.MaxBody)
		return
	}
	url := fmt.Sprintf("%s://%s%s", s.cfg.Scheme, addr, r.URL.RequestURI())
	out, err := http.NewRequestWithContext(r.Context(), r.Method, url, bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot forward: %v", err)
		return
	}
	for _, h := range []string{"Authorization", "Content-Type", "Accept"} {
		if v := r.Header.Get(h); v != "" {
			out.Header.Set(h, v)
		}
	}
	out.Header.Set(forwardedHeader, s.node.ID())
	resp, err := s.cfg.Forward.Do(out)
	if err != nil {
		s.metrics.forwards.WithLabelValues("error").Inc()
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusBadGateway, "cannot reach the leader at %s: %v", addr, err)
		return
	}
	defer resp.Body.Close()
	s.metrics.forwards.WithLabelValues("ok").Inc()
	for _, h := range []string{"Content-Type", "Retry-After", "Location"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
