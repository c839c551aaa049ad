// Command veltrix-bench loads a Veltrix edge and coordinator the way a
// crowd of players would, and reports what they carried.
//
//	veltrix-bench steady -players 2000 -rate 1 -duration 30s
//	veltrix-bench compare -scenario steady -a "-transport=netpoll" -b "-transport=uring" -players 15000
//	veltrix-bench compare -scenario claim-storm -a-bin-dir old/bin -b-bin-dir bin   # two builds
//	veltrix-bench suite      # the short standard suite (make bench)
//
// Without -edge it starts its own system from the binaries in -bin-dir
// (make build). Results go to -out: result.json, report.html, summary.txt.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/veltrix/veltrix/bench/internal/report"
	"github.com/veltrix/veltrix/bench/internal/run"
	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
)

func usage(w io.Writer) {
	fmt.Fprintf(w, `usage: veltrix-bench <scenario> [flags]
       veltrix-bench compare -scenario S -a "edge flags" -b "edge flags" [flags]
       veltrix-bench compare -scenario S -a-bin-dir DIR -b-bin-dir DIR [flags]
       veltrix-bench suite [-out DIR]
       veltrix-bench region [-counts 1,2,3] [-scenario steady] [scenario flags]

scenarios: %s
"veltrix-bench <scenario> -h" lists the flags.
`, strings.Join(scenario.Names, ", "))
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd := os.Args[1]; cmd {
	case "worker":
		err = worker(ctx, os.Stdin, os.Stdout)
	case "compare":
		err = compare(ctx, os.Args[2:])
	case "suite":
		err = suite(ctx, os.Args[2:])
	case "region":
		err = region(ctx, os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage(os.Stdout)
		return
	default:
		err = single(ctx, cmd, os.Args[2:])
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "veltrix-bench:", err)
		os.Exit(1)
	}
}

func options() (run.Options, error) {
	self, err := os.Executable()
	if err != nil {
		return run.Options{}, err
	}
	o := run.Options{Self: self, Progress: os.Stderr}
	// VELTRIX_BENCH_LOGS names a file that gets the local system's logs.
	if path := os.Getenv("VELTRIX_BENCH_LOGS"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return o, err
		}
		o.Logs = f
	}
	return o, nil
}

func outDir(dir, name string) (string, error) {
	if dir == "" {
		dir = filepath.Join("bench", "out", time.Now().UTC().Format("20060102-150405")+"-"+name)
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// splitOut takes -out from args (it is the tool's, not the scenario's).
func splitOut(args []string) (out string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-out" || a == "--out":
			if i+1 == len(args) {
				return "", nil, errors.New("-out needs a directory")
			}
			out = args[i+1]
			i++
		case strings.HasPrefix(a, "-out=") || strings.HasPrefix(a, "--out="):
			out = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	return out, rest, nil
}

func single(ctx context.Context, name string, args []string) error {
	out, args, err := splitOut(args)
	if err != nil {
		return err
	}
	cfg, err := scenario.Parse(name, args)
	if err != nil {
		return err
	}
	o, err := options()
	if err != nil {
		return err
	}
	if len(cfg.Sizes) > 0 {
		return sizes(ctx, cfg, o, out)
	}
	r, err := run.Execute(ctx, cfg, o)
	if err != nil {
		return err
	}
	return write(out, name, []*report.Run{r})
}

// sizes runs cfg once per size (crowd -sizes), each on a system of its
// own, and sets the runs side by side in one table (table.md).
func sizes(ctx context.Context, cfg scenario.Config, o run.Options, out string) error {
	dir, err := outDir(out, cfg.Scenario)
	if err != nil {
		return err
	}
	var runs []*report.Run
	var failed []string
	for _, n := range cfg.Sizes {
		c := cfg
		c.Players, c.Sizes, c.Label = n, nil, fmt.Sprintf("%s %d", cfg.Scenario, n)
		r, err := run.Execute(ctx, c, o)
		if err == nil {
			runs = append(runs, r)
			err = write(filepath.Join(dir, fmt.Sprint(n)), cfg.Scenario, []*report.Run{r})
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "veltrix-bench: %d players: %v\n", n, err)
			failed = append(failed, fmt.Sprint(n))
		}
	}
	var table bytes.Buffer
	report.CrowdTable(&table, runs)
	if err := os.WriteFile(filepath.Join(dir, "table.md"), table.Bytes(), 0o644); err != nil {
		return err
	}
	os.Stdout.Write(table.Bytes())
	if len(failed) > 0 {
		return fmt.Errorf("sizes %s failed", strings.Join(failed, ", "))
	}
	return nil
}

// write saves the runs' result, report and summary and prints the summary.
func write(dir, name string, runs []*report.Run) error {
	dir, err := outDir(dir, name)
	if err != nil {
		return err
	}
	var sum bytes.Buffer
	if len(runs) == 2 {
		report.Compare(&sum, runs[0], runs[1])
		sum.WriteString("\n")
	}
	for i, r := range runs {
		r.Summary(&sum)
		file := "result.json"
		if len(runs) > 1 {
			file = fmt.Sprintf("result-%c.json", 'a'+i)
		}
		if err := r.WriteJSON(filepath.Join(dir, file)); err != nil {
			return err
		}
	}
	if err := report.WriteHTML(filepath.Join(dir, "report.html"), runs); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.txt"), sum.Bytes(), 0o644); err != nil {
		return err
	}
	os.Stdout.Write(sum.Bytes())
	fmt.Printf("report: %s\n", filepath.Join(dir, "report.html"))
	for _, r := range runs {
		if !r.OK() {
			return fmt.Errorf("%s: a correctness check failed", r.Label)
		}
	}
	return nil
}

