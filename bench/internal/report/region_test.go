package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/bench/internal/sample"
	"github.com/veltrix/veltrix/bench/internal/scenario"
)

// TestRegionTable: the ratio is to the one-edge run, and each edge's CPU
// is divided by its even share of the deliveries.
func TestRegionTable(t *testing.T) {
	one := &Run{Config: scenario.Config{Edges: 1}, Derived: Derived{DeliveredPerSec: 1000},
		Edge: EdgeReport{Delta: sample.Delta{Seconds: 10, CPUSeconds: 0.1}}}
	two := &Run{Config: scenario.Config{Edges: 2}, Derived: Derived{DeliveredPerSec: 990},
		Region: []EdgeShare{{Seconds: 10, CPUSeconds: 0.0495, RouteOut: 5000, RouteIn: 7000}, {Seconds: 10, CPUSeconds: 0.099, RouteOut: 7000, RouteIn: 5000}}}
	var b bytes.Buffer
	RegionTable(&b, []*Run{one, two})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", b.String())
	}
	for i, want := range [][]string{{"1 ", "1000", "1.0000", "10.00"}, {"2 ", "990", "0.9900", "10.00 20.00", "500/700 700/500"}} {
		row := lines[i+1]
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("row %q lacks %q", row, w)
			}
		}
	}
}
