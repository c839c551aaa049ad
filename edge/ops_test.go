package edge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// TestOperationsEndpoints: /healthz, /readyz (ready while following the
// coordinator, 503 once draining), the hunt status from the replica with
// its staleness, and the /metrics series operators watch, with values that
// follow what happened.
func TestOperationsEndpoints(t *testing.T) {
	w := newWorld(t, "netpoll")
	base := w.edge.URL()

	var health map[string]string
	if code := getJSON(t, base+"/healthz", &health); code != 200 || health["status"] != "ok" {
		t.Fatalf("/healthz: %d %v", code, health)
	}
	var ready struct {
		Ready, Draining bool
		Staleness       string `json:"coordinator_staleness"`
	}
	if code := getJSON(t, base+"/readyz", &ready); code != 200 || !ready.Ready || ready.Draining {
		t.Fatalf("/readyz while following the coordinator: %d %+v", code, ready)
	}

	var status map[string]any
	if code := getJSON(t, fmt.Sprintf("%s/v1/hunts/%d/status", base, w.hunt.ID), &status); code != 200 {
		t.Fatalf("hunt status: %d", code)
	}
	if status["treasures_total"] != 5.0 || status["treasures_remaining"] != 5.0 || !hasStaleness(status) {
		t.Fatalf("hunt status from the replica (with its staleness): %v", status)
	}

	// One player sends a position; the counters must show it.
	c, in := w.player(1)
	if err := c.Position(52.3730796, 4.8924534, 5); err != nil {
		t.Fatal(err)
	}
	await(t, in, func(*protocol.CellUpdate) bool { return true }) // the tick ran and fanned out
	m := scrape(t, base+"/metrics")
	for _, series := range []string{
		`veltrix_edge_connections{transport="websocket"} 1`,
		`veltrix_edge_messages_in_total{type="POSITION"}`,
		`veltrix_edge_messages_out_total{type="CELL_UPDATE"}`,
		`veltrix_edge_frames_encoded_total`,
		`veltrix_edge_cells_changed_total`,
		`veltrix_edge_tick_frames`,
		`veltrix_edge_bytes_fanned_out_total`,
		`veltrix_edge_tick_seconds`,
		`veltrix_edge_gc_pause_seconds_bucket`,
		`veltrix_edge_websocket_transport{transport="netpoll"} 1`,
	} {
		if !strings.Contains(m, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	// One scrape reads one snapshot: every changed cell was encoded once.
	if f, c := metricValue(m, "veltrix_edge_frames_encoded_total"), metricValue(m, "veltrix_edge_cells_changed_total"); f == "" || f == "0" || f != c {
		t.Errorf("frames encoded %q, changed cells %q: want equal and non-zero", f, c)
	}

	w.edge.Drain()
	if code := getJSON(t, base+"/readyz", &ready); code != http.StatusServiceUnavailable || ready.Ready || !ready.Draining {
		t.Fatalf("/readyz while draining: %d %+v", code, ready)
	}
	// Draining keeps serving the players already connected.
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}
	await(t, in, func(*protocol.Pong) bool { return true })
}

// hasStaleness reports whether the status JSON states how stale the
// replica is, under any key naming it.
func hasStaleness(m map[string]any) bool {
	for k := range m {
		if strings.Contains(k, "stale") {
			return true
		}
	}
	return false
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// metricValue returns the value of the unlabelled series name in a scrape.
func metricValue(scrape, name string) string {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}