// suite is make bench's short standard suite: every scenario small enough
// for a 2-core machine, a few minutes in all, one report per scenario.
func suite(ctx context.Context, args []string) error {
	out, args, err := splitOut(args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("suite takes only -out, not %q", args[0])
	}
	if out == "" {
		out = filepath.Join("bench", "out", "suite-"+time.Now().UTC().Format("20060102-150405"))
	}
	o, err := options()
	if err != nil {
		return err
	}
	var failed []string
	for _, s := range []struct {
		name string
		args []string
	}{
		{"connect-storm", []string{"-players", "3000"}},
		{"steady", []string{"-players", "2000", "-duration", "20s"}},
		{"hotspot", []string{"-players", "1500", "-duration", "15s"}},
		{"claim-storm", []string{"-players", "500", "-duration", "10s"}},
		{"hunt-status", []string{"-status-rate", "1000", "-duration", "15s"}},
		{"failover", []string{"-players", "300", "-duration", "20s", "-kill-after", "8s"}},
	} {
		cfg, err := scenario.Parse(s.name, s.args)
		if err != nil {
			return err
		}
		r, err := run.Execute(ctx, cfg, o)
		if err == nil {
			err = write(filepath.Join(out, s.name), s.name, []*report.Run{r})
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "veltrix-bench: %s: %v\n", s.name, err)
			failed = append(failed, s.name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed", strings.Join(failed, ", "))
	}
	return nil
}

// worker runs one worker process: a Job on the first line of in, "go" on
// the next, JSON lines out.
func worker(ctx context.Context, in io.Reader, out io.Writer) error {
	enc := json.NewEncoder(out)
	dec := json.NewDecoder(in)
	var job sim.Job
	if err := dec.Decode(&job); err != nil {
		return fmt.Errorf("worker: cannot read the job: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := make(chan struct{})
	go func() { // "go" starts the measured phase; the parent closing stdin ends the worker
		defer cancel()
		br := bufio.NewReader(io.MultiReader(dec.Buffered(), in))
		started := false
		for {
			l, err := br.ReadString('\n')
			if strings.TrimSpace(l) == "go" && !started {
				started = true
				close(start)
			}
			if err != nil {
				return
			}
		}
	}()
	emit := func(v any) { _ = enc.Encode(v) }
	stopProfile := profilePhase(start, job.Worker)
	err := sim.Run(ctx, job, start,
		func(p sim.Progress) { emit(map[string]any{"progress": p}) },
		func(iv sim.Interval) { emit(map[string]any{"interval": iv}) },
		func(r sim.Result) { stopProfile(); emit(map[string]any{"result": r}) })
	if err != nil && ctx.Err() == nil {
		emit(map[string]string{"error": err.Error()})
		return err
	}
	return nil
}

// profilePhase writes a CPU profile of a worker's measured phase (from
// start to the returned stop) to $VELTRIX_BENCH_CPUPROFILE.<worker>, when
// that is set: where the generator's CPU goes. Call stop only once start
// is closed.
func profilePhase(start <-chan struct{}, worker int) (stop func()) {
	prefix := os.Getenv("VELTRIX_BENCH_CPUPROFILE")
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", prefix, worker))
	if err != nil {
		fmt.Fprintf(os.Stderr, "veltrix-bench worker: %v\n", err)
		return func() {}
	}
	started := make(chan bool, 1)
	go func() {
		<-start
		started <- pprof.StartCPUProfile(f) == nil
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			if <-started {
				pprof.StopCPUProfile()
			}
			_ = f.Close()
		})
	}
}

// region runs one crowd (the scenario's flags) on regions of each of
// -counts edges (default 1,2,3), one after the other, each on a system of
// its own whose edges share cells over NATS, and writes them side by side.
func region(ctx context.Context, args []string) error {
	out, args, err := splitOut(args)
	if err != nil {
		return err
	}
	counts, name := []int{1, 2, 3}, "steady"
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-counts" || a == "-scenario") && i+1 < len(args):
			if a == "-scenario" {
				name = args[i+1]
			} else if counts, err = parseCounts(args[i+1]); err != nil {
				return err
			}
			i++
		default:
			rest = append(rest, a)
		}
	}
	o, err := options()
	if err != nil {
		return err
	}
	var runs []*report.Run
	for _, n := range counts {
		cfg, err := scenario.Parse(name, rest)
		if err != nil {
			return err
		}
		cfg.Edges, cfg.Label = n, fmt.Sprintf("%d edge(s)", n)
		r, err := run.Execute(ctx, cfg, o)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	dir, err := outDir(out, "region")
	if err != nil {
		return err
	}
	if err := write(dir, "region", runs); err != nil {
		return err
	}
	var t bytes.Buffer
	report.RegionTable(&t, runs)
	os.Stdout.Write(t.Bytes())
	return os.WriteFile(filepath.Join(dir, "region.txt"), t.Bytes(), 0o644)
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err != nil || n < 1 || n > 8 {
			return nil, fmt.Errorf("-counts %q: want edge counts 1 … 8, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}
