package run

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/veltrix/veltrix/bench/internal/scenario"
	"github.com/veltrix/veltrix/bench/internal/sim"
	"github.com/veltrix/veltrix/bench/internal/system"
)

// workerProc is one worker process and what it reported.
type workerProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	prog   sim.Progress
	result *sim.Result
	err    error
	ready  chan struct{}
	done   chan struct{}
}

// line is one line a worker writes.
type line struct {
	Progress *sim.Progress `json:"progress,omitempty"`
	Interval *sim.Interval `json:"interval,omitempty"`
	Result   *sim.Result   `json:"result,omitempty"`
	Error    string        `json:"error,omitempty"`
}

func startWorkers(cfg scenario.Config, o Options, sys *system.System, job sim.Job) ([]*workerProc, error) {
	first, count := scenario.Split(cfg.Players, cfg.Workers)
	var ws []*workerProc
	for i := range cfg.Workers {
		j := job
		j.Config, j.Worker, j.First = cfg, i, first[i]
		toks, err := sys.Tokens(job.Hunt, first[i]+1, count[i])
		if err != nil {
			stopWorkers(ws)
			return nil, fmt.Errorf("cannot mint player tokens: %w", err)
		}
		j.Tokens = toks
		cmd := exec.Command(o.Self, "worker")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			stopWorkers(ws)
			return nil, fmt.Errorf("cannot start worker %d: %w", i, err)
		}
		w := &workerProc{cmd: cmd, stdin: stdin, ready: make(chan struct{}), done: make(chan struct{})}
		ws = append(ws, w)
		if err := json.NewEncoder(stdin).Encode(j); err != nil {
			stopWorkers(ws)
			return nil, err
		}
		go w.read(stdout)
	}
	return ws, nil
}

func (w *workerProc) read(stdout io.Reader) {
	defer close(w.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	readyOnce := sync.OnceFunc(func() { close(w.ready) })
	defer readyOnce()
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			w.fail(fmt.Errorf("worker wrote %q: %w", truncate(sc.Text()), err))
			continue
		}
		switch {
		case l.Progress != nil:
			w.mu.Lock()
			w.prog = *l.Progress
			w.mu.Unlock()
			if l.Progress.Done {
				readyOnce()
			}
		case l.Interval != nil:
			w.mu.Lock()
			w.prog.Messages += l.Interval.Messages
			w.mu.Unlock()
		case l.Result != nil:
			w.mu.Lock()
			w.result = l.Result
			w.mu.Unlock()
		case l.Error != "":
			w.fail(errors.New(l.Error))
		}
	}
	if err := w.cmd.Wait(); err != nil {
		w.fail(fmt.Errorf("worker: %w", err))
	}
}

func (w *workerProc) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func stopWorkers(ws []*workerProc) {
	for _, w := range ws {
		_ = w.cmd.Process.Kill()
	}
}

func progressOf(ws []*workerProc) (conn, failed, msgs int64, err error) {
	for _, w := range ws {
		w.mu.Lock()
		conn += w.prog.Connected
		failed += w.prog.DialErrors
		msgs += w.prog.Messages
		if err == nil {
			err = w.err
		}
		w.mu.Unlock()
	}
	return conn, failed, msgs, err
}

func bar(done, total int64) string {
	const width = 30
	n := int(float64(width) * float64(done) / float64(max(total, 1)))
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// stillRunning reports whether a worker is still alive without a result.
func stillRunning(ws []*workerProc) bool {
	running := false
	for _, w := range ws {
		w.mu.Lock()
		has := w.result != nil
		w.mu.Unlock()
		select {
		case <-w.done:
		default:
			running = running || !has
		}
	}
	return running
}

// resultsOf is every worker's result, or the first worker's error.
func resultsOf(ws []*workerProc) ([]sim.Result, error) {
	var results []sim.Result
	for _, w := range ws {
		if w.err != nil {
			return nil, w.err
		}
		if w.result == nil {
			return nil, errors.New("a worker ended without a result")
		}
		results = append(results, *w.result)
	}
	return results, nil
}

// goAll starts every worker's measured phase.
func goAll(ws []*workerProc) error {
	for _, w := range ws {
		if _, err := io.WriteString(w.stdin, "go\n"); err != nil {
			return fmt.Errorf("cannot start a worker: %w", err)
		}
	}
	return nil
}
