package testkit

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const childEnv = "TESTKIT_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		fmt.Println("child", v) // then wait for stdin to close
		os.Stdin.Read(make([]byte, 1))
		return
	}
	os.Exit(m.Run())
}

// TestUntilChecksUntilTheConditionHolds: Until returns once cond holds, having
// asked it again on every tick.
func TestUntilChecksUntilTheConditionHolds(t *testing.T) {
	calls := 0
	Until(t, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
}

// TestChild: the child runs with the environment given, its output is
// readable, and Close ends it cleanly.
func TestChild(t *testing.T) {
	p := Child(t, childEnv+"=42")
	line, err := p.Out.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "child 42" {
		t.Fatalf("child said %q, %v", line, err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("child exit: %v", err)
	}
}
