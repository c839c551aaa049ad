package report

import (
	"fmt"
	"io"
	"strings"
)

// RegionTable writes runs of one crowd on regions of 1, 2, 3 … edges side
// by side (veltrix-bench region). Expected deliveries are the first run's
// (one edge: every neighbour position is delivered by construction, the
// crowd, walk and seed being the same); CPU per delivered position divides
// each edge's CPU by its share of the deliveries (players are spread
// evenly).
func RegionTable(w io.Writer, runs []*Run) {
	if len(runs) == 0 {
		return
	}
	ref := runs[0].Derived.DeliveredPerSec
	fmt.Fprintf(w, "%-6s %14s %9s %10s %-30s %-30s\n", "edges", "delivered/s", "ratio", "p99 ms", "edge CPU µs / delivered", "cross-edge bytes/s per edge (out/in)")
	for _, r := range runs {
		d := r.Derived.DeliveredPerSec
		ratio := 0.0
		if ref > 0 {
			ratio = d / ref
		}
		p99 := 0.0
		if h := r.Crowd.Delivery; h != nil && h.Count() > 0 {
			p99 = ms(h.Summary().P99)
		}
		var cpu, route []string
		shares := r.Region
		if len(shares) == 0 { // one edge
			shares = []EdgeShare{{Seconds: r.Edge.Delta.Seconds, CPUSeconds: r.Edge.Delta.CPUSeconds}}
		}
		for _, s := range shares {
			perEdge := d * s.Seconds / float64(len(shares))
			if perEdge > 0 {
				cpu = append(cpu, fmt.Sprintf("%.2f", s.CPUSeconds/perEdge*1e6))
			}
			if s.Seconds > 0 {
				route = append(route, fmt.Sprintf("%.0f/%.0f", s.RouteOut/s.Seconds, s.RouteIn/s.Seconds))
			}
		}
		fmt.Fprintf(w, "%-6d %14.0f %9.4f %10.2f %-30s %-30s\n", max(r.Config.Edges, 1), d, ratio, p99, strings.Join(cpu, " "), strings.Join(route, " "))
	}
}
