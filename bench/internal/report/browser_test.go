package report

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/sim"
	"github.com/veltrix/veltrix/internal/browser"
	"github.com/veltrix/veltrix/internal/browser/browsertest"
)

// TestHTMLReportRendersInChromium opens a single report and a compare
// report (two sides labelled as veltrix-bench compare labels them) in
// Chromium and looks at every chart: it has a box on the page, each of its
// lines has points inside the plot, every legend entry and axis label lies
// inside the chart (not cut off), and in the compare report every chart
// with data shows both sides.
func TestHTMLReportRendersInChromium(t *testing.T) {
	a, b := run("a: -tick-hz=10 -radius=2", 100_000, 4, nil), run("b: -tick-hz=20 -radius=2", 120_000, 4, nil)
	for i, r := range []*Run{a, b} {
		r.Crowd.Series = nil
		for s := 1; s <= 30; s++ {
			d := hist.New()
			for j := 1; j <= 50; j++ {
				d.Record(time.Duration(j*(s+i*5)) * time.Millisecond / 10)
			}
			r.Crowd.Series = append(r.Crowd.Series, sim.Interval{T: float64(s), Messages: int64(3000 + 100*s*(i+1)), Delivery: d, Claim: hist.New()})
		}
	}
	dir := t.TempDir()
	single, compare := filepath.Join(dir, "single.html"), filepath.Join(dir, "compare.html")
	if err := WriteHTML(single, []*Run{a}); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(compare, []*Run{a, b}); err != nil {
		t.Fatal(err)
	}
	br := browsertest.ForTest(t)
	shots := browsertest.NewArtefacts(t)
	for _, page := range []struct {
		name  string
		path  string
		sides []string
	}{{"single", single, []string{"a:"}}, {"compare", compare, []string{"a:", "b:"}}} {
		t.Run(page.name, func(t *testing.T) {
			ctx := browsertest.Tab(t, br, browser.DesktopHD)
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page.path)); err != nil {
				t.Fatal(err)
			}
			defer shots.Shoot(ctx, page.name)
			problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(chartProblems, jsList(page.sides))))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

func jsList(ss []string) string {
	out := "["
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("%q", s)
	}
	return out + "]"
}

// chartProblems lists what is wrong with the page's charts.
const chartProblems = `((sides) => {
  const out = [], svgs = [...document.querySelectorAll('svg')];
  if (svgs.length < 4) out.push(svgs.length + ' charts, want at least 4');
  for (const svg of svgs) {
    const title = svg.closest('figure').querySelector('figcaption').textContent;
    const box = svg.getBoundingClientRect();
    if (box.width < 100 || box.height < 100) { out.push(title + ': chart box ' + box.width + '×' + box.height); continue; }
    const lines = [...svg.querySelectorAll('polyline')];
    if (lines.length === 0) { out.push(title + ': no lines'); continue; }
    const frame = svg.querySelector('rect').getBBox();
    for (const l of lines) {
      if (l.points.length === 0) out.push(title + ': an empty line');
      for (const p of l.points) if (p.x < frame.x - 1 || p.x > frame.x + frame.width + 1 || p.y < frame.y - 1 || p.y > frame.y + frame.height + 1) { out.push(title + ': a point outside the plot'); break; }
    }
    for (const t of svg.querySelectorAll('text')) { // on screen, so rotated labels count as drawn
      const b = t.getBoundingClientRect();
      if (b.left < box.left - 0.5 || b.top < box.top - 0.5 || b.right > box.right + 0.5 || b.bottom > box.bottom + 0.5)
        out.push(title + ': text "' + t.textContent + '" is cut off (' + Math.round(b.left - box.left) + '..' + Math.round(b.right - box.left) + ' in ' + Math.round(box.width) + ')');
    }
    const legend = [...svg.querySelectorAll('text')].map((t) => t.textContent);
    for (const s of sides) if (!legend.some((l) => l.startsWith(s))) out.push(title + ': no line of side ' + s);
  }
  return out;
})(%s)`
