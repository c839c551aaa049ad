package report

import (
	"fmt"
	"io"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
)

// CrowdTable writes the crowd scenario's runs (one per size) as one
// Markdown table: the figures issue 15 asks for.
func CrowdTable(w io.Writer, runs []*Run) {
	fmt.Fprintln(w, "| players | position B/player/s p50 | p99 | positions/s delivered | every neighbour ≤ 50 m p99 | max | interest area p99 | max | held: oldest p99 | max | held ≤ 50 m p99 | max | held: 100 nearest ≤ 50 m p99 | max | edge CPU (cores) | allocs/msg | tick p99 ≤ | tick rate (end) | crowded cells | delivery p99 | disconnects |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		c, d, e := r.Crowd, r.Derived, r.Edge
		fmt.Fprintf(w, "| %d | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %.0f Hz | %.0f | %.1f ms | %d |\n",
			c.Players, bytesQ(c.PositionBytes, .5), bytesQ(c.PositionBytes, .99), d.DeliveredPerSec,
			secsQ(c.Near50Staleness, .99), secsQ(c.Near50Staleness, 1), secsQ(c.AreaStaleness, .99), secsQ(c.AreaStaleness, 1),
			secsQ(c.Staleness, .99), secsQ(c.Staleness, 1), secsQ(c.NearStaleness, .99), secsQ(c.NearStaleness, 1),
			secsQ(c.NearestStaleness, .99), secsQ(c.NearestStaleness, 1),
			d.EdgeCPU, d.AllocsPerMessage, secs(float64(e.Delta.TickP99)), e.After.TickHz, e.After.CrowdedCells,
			quant(c.Delivery, .99), c.Counters["disconnects"])
	}
}

// bytesQ is quantile q of a histogram of bytes per second kept as µs.
func bytesQ(h *hist.H, q float64) string {
	if h == nil || h.Count() == 0 {
		return "n/a"
	}
	return fmt.Sprint(int64(h.Quantile(q) / time.Microsecond))
}

// secsQ is quantile q (1: the max) of h in seconds.
func secsQ(h *hist.H, q float64) string {
	if h == nil || h.Count() == 0 {
		return "n/a"
	}
	v := h.Max()
	if q < 1 {
		v = h.Quantile(q)
	}
	return fmt.Sprintf("%.1f s", v.Seconds())
}
