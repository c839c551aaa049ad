package sample

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

const exposition = `# TYPE veltrix_edge_connections gauge
veltrix_edge_connections{transport="websocket"} 1500
veltrix_edge_connections{transport="webtransport"} 500
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.048576e+08
# TYPE go_memstats_mallocs_total counter
go_memstats_mallocs_total 1000
# TYPE veltrix_edge_messages_out_total counter
veltrix_edge_messages_out_total{type="CELL_UPDATE"} 9000
veltrix_edge_messages_out_total{type="WELCOME"} 1000
# TYPE veltrix_edge_bytes_fanned_out_total counter
veltrix_edge_bytes_fanned_out_total 5e+06
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 1e-05
go_gc_duration_seconds{quantile="1"} 0.00042
go_gc_duration_seconds_sum 0.01
go_gc_duration_seconds_count 40
# TYPE go_sched_pauses_total_gc_seconds histogram
go_sched_pauses_total_gc_seconds_bucket{le="6.4e-08"} 0
go_sched_pauses_total_gc_seconds_bucket{le="6.4e-07"} 10
go_sched_pauses_total_gc_seconds_bucket{le="7.168e-06"} 50
go_sched_pauses_total_gc_seconds_bucket{le="8.192e-05"} 79
go_sched_pauses_total_gc_seconds_bucket{le="0.000917504"} 80
go_sched_pauses_total_gc_seconds_bucket{le="+Inf"} 80
go_sched_pauses_total_gc_seconds_sum 0.001
go_sched_pauses_total_gc_seconds_count 80
`

func TestParseSumsLabelsAndReadsGC(t *testing.T) {
	e, err := Parse(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	if e.Connections != 2000 || e.CPUSeconds != 12.5 || e.RSS != 104857600 || e.MessagesOut != 10000 || e.GCCycles != 40 || e.BytesFannedOut != 5e6 {
		t.Fatalf("parsed %+v", e)
	}
	if e.GCPauseMax != 0.00042 || len(e.GCPauseBuckets) != 6 {
		t.Fatalf("GC: max %v, %d buckets", e.GCPauseMax, len(e.GCPauseBuckets))
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	if _, err := Parse(strings.NewReader("this is { not metrics\n")); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestBetween(t *testing.T) {
	a, err := Parse(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	b := a
	b.At = a.At.Add(10 * time.Second)
	b.CPUSeconds += 5
	b.Mallocs += 200
	b.MessagesOut += 100000
	b.BytesFannedOut += 3e6
	b.GCCPUSeconds += 0.5
	b.GCPauseBuckets = append([]Bucket(nil), a.GCPauseBuckets...)
	// 100 new pauses: 98 under 7.168 µs, 2 under 917.5 µs.
	for i := range b.GCPauseBuckets {
		switch {
		case b.GCPauseBuckets[i].Le >= 0.000917504:
			b.GCPauseBuckets[i].Count += 100
		case b.GCPauseBuckets[i].Le >= 7.168e-06:
			b.GCPauseBuckets[i].Count += 98
		}
	}
	d := Between(a, b)
	if d.Seconds != 10 || d.CPUSeconds != 5 || d.Mallocs != 200 || d.MessagesOut != 100000 || d.BytesOut != 3e6 || d.GCCPUShare != 0.1 {
		t.Fatalf("delta %+v", d)
	}
	if d.Pauses != 100 || d.GCPauseP99 != 0.000917504 || d.GCPauseMaxLe != 0.000917504 {
		t.Fatalf("pauses %v, p99 ≤ %v, max ≤ %v; want 100, 917.5 µs, 917.5 µs", d.Pauses, d.GCPauseP99, d.GCPauseMaxLe)
	}
	if d := Between(a, a); d.Pauses != 0 || !math.IsNaN(float64(d.GCPauseP99)) {
		t.Fatalf("no pauses: %+v", d)
	}
}

// ProcCPU reads this process's CPU time, which only grows; Slab reads the
// kernel's slab memory.
func TestProcCPUAndSlab(t *testing.T) {
	a, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); { // burn until a tick shows
		if b, err := ProcCPU(os.Getpid()); err != nil || b < a {
			t.Fatalf("CPU %v then %v, %v", a, b, err)
		} else if b > a {
			break
		}
	}
	if _, err := ProcCPU(-1); err == nil {
		t.Fatal("CPU of pid -1")
	}
	if s, err := Slab(); err != nil || s <= 0 {
		t.Fatalf("slab %v, %v", s, err)
	}
}
