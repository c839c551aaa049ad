// Package testkit holds what tests across the module share: waiting for an
// observable condition, and a child process running the test binary
// again. It imports testing, so only tests may import it
// (coordinator/wire's TestNoProductionPackageImportsTesting).
package testkit

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Deadline is how long Until waits: generous, since a busy machine is
// slow, never wrong.
const Deadline = 20 * time.Second

// Until checks cond, an observable condition (never a clock), each time
// the ticker fires until it holds; the test fails after Deadline.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// Proc is a child process running this test binary again, with no test
// selected: what it does, its TestMain decides from its environment.
type Proc struct {
	Out   *bufio.Reader // its standard output
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// Child starts the test binary again with env added to this process's
// environment and its standard error shared. The child ends when its
// standard input closes (Close).
func Child(tb testing.TB, env ...string) *Proc {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	return &Proc{Out: bufio.NewReader(stdout), cmd: cmd, stdin: stdin}
}

// Close closes the child's standard input and waits for it to exit.
func (p *Proc) Close() error {
	p.stdin.Close()
	return p.cmd.Wait()
}
