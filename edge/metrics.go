package edge

import (
	"net/http"
	"regexp"
	"runtime/metrics"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
)

// statsCollector exports the core's counters at scrape time.
type statsCollector struct {
	e    *Edge
	desc map[string]*prometheus.Desc
}

func newStatsCollector(e *Edge) *statsCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("veltrix_edge_"+name, help, labels, nil)
	}
	return &statsCollector{e: e, desc: map[string]*prometheus.Desc{
		"conns":    d("connections", "Open player connections.", "transport"),
		"in":       d("messages_in_total", "Client messages received, by type.", "type"),
		"out":      d("messages_out_total", "Messages handed to transports, by type.", "type"),
		"frames":   d("frames_encoded_total", "CELL_UPDATE frames encoded (once per changed cell and tick)."),
		"queued":   d("frames_queued_total", "Frame references queued to sessions."),
		"bytes":    d("bytes_fanned_out_total", "Bytes of frames queued to sessions."),
		"drops":    d("drops_total", "Frames or messages dropped, by reason.", "reason"),
		"closes":   d("closes_total", "Sessions closed by the edge, by code.", "code"),
		"cells":    d("tick_cells", "Changed cells with subscribers at the start of the last tick (counted apart from encoding)."),
		"tframes":  d("tick_frames", "CELL_UPDATE frames the last tick encoded (equals tick_cells unless a cell's entries need more than one datagram-sized frame)."),
		"changed":  d("cells_changed_total", "Changed cells with subscribers over all ticks; frames_encoded_total grows by the same amount."),
		"sessions": d("sessions", "Sessions in the core."),
		"tick":     d("tick_seconds", "Duration of the last fan-out tick."),
		"ticks":    d("tick_duration_seconds", "Fan-out ticks by duration."),
		"rate":     d("tick_rate_hz", "Fan-out ticks per second now: the configured rate, or lower under overload (tick dilation)."),
		"dilate":   d("tick_rate_changes_total", "Tick rate changes (dilations under overload and recoveries)."),
		"crowded":  d("crowded_cells", "Cells in crowd mode (sampled, summarised) after the last tick."),
		"summary":  d("cell_summaries_total", "CELL_SUMMARY frames encoded (once per crowded cell and tick at most)."),
		"sampled":  d("crowd_frames_total", "Crowded cells' sampled CELL_UPDATE frames encoded (once per cell, level and tick)."),
		"joins":    d("join_frames_total", "Snapshots encoded for a cell's newcomers only (once per cell and tick)."),
		"wsinfo":   d("websocket_transport", "The WebSocket transport running (1 for the running one): uring or netpoll.", "transport"),
		"rings":    d("uring_rings", "io_uring rings serving WebSocket connections."),
		"rpub":     d("region_published_total", "Cell frames published to the region's other edges (once per changed cell and tick)."),
		"rpubb":    d("region_published_bytes_total", "Bytes of cell frames published to the region."),
		"rrecv":    d("region_received_total", "Cell frames received from the region's other edges."),
		"rrecvb":   d("region_received_bytes_total", "Bytes of cell frames received from the region."),
		"rdrops":   d("region_drops_total", "Region traffic dropped, by reason: outbox_full (NATS behind), slow_consumer (the edge behind NATS), publish_error.", "reason"),
		"rsubs":    d("region_subscriptions", "Cells this edge subscribes to (its players watch them)."),
		"rroutes":  d("region_routes", "Routes of the embedded NATS server to the region's other edges."),
		"rsibs":    d("region_siblings", "The region's other live edges (announced over NATS within the players' expiry): the route's failover alternates."),
		"rroute":   d("region_route_bytes_total", "Bytes over the embedded NATS server's routes (cross-edge traffic), by direction.", "dir"),
		"slots":    d("uring_direct_descriptors", "Direct descriptors (rings' fixed-file slots) by state: used (connections, refused ones included), capacity (slots over all rings), max_conns (the admission limit).", "state"),
		"ring":     d("uring_ops_total", "io_uring activity over all rings: submissions, completions, enters (io_uring_enter calls), enobufs (recv parked for want of buffers), cq_overflows, busy, eintr, wakeups, handoffs (plain HTTP to net/http), handoff_failed (no free fd: closed), refused (over -max-conns: answered 503), table_full (a ring's direct-descriptor table full: accept re-armed when a slot frees).", "kind"),
	}}
}

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.desc {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.e.Core.Snapshot()
	gauge := func(name string, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(c.desc[name], prometheus.GaugeValue, v, l...)
	}
	count := func(name string, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(c.desc[name], prometheus.CounterValue, float64(v), l...)
	}
	gauge("conns", float64(c.e.WS.Conns()), "websocket")
	gauge("wsinfo", 1, c.e.TransportName())
	if r := c.e.rings; r != nil {
		rs := r.Stats()
		gauge("rings", float64(rs.Rings))
		gauge("slots", float64(rs.Slots), "used")
		gauge("slots", float64(rs.Rings*rs.TableSlots), "capacity")
		gauge("slots", float64(rs.MaxConns), "max_conns")
		for kind, n := range map[string]uint64{"submissions": rs.Submissions, "completions": rs.Completions, "enters": rs.Enters,
			"enobufs": rs.NoBufs, "cq_overflows": rs.Overflows, "busy": rs.Busy, "eintr": rs.Interrupts, "wakeups": rs.Wakeups,
			"handoffs": rs.Handoffs, "handoff_failed": rs.HandoffFailed, "refused": rs.Refused, "table_full": rs.TableFull} {
			count("ring", n, kind)
		}
	}
	if c.e.WT != nil {
		gauge("conns", float64(c.e.WT.Sessions()), "webtransport")
	}
	gauge("tick", st.LastTickDuration.Seconds())
	gauge("rate", float64(st.TickHz))
	count("dilate", st.Dilations)
	gauge("crowded", float64(st.CrowdedCells))
	count("summary", st.SummaryFrames)
	count("sampled", st.CrowdFrames)
	count("joins", st.JoinFrames)
	ch <- tickHistogram(c.desc["ticks"], &st)
	gauge("sessions", float64(st.Sessions))
	gauge("cells", float64(st.LastTickCells))
	gauge("tframes", float64(st.LastTickFrames))
	count("changed", st.CellsChanged)
	for t, n := range st.MessagesIn {
		if n > 0 {
			count("in", n, protocol.Type(t).String())
		}
	}
	for t, n := range st.MessagesOut {
		if n > 0 {
			count("out", n, protocol.Type(t).String())
		}
	}
	count("frames", st.FramesEncoded)
	count("queued", st.FramesQueued)
	count("bytes", st.BytesFannedOut)
	for reason, n := range st.Drops {
		count("drops", n, core.DropReason(reason).String())
	}
	for code, n := range st.Closes {
		count("closes", n, code.String())
	}
	if c.e.Region != nil {
		c.collectRegion(gauge, count)
	}
}

