package sample

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// Scrape reads an edge's /metrics over HTTP, and says which URL failed and
// why when it cannot.
func TestScrape(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(exposition)) })
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("this is { not metrics\n")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	e, err := Scrape(ctx, srv.Client(), srv.URL+"/metrics")
	if err != nil || e.Connections != 2000 || e.At.IsZero() {
		t.Fatalf("Scrape: %+v, %v", e, err)
	}
	for _, tc := range []struct{ name, url, want string }{
		{"not found", srv.URL + "/nothing", "404"},
		{"not metrics", srv.URL + "/garbage", "cannot parse metrics"},
		{"bad URL", "http://[::1", "missing ']'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Scrape(ctx, srv.Client(), tc.url); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
	srv.Close()
	if _, err := Scrape(ctx, srv.Client(), srv.URL+"/metrics"); err == nil || !strings.Contains(err.Error(), "cannot scrape "+srv.URL) {
		t.Errorf("a closed edge: %v", err)
	}
}

// The edge's own fine-bucketed pause histogram wins over the Go
// collector's, and untyped samples count like gauges.
func TestParsePrefersTheEdgePauseHistogram(t *testing.T) {
	own := exposition + `# TYPE veltrix_edge_gc_pause_seconds histogram
veltrix_edge_gc_pause_seconds_bucket{le="1e-05"} 3
veltrix_edge_gc_pause_seconds_bucket{le="+Inf"} 4
veltrix_edge_gc_pause_seconds_sum 0.001
veltrix_edge_gc_pause_seconds_count 4
# TYPE go_goroutines untyped
go_goroutines 17
`
	e, err := Parse(strings.NewReader(own))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.GCPauseBuckets) != 2 || e.GCPauseBuckets[0] != (Bucket{Le: 1e-05, Count: 3}) || !math.IsInf(float64(e.GCPauseBuckets[1].Le), 1) {
		t.Errorf("pause buckets %+v, want the edge's two", e.GCPauseBuckets)
	}
	if e.Goroutines != 17 {
		t.Errorf("goroutines %v", e.Goroutines)
	}
	if e, err := Parse(strings.NewReader("")); err != nil || e.Connections != 0 || e.GCPauseBuckets != nil {
		t.Errorf("an empty exposition: %+v, %v", e, err)
	}
}

// pauseQuantile: pauses beyond the last finite bound give +Inf; a bucket
// set that lost its bounds (a restarted edge) is taken as it is.
func TestPauseQuantile(t *testing.T) {
	inf := F(math.Inf(1))
	a := []Bucket{{Le: 0.001, Count: 10}, {Le: inf, Count: 10}}
	b := []Bucket{{Le: 0.001, Count: 10}, {Le: inf, Count: 20}}
	if n, le := pauseQuantile(a, b, 0.5); n != 10 || !math.IsInf(le, 1) {
		t.Errorf("all new pauses over 1 ms: %v pauses, p50 ≤ %v; want 10 and +Inf", n, le)
	}
	if n, le := pauseQuantile(nil, b, 0.5); n != 20 || le != 0.001 {
		t.Errorf("from nothing: %v, %v; want 20 and 0.001", n, le)
	}
	if n, le := pauseQuantile(a, nil, 0.99); n != 0 || !math.IsNaN(le) {
		t.Errorf("no histogram: %v, %v", n, le)
	}
}

// F is null in JSON when it is not a number JSON can carry, and null reads
// back as NaN.
func TestFJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    F
		want string
	}{
		{"number", 0.25, "0.25"},
		{"NaN", F(math.NaN()), "null"},
		{"+Inf", F(math.Inf(1)), "null"},
		{"-Inf", F(math.Inf(-1)), "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.f)
			if err != nil || string(b) != tc.want {
				t.Fatalf("Marshal: %s, %v; want %s", b, err, tc.want)
			}
			var back F
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if tc.want == "null" && !math.IsNaN(float64(back)) || tc.want != "null" && back != tc.f {
				t.Errorf("%s read back as %v", b, back)
			}
		})
	}
	var f F
	if err := json.Unmarshal([]byte(`"1"`), &f); err == nil {
		t.Error("a string read as F")
	}
}

// Without perf on the PATH, Syscalls says so with ErrNoPerf.
func TestSyscallsWithoutPerf(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Syscalls(context.Background(), os.Getpid()); !errors.Is(err, ErrNoPerf) {
		t.Errorf("Syscalls: %v, want ErrNoPerf", err)
	}
}
