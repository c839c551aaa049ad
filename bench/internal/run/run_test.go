package run

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/bench/internal/report"
	"github.com/veltrix/veltrix/bench/internal/sample"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
)

func TestParseLimits(t *testing.T) {
	const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
`
	if n, err := parseLimits(limits); err != nil || n != 20000 {
		t.Fatalf("%d %v", n, err)
	}
	if n, err := parseLimits("Max open files            unlimited            unlimited            files\n"); err != nil || n < 1<<20 {
		t.Fatalf("unlimited: %d %v", n, err)
	}
	if _, err := parseLimits("Max cpu time 1 1 seconds\n"); err == nil {
		t.Fatal("no open-files line, no error")
	}
}

func TestOpenFilesLimitOfThisProcess(t *testing.T) {
	n, err := OpenFilesLimit()
	if err != nil || n < 64 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestBar(t *testing.T) {
	if got := bar(5, 10); got != "[###############...............]" {
		t.Fatalf("half: %s", got)
	}
	if got := bar(20, 10); got != "[##############################]" {
		t.Fatalf("over: %s", got)
	}
}

func TestTreasureCount(t *testing.T) {
	for _, c := range []struct {
		scenario string
		hotspots int
		want     int
	}{{"steady", 3, 200}, {"claim-storm", 5, 20}, {"claim-storm", 0, 4}, {"crowd", 5, 10}} {
		t.Run(c.scenario, func(t *testing.T) {
			if got := treasureCount(scenario.Config{Scenario: c.scenario, Hotspots: c.hotspots}); got != c.want {
				t.Fatalf("%d hotspots: %d treasures, want %d", c.hotspots, got, c.want)
			}
		})
	}
}

func TestEdgePoint(t *testing.T) {
	e := sample.Edge{Connections: 7, RSS: 100, HeapInuse: 30, StackInuse: 12, CPUSeconds: 1.5, Goroutines: 9}
	want := report.EdgePoint{T: 2.5, Connections: 7, RSS: 100, Heap: 42, CPU: 1.5, Goroutines: 9}
	if got := edgePoint(2.5, e); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

func TestStillRunning(t *testing.T) {
	alive := &workerProc{done: make(chan struct{})}
	finished := &workerProc{done: make(chan struct{}), result: &sim.Result{}}
	exited := &workerProc{done: make(chan struct{})}
	close(exited.done)
	if stillRunning([]*workerProc{finished, exited}) {
		t.Fatal("running with every worker finished or exited")
	}
	if !stillRunning([]*workerProc{finished, alive}) {
		t.Fatal("not running with a live worker without a result")
	}
}

func TestResultsOf(t *testing.T) {
	ok := &workerProc{result: &sim.Result{}}
	if rs, err := resultsOf([]*workerProc{ok, ok}); err != nil || len(rs) != 2 {
		t.Fatalf("%d results, %v", len(rs), err)
	}
	if _, err := resultsOf([]*workerProc{ok, {}}); err == nil {
		t.Fatal("a worker without a result, no error")
	}
	boom := errors.New("boom")
	if _, err := resultsOf([]*workerProc{ok, {err: boom, result: &sim.Result{}}}); err != boom {
		t.Fatalf("%v, want the worker's error", err)
	}
}

func TestSyscallCountInto(t *testing.T) {
	var r report.Run
	syscallCount{n: 42}.into(&r)
	if r.Edge.Syscalls != 42 || r.Edge.SyscallsErr != "" {
		t.Fatalf("count: %d %q", r.Edge.Syscalls, r.Edge.SyscallsErr)
	}
	var failed report.Run
	syscallCount{err: errors.New("no strace")}.into(&failed)
	if failed.Edge.Syscalls != 0 || failed.Edge.SyscallsErr != "no strace" {
		t.Fatalf("error: %d %q", failed.Edge.Syscalls, failed.Edge.SyscallsErr)
	}
}

type closer struct{ strings.Builder }

func (*closer) Close() error { return nil }

func TestGoAll(t *testing.T) {
	a, b := &closer{}, &closer{}
	if err := goAll([]*workerProc{{stdin: a}, {stdin: b}}); err != nil || a.String() != "go\n" || b.String() != "go\n" {
		t.Fatalf("%v: wrote %q and %q", err, a.String(), b.String())
	}
	pr, pw := io.Pipe()
	pr.Close()
	if err := goAll([]*workerProc{{stdin: pw}}); err == nil {
		t.Fatal("a worker that cannot be written to, no error")
	}
}
