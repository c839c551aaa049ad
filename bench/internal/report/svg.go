package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// series is one line of a chart.
type series struct {
	Name string
	X, Y []float64
}

// legendCharWidth is a generous width of one character of the legend
// (11 px sans-serif) in px.
const legendCharWidth = 7

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// chart draws line series as an inline SVG. logX puts x on a log scale
// (latency CDFs). The legend's column is as wide as its longest name (a
// compare report's names carry each side's flags), the plot a fixed 420 px.
func chart(title, xLabel, yLabel string, ss []series, logX bool) string {
	const h, left, top, bottom, plot = 320, 70, 30, 45, 420
	right := 150
	for _, s := range ss {
		right = max(right, 34+legendCharWidth*len([]rune(s.Name)))
	}
	w := left + plot + right
	tx := func(x float64) float64 {
		if logX {
			return math.Log10(math.Max(x, 1e-9))
		}
		return x
	}
	minX, maxX, maxY := bounds(ss, tx)
	minY := 0.0
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><figcaption>%s</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`, html.EscapeString(title), w, h)
	if math.IsInf(minX, 1) {
		b.WriteString(`<text x="20" y="40">no data</text></svg></figure>`)
		return b.String()
	}
	if maxX == minX {
		maxX = minX + 1
	}
	if maxY <= minY {
		maxY = minY + 1
	}
	maxY *= 1.05
	pw, ph := float64(plot), float64(h-top-bottom)
	px := func(x float64) float64 { return left + (tx(x)-minX)/(maxX-minX)*pw }
	py := func(y float64) float64 { return top + ph - (y-minY)/(maxY-minY)*ph }
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`, left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		y := minY + (maxY-minY)*float64(i)/4
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, left-4, py(y)+4, num(y))
		fx := minX + (maxX-minX)*float64(i)/4
		if logX {
			fx = math.Pow(10, fx)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, px(fx), h-bottom+15, num(fx))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">%s</text>`, left+pw/2, h-8, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%.0f" transform="rotate(-90 14 %.0f)" text-anchor="middle">%s</text>`, top+ph/2, top+ph/2, html.EscapeString(yLabel))
	for i, s := range ss {
		col := palette[i%len(palette)]
		var pts []string
		for j := range s.X {
			if math.IsNaN(s.Y[j]) || math.IsInf(s.Y[j], 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, col, strings.Join(pts, " "))
		if len(pts) <= 60 { // few points: mark them (one point draws no line)
			for _, p := range pts {
				x, y, _ := strings.Cut(p, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"/>`, x, y, col)
			}
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`,
			w-right+10, top+i*16, col, w-right+24, top+i*16+9, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg></figure>`)
	return b.String()
}

// bounds is the range of the series' finite points, x through tx (minX
// +Inf when there are none; maxY no lower than -Inf).
func bounds(ss []series, tx func(float64) float64) (minX, maxX, maxY float64) {
	minX, maxX, maxY = math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range ss {
		for i := range s.X {
			if math.IsNaN(s.Y[i]) || math.IsInf(s.Y[i], 0) {
				continue
			}
			minX, maxX = math.Min(minX, tx(s.X[i])), math.Max(maxX, tx(s.X[i]))
			maxY = math.Max(maxY, s.Y[i])
		}
	}
	return minX, maxX, maxY
}

// num prints an axis value briefly.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return fmt.Sprintf("%.3gG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	case a >= 100 || a == 0:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
