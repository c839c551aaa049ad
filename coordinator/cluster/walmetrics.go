package cluster

import (
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/prometheus/client_golang/prometheus"
)

// walMetrics receives raft-wal's counters and gauges (bytes and entries
// written and read, appends, segment rotations, truncations) and serves
// them to Prometheus as veltrix_coordinator_wal_<name>. It is a
// prometheus.Collector that a node on another store collects nothing from.
type walMetrics struct {
	counters map[string]prometheus.Counter
	gauges   map[string]prometheus.Gauge
}

func newWALMetrics() *walMetrics {
	m := &walMetrics{counters: map[string]prometheus.Counter{}, gauges: map[string]prometheus.Gauge{}}
	for _, d := range raftwal.MetricDefinitions.Counters {
		m.counters[d.Name] = prometheus.NewCounter(prometheus.CounterOpts{Name: "veltrix_coordinator_wal_" + d.Name + "_total", Help: d.Desc})
	}
	for _, d := range raftwal.MetricDefinitions.Gauges {
		m.gauges[d.Name] = prometheus.NewGauge(prometheus.GaugeOpts{Name: "veltrix_coordinator_wal_" + d.Name, Help: d.Desc})
	}
	return m
}

// IncrementCounter implements raft-wal's metrics.Collector.
func (m *walMetrics) IncrementCounter(name string, delta uint64) {
	if c := m.counters[name]; c != nil {
		c.Add(float64(delta))
	}
}

// SetGauge implements raft-wal's metrics.Collector.
func (m *walMetrics) SetGauge(name string, val uint64) {
	if g := m.gauges[name]; g != nil {
		g.Set(float64(val))
	}
}

// Describe implements prometheus.Collector.
func (m *walMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.counters {
		c.Describe(ch)
	}
	for _, g := range m.gauges {
		g.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *walMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.counters {
		c.Collect(ch)
	}
	for _, g := range m.gauges {
		g.Collect(ch)
	}
}
