package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/coordinator/fsm"
	"github.com/veltrix/veltrix/protocol"
)

type metrics struct {
	reg          *prometheus.Registry
	claims       *prometheus.CounterVec
	claimLatency prometheus.Histogram
	followers    prometheus.Gauge
	forwards     *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, node *cluster.Node, _ *Server) *metrics {
	m := &metrics{
		reg: reg,
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veltrix_coordinator_claims_total", Help: "Claims decided, by outcome.",
		}, []string{"outcome"}),
		claimLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "veltrix_coordinator_claim_apply_seconds",
			Help:    "Time from receiving a claims request to its batch being committed and applied.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		followers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veltrix_coordinator_stream_followers", Help: "Edges following the event stream of this node.",
		}),
		forwards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veltrix_coordinator_forwards_total", Help: "Requests forwarded to the leader, by result.",
		}, []string{"result"}),
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	if c := node.StoreMetrics(); c != nil {
		reg.MustRegister(c)
	}
	reg.MustRegister(m.claims, m.claimLatency, m.followers, m.forwards,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		gauge("veltrix_coordinator_is_leader", "1 if this node leads the raft cluster.", func() float64 {
			if node.IsLeader() {
				return 1
			}
			return 0
		}),
		gauge("veltrix_coordinator_raft_term", "Current raft term.", func() float64 { return float64(node.Status().Term) }),
		gauge("veltrix_coordinator_raft_commit_index", "Raft commit index.", func() float64 { return float64(node.Status().CommitIndex) }),
		gauge("veltrix_coordinator_raft_applied_index", "Raft applied index.", func() float64 { return float64(node.Status().AppliedIndex) }),
		gauge("veltrix_coordinator_staleness_seconds", "Time since this node last heard from the leader (0 on the leader).",
			func() float64 { return node.Staleness().Seconds() }),
		gauge("veltrix_coordinator_claims_remembered", "Claim outcomes kept for retries (bounded by the FSM's MaxClaimRecords).",
			func() float64 {
				var n int
				node.FSM().View(func(s *fsm.State) { n = s.Claims.Len() })
				return float64(n)
			}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var outcomeNames = map[uint8]string{
	protocol.OutcomeWon: "won", protocol.OutcomeAlreadyClaimed: "already_claimed",
	protocol.OutcomeTooFar: "too_far", protocol.OutcomeHuntNotActive: "hunt_not_active",
	protocol.OutcomeUnknown: "unknown_treasure", protocol.OutcomeRateLimited: "rate_limited",
	protocol.OutcomeUnavailable: "unavailable", protocol.OutcomeRequestReused: "request_reused",
}

func outcomeName(c uint8) string {
	if n, ok := outcomeNames[c]; ok {
		return n
	}
	return "other"
}
