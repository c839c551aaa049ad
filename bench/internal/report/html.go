package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
)

// WriteHTML writes the report of runs (one, or several compared) to path.
func WriteHTML(path string, runs []*Run) error {
	var b bytes.Buffer
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>veltrix-bench</title><style>
body{font-family:sans-serif;max-width:1400px;margin:1em auto;padding:0 1em}figure{display:inline-block;margin:.5em}
figcaption{font-weight:bold}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:.5em}.fail{color:#c00}</style></head><body>`)
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.Label
	}
	fmt.Fprintf(&b, "<h1>veltrix-bench: %s (%s)</h1>", html.EscapeString(runs[0].Scenario), html.EscapeString(strings.Join(names, " vs ")))
	m := runs[0].Machine
	fmt.Fprintf(&b, "<p>%s — %s, %d cores, %s, kernel %s, %s; open-files limit %d per process.</p>",
		runs[0].Date.Format(time.RFC3339), html.EscapeString(m.CPU), m.Cores, html.EscapeString(m.MemTotal), html.EscapeString(m.Kernel), m.Go, m.NoFile)
	if len(runs) > 1 {
		b.WriteString("<h2>Side by side</h2>")
		var t bytes.Buffer
		Compare(&t, runs[0], runs[1])
		fmt.Fprintf(&b, "<pre>%s</pre>", html.EscapeString(t.String()))
	}
	for _, r := range runs {
		var t bytes.Buffer
		r.Summary(&t)
		fmt.Fprintf(&b, "<h2>%s</h2><pre>%s</pre>", html.EscapeString(r.Label), html.EscapeString(t.String()))
	}
	b.WriteString("<h2>Charts</h2>")
	var overTime, cdf, mem, thr []series
	for _, r := range runs {
		var x, p50, p99, msgs []float64
		for _, iv := range r.Crowd.Series {
			x = append(x, iv.T)
			p50 = append(p50, quant(iv.Delivery, .5))
			p99 = append(p99, quant(iv.Delivery, .99))
			msgs = append(msgs, float64(iv.Messages))
		}
		overTime = append(overTime, series{r.Label + " p50", x, p50}, series{r.Label + " p99", x, p99})
		thr = append(thr, series{r.Label, x, msgs})
		for _, h := range []struct {
			name string
			h    *hist.H
		}{{"delivery", r.Crowd.Delivery}, {"claim", r.Crowd.Claim}, {"handshake", r.Crowd.Handshake}, {"hunt status", r.Status}} {
			if h.h != nil && h.h.Count() > 0 {
				var cx, cy []float64
				for _, p := range h.h.CDF() {
					cx, cy = append(cx, ms(p.Value)), append(cy, p.Fraction)
				}
				cdf = append(cdf, series{r.Label + " " + h.name, cx, cy})
			}
		}
		var mx, rss, heap []float64
		for _, p := range r.RampMemory {
			mx, rss, heap = append(mx, p.Connections), append(rss, p.RSS/(1<<20)), append(heap, p.Heap/(1<<20))
		}
		mem = append(mem, series{r.Label + " RSS", mx, rss}, series{r.Label + " heap+stacks", mx, heap})
	}
	b.WriteString(chart("Delivery latency over time (position → neighbour)", "seconds into the run", "ms", overTime, false))
	b.WriteString(chart("Latency CDF", "ms (log)", "fraction", cdf, true))
	b.WriteString(chart("Edge memory against connections (ramp)", "connections", "MiB", mem, false))
	b.WriteString(chart("Throughput", "seconds into the run", "messages received per second", thr, false))
	if runs[0].StatusTS != nil {
		var st []series
		for _, r := range runs {
			var x, p50, p99 []float64
			for _, p := range r.StatusTS {
				x, p50, p99 = append(x, p.T), append(p50, p.P50), append(p99, p.P99)
			}
			st = append(st, series{r.Label + " p50", x, p50}, series{r.Label + " p99", x, p99})
		}
		b.WriteString(chart("Hunt status latency over time", "seconds into the run", "ms", st, false))
	}
	b.WriteString("</body></html>\n")
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func quant(h *hist.H, q float64) float64 {
	if h == nil || h.Count() == 0 {
		return math.NaN()
	}
	return ms(h.Quantile(q))
}