// collectRegion exports the region connection's counters.
func (c *statsCollector) collectRegion(gauge func(string, float64, ...string), count func(string, uint64, ...string)) {
	rs := c.e.Region.Stats()
	count("rpub", rs.Published)
	count("rpubb", rs.PublishedBytes)
	count("rrecv", rs.Received)
	count("rrecvb", rs.ReceivedBytes)
	for reason, n := range rs.Drops {
		count("rdrops", n, reason)
	}
	gauge("rsubs", float64(rs.Subscriptions))
	gauge("rroutes", float64(rs.Routes))
	gauge("rsibs", float64(len(c.e.Region.Siblings())))
	count("rroute", rs.RouteInBytes, "in")
	count("rroute", rs.RouteOutBytes, "out")
}

// tickHistogram is the core's tick duration counts as a histogram.
func tickHistogram(d *prometheus.Desc, st *core.Stats) prometheus.Metric {
	buckets := make(map[float64]uint64, len(core.TickBuckets))
	var n uint64
	for i, c := range st.TickDurations {
		n += c
		if i < len(core.TickBuckets) {
			buckets[core.TickBuckets[i].Seconds()] = n
		}
	}
	return prometheus.MustNewConstHistogram(d, n, st.TickTime.Seconds(), buckets)
}

// gcPauses exports the runtime's stop-the-world GC pause histogram at its
// own resolution (4 buckets per power of two): every bucket edge of
// /sched/pauses/total/gc:seconds from 1 µs to 10 s is a bound, so the load
// generator's p99 and max are the runtime's, not a coarser bucket's (the Go
// collector merges them into ~10× wide ones).
type gcPauses struct {
	desc    *prometheus.Desc
	bounds  []float64
	samples []metrics.Sample
}

func newGCPauses() *gcPauses {
	g := &gcPauses{
		desc:    prometheus.NewDesc("veltrix_edge_gc_pause_seconds", "Stop-the-world GC pauses (runtime/metrics /sched/pauses/total/gc:seconds, the runtime's own bucket edges from 1 µs to 10 s).", nil, nil),
		samples: []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}},
	}
	metrics.Read(g.samples)
	if g.samples[0].Value.Kind() == metrics.KindFloat64Histogram {
		for _, b := range g.samples[0].Value.Float64Histogram().Buckets {
			if b >= 1e-6 && b <= 10 {
				g.bounds = append(g.bounds, b)
			}
		}
	}
	return g
}

func (g *gcPauses) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect counts each runtime bucket under the first of our bounds at or
// above its upper edge, so a count under bound b is a pause ≤ b.
func (g *gcPauses) Collect(ch chan<- prometheus.Metric) {
	metrics.Read(g.samples)
	if g.samples[0].Value.Kind() != metrics.KindFloat64Histogram {
		return
	}
	h := g.samples[0].Value.Float64Histogram()
	buckets := make(map[float64]uint64, len(g.bounds))
	var total uint64
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		total += n
		hi := h.Buckets[i+1]
		for _, b := range g.bounds {
			if hi <= b {
				buckets[b] += n
			}
		}
	}
	ch <- prometheus.MustNewConstHistogram(g.desc, total, 0, buckets)
}

func (e *Edge) metrics() http.Handler {
	reg := prometheus.NewRegistry()
	// Besides the defaults, the runtime's GC pause and CPU-class histograms
	// (go_sched_pauses_total_gc_seconds, go_cpu_classes_*): the load
	// generator reports GC pause percentiles and GC CPU share from them.
	runtime := collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{
		Matcher: regexp.MustCompile(`^/(sched/pauses/total/gc|cpu/classes/(gc/total|total)|gc/heap/allocs:objects|sched/latencies)`)})
	reg.MustRegister(newStatsCollector(e), newGCPauses(), collectors.NewGoCollector(runtime), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