// Compare prints b against a, as ratios b/a, for the figures that matter.
func Compare(w io.Writer, a, b *Run) {
	fmt.Fprintf(w, "%-42s %14s %14s %9s\n", "", a.Label, b.Label, "b / a")
	row := func(name string, va, vb float64, unit string) {
		ratio := "n/a"
		if va != 0 && !math.IsNaN(va) && !math.IsNaN(vb) {
			ratio = fmt.Sprintf("%.2f×", vb/va)
		}
		fmt.Fprintf(w, "%-42s %14s %14s %9s\n", name, fmtv(va, unit), fmtv(vb, unit), ratio)
	}
	da, db := a.Derived, b.Derived
	row("messages received /s", da.MessagesPerSec, db.MessagesPerSec, "")
	row("claims answered /s", da.ClaimsPerSec, db.ClaimsPerSec, "")
	row("messages per edge CPU-second", da.MessagesPerCPUSec, db.MessagesPerCPUSec, "")
	row("fan-out MB per edge CPU-second", da.FanOutBytesPerCPU/1e6, db.FanOutBytesPerCPU/1e6, "")
	row("edge CPU (cores)", da.EdgeCPU, db.EdgeCPU, "")
	row("delivery p50 (ms)", quant(a.Crowd.Delivery, .5), quant(b.Crowd.Delivery, .5), "")
	row("delivery p99 (ms)", quant(a.Crowd.Delivery, .99), quant(b.Crowd.Delivery, .99), "")
	row("delivery p99.9 (ms)", quant(a.Crowd.Delivery, .999), quant(b.Crowd.Delivery, .999), "")
	row("claim p50 (ms)", quant(a.Crowd.Claim, .5), quant(b.Crowd.Claim, .5), "")
	row("claim p99 (ms)", quant(a.Crowd.Claim, .99), quant(b.Crowd.Claim, .99), "")
	row("hunt status p50 (ms)", quant(a.Status, .5), quant(b.Status, .5), "")
	row("hunt status p99 (ms)", quant(a.Status, .99), quant(b.Status, .99), "")
	row("hunt status p99.9 (ms)", quant(a.Status, .999), quant(b.Status, .999), "")
	row("connections per second (ramp)", da.ConnectsPerSec, db.ConnectsPerSec, "")
	row("handshake p99 (ms)", quant(a.Crowd.Handshake, .99), quant(b.Crowd.Handshake, .99), "")
	row("edge RSS per connection (B)", da.RSSPerConn, db.RSSPerConn, "")
	row("edge heap+stacks per connection (B)", da.HeapPerConn, db.HeapPerConn, "")
	row("edge allocations per message", da.AllocsPerMessage, db.AllocsPerMessage, "")
	row("edge goroutines per connection", da.GoroutinesPerConn, db.GoroutinesPerConn, "")
	row("edge GC pause p99 bound (µs)", float64(a.Edge.Delta.GCPauseP99)*1e6, float64(b.Edge.Delta.GCPauseP99)*1e6, "")
	row("edge GC pause max bound (µs)", float64(a.Edge.Delta.GCPauseMaxLe)*1e6, float64(b.Edge.Delta.GCPauseMaxLe)*1e6, "")
	row("edge GC CPU share (%)", 100*a.Edge.Delta.GCCPUShare, 100*b.Edge.Delta.GCCPUShare, "")
	row("edge syscalls per message", float64(da.SyscallsPerMessage), float64(db.SyscallsPerMessage), "")
	row("edge CPU per message received (µs)", da.EdgeCPUPerMessage*1e6, db.EdgeCPUPerMessage*1e6, "")
	row("generator CPU per message received (µs)", da.GenCPUPerMessage*1e6, db.GenCPUPerMessage*1e6, "")
	row("kernel slab per connection (B, both ends)", da.SlabPerConn, db.SlabPerConn, "")
	if fa, fb := a.Failover, b.Failover; fa != nil && fb != nil {
		row("failover: new leader after (ms)", 1000*(fa.NewLeaderAt-fa.KilledAt), 1000*(fb.NewLeaderAt-fb.KilledAt), "")
		row("failover: errors in the window", float64(fa.ErrorsWindow), float64(fb.ErrorsWindow), "")
		row("failover: slowest claim in the window (ms)", fa.ClaimMaxWindow, fb.ClaimMaxWindow, "")
		row("failover: delivery p99 in the window (ms)", fa.DeliveryP99Window, fb.DeliveryP99Window, "")
		row("failover: claims unanswered", float64(a.Crowd.Counters["claims_unanswered"]), float64(b.Crowd.Counters["claims_unanswered"]), "")
	}
}

func fmtv(v float64, _ string) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.Abs(v) >= 1000:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
