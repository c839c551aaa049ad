package uring

import (
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Opcodes the tests use that the edge does not (values from io_uring.h).
const (
	opTimeout = 11
	opWrite   = 23
)

// ownedRing creates a ring owned by the calling test goroutine, which it
// locks to its thread for the rest of the test (SINGLE_ISSUER|DEFER_TASKRUN:
// every submit and wait must come from the creating thread).
func ownedRing(t *testing.T, cfg Config) *Ring {
	t.Helper()
	if _, err := Probe(); err != nil {
		t.Fatalf("io_uring is required (the edge's ring transport): %v", err)
	}
	runtime.LockOSThread()
	r, err := New(cfg)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		runtime.UnlockOSThread()
	})
	return r
}

// submit hands the prepared SQEs to the kernel without waiting.
func submit(t *testing.T, r *Ring) {
	t.Helper()
	if err := r.Submit(false, 0); err != nil {
		t.Fatal(err)
	}
}

// waitCQEs waits (on completions, never on a clock) until n completions
// arrived, failing after a generous deadline.
func waitCQEs(t *testing.T, r *Ring, n int) []CQE {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	cqes := make([]CQE, 0, n)
	for len(cqes) < n {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("%d of %d completions before the deadline: %+v", len(cqes), n, cqes)
		}
		if err := r.Submit(true, left); err != nil { // a wait may end early (EINTR)
			t.Fatal(err)
		}
		cqes = r.Reap(cqes)
	}
	return cqes
}

// waitReady waits until n completions sit in the CQ, without reaping.
func waitReady(t *testing.T, r *Ring, n uint32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.Ready() < n {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("%d of %d completions before the deadline", r.Ready(), n)
		}
		if err := r.Submit(true, left); err != nil {
			t.Fatal(err)
		}
	}
}

// byUserData indexes completions by user_data, failing on duplicates.
func byUserData(t *testing.T, cqes []CQE) map[uint64]CQE {
	t.Helper()
	m := make(map[uint64]CQE, len(cqes))
	for _, c := range cqes {
		if _, dup := m[c.UserData]; dup {
			t.Fatalf("two completions for user_data %#x: %+v", c.UserData, cqes)
		}
		m[c.UserData] = c
	}
	return m
}

func pipe(t *testing.T) (rfd, wfd int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

func socketpair(t *testing.T) (a, b int) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// arena is off-heap memory the kernel may use after a submit returned.
func arena(t *testing.T, size int) []byte {
	t.Helper()
	b, err := Arena(size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { FreeArena(b) })
	return b
}

func addr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

// TestNewAndClose: a ring comes up with the configured sizes, its SQ holds
// exactly Entries SQEs, and Close is idempotent and gives up the fd.
func TestNewAndClose(t *testing.T) {
	for _, c := range []struct {
		name    string
		cfg     Config
		entries int
	}{
		{"small", Config{Entries: 4}, 4},
		{"rounded_up", Config{Entries: 5}, 8},
		{"explicit_cq", Config{Entries: 8, CQEntries: 64}, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ownedRing(t, c.cfg)
			if r.Fd() < 0 {
				t.Fatalf("Fd() = %d", r.Fd())
			}
			for i := range c.entries {
				if r.SQE() == nil {
					t.Fatalf("SQE %d of %d: nil", i, c.entries)
				}
			}
			if e := r.SQE(); e != nil {
				t.Fatalf("SQE beyond %d entries: not nil", c.entries)
			}
			if p := r.Pending(); p != uint32(c.entries) {
				t.Fatalf("Pending() = %d, want %d", p, c.entries)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if r.Fd() != -1 {
				t.Fatalf("Fd() after Close = %d, want -1", r.Fd())
			}
			if err := r.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

// TestNewDefaults: a zero Config gets the documented sizes (1024 SQEs, a CQ
// of 8× that for multishot).
func TestNewDefaults(t *testing.T) {
	r := ownedRing(t, Config{})
	n := 0
	for r.SQE() != nil {
		n++
	}
	if n != 1024 {
		t.Fatalf("default SQ holds %d SQEs, want 1024", n)
	}
	if len(r.cqes) != 8*1024 {
		t.Fatalf("default CQ holds %d CQEs, want %d", len(r.cqes), 8*1024)
	}
}

// TestNopSubmitReap: NOPs complete with res 0 and their own user_data;
// Reap copies no more than its capacity and leaves the rest Ready.
func TestNopSubmitReap(t *testing.T) {
	r := ownedRing(t, Config{Entries: 8})
	for i := range 4 {
		e := r.SQE()
		*e = SQE{Opcode: OpNop, UserData: UserData(1, 7, uint32(i))}
	}
	submit(t, r)
	if p := r.Pending(); p != 0 {
		t.Fatalf("Pending() after Submit = %d", p)
	}
	waitReady(t, r, 4)
	got := r.Reap(make([]CQE, 0, 2))
	if len(got) != 2 || r.Ready() != 2 {
		t.Fatalf("Reap into cap 2: %d reaped, %d left ready, want 2 and 2", len(got), r.Ready())
	}
	// Reaping into a dst that already holds completions counts only the
	// new ones in Stats.
	got = r.Reap(append(make([]CQE, 0, 8), got...))
	if len(got) != 4 || r.Ready() != 0 {
		t.Fatalf("second Reap: %d reaped in all, %d left ready, want 4 and 0", len(got), r.Ready())
	}
	for i, c := range got {
		op, gen, slot := SplitUserData(c.UserData)
		if c.Res != 0 || op != 1 || gen != 7 || slot != uint32(i) {
			t.Errorf("completion %d: %+v (op %d gen %d slot %d)", i, c, op, gen, slot)
		}
	}
	if s, c := r.Stats.Submissions.Load(), r.Stats.Completions.Load(); s != 4 || c != 4 {
		t.Fatalf("Stats: %d submissions, %d completions, want 4 and 4", s, c)
	}
}

// TestSubmitTimeout: a wait with nothing in flight ends at its timeout
// without an error or a completion; a wait without one returns at once when
// a completion is already there.
func TestSubmitTimeout(t *testing.T) {
	r := ownedRing(t, Config{Entries: 4})
	if err := r.Submit(true, time.Millisecond); err != nil {
		t.Fatalf("Submit with an expiring wait: %v", err)
	}
	if r.Ready() != 0 {
		t.Fatalf("%d completions from nothing", r.Ready())
	}
	*r.SQE() = SQE{Opcode: OpNop, UserData: 9}
	if err := r.Submit(true, -1); err != nil { // no timeout: returns on the NOP's completion
		t.Fatal(err)
	}
	if got := r.Reap(make([]CQE, 0, 4)); len(got) != 1 || got[0].UserData != 9 {
		t.Fatalf("completions %+v, want the NOP's", got)
	}
}

// TestTimeoutOp: an IORING_OP_TIMEOUT request, its timespec in an arena,
// completes with -ETIME; one with a count of completions completes with 0
// once that many other (non-timeout) requests completed: the NOP's.
func TestTimeoutOp(t *testing.T) {
	r := ownedRing(t, Config{Entries: 8})
	mem := arena(t, 64)
	ts := (*unix.Timespec)(unsafe.Pointer(&mem[0]))
	*ts = unix.NsecToTimespec(int64(time.Millisecond))
	long := (*unix.Timespec)(unsafe.Pointer(&mem[16]))
	*long = unix.NsecToTimespec(int64(time.Hour))
	*r.SQE() = SQE{Opcode: opTimeout, Addr: addr(mem[0:16]), Len: 1, UserData: 1}
	*r.SQE() = SQE{Opcode: opTimeout, Addr: addr(mem[16:32]), Len: 1, Off: 1, UserData: 2} // ends after 1 other completion
	*r.SQE() = SQE{Opcode: OpNop, UserData: 3}
	submit(t, r)
	got := byUserData(t, waitCQEs(t, r, 3))
	if c := got[1]; c.Res != -int32(unix.ETIME) {
		t.Errorf("expired timeout: res %d, want -ETIME", c.Res)
	}
	if c := got[2]; c.Res != 0 {
		t.Errorf("count-satisfied timeout: res %d, want 0", c.Res)
	}
}

// TestReadWritePipe: WRITE into a pipe and READ from it, both from arena
// memory, in one submission; the bytes arrive intact.
func TestReadWritePipe(t *testing.T) {
	for _, size := range []int{1, 100, 4096} {
		t.Run(strconv.Itoa(size)+"B", func(t *testing.T) {
			r := ownedRing(t, Config{Entries: 4})
			rfd, wfd := pipe(t)
			mem := arena(t, 2*size)
			src, dst := mem[:size], mem[size:]
			for i := range src {
				src[i] = byte(i*7 + 1)
			}
			*r.SQE() = SQE{Opcode: OpRead, Fd: int32(rfd), Addr: addr(dst), Len: uint32(size), UserData: 1}
			*r.SQE() = SQE{Opcode: opWrite, Fd: int32(wfd), Addr: addr(src), Len: uint32(size), UserData: 2}
			submit(t, r)
			got := byUserData(t, waitCQEs(t, r, 2))
			if got[2].Res != int32(size) || got[1].Res != int32(size) {
				t.Fatalf("write res %d, read res %d, want %d", got[2].Res, got[1].Res, size)
			}
			if string(dst) != string(src) {
				t.Fatal("read back different bytes")
			}
		})
	}
}

// TestClosedRing: what may still be called on a closed ring fails cleanly
// (Wake from another goroutine racing with shutdown, a buffer ring
// registered too late) instead of reaching a reused descriptor. SQE, Submit,
// Ready and Reap must not be called after Close: the rings are unmapped.
func TestClosedRing(t *testing.T) {
	r := ownedRing(t, Config{Entries: 4})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The closed ring's fd is -1: io_uring_register's "blind" form, which
	// takes only SEND_MSG_RING and refuses the rest with EINVAL.
	if b, err := NewBufRing(r, 1, 4, 64); !errors.Is(err, unix.EINVAL) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("NewBufRing on a closed ring: %v, want EINVAL", err)
	}
	r.Sleep()
	done := make(chan struct{})
	go func() { r.Wake(); close(done) }() // MSG_RING to fd -1: refused, not a crash
	<-done
	if n := r.Stats.Wakeups.Load(); n != 1 {
		t.Fatalf("%d wake-ups counted, want 1", n)
	}
}

// TestWaitFor: with WaitFor(2) one wait lasts until both a NOP and a
// 1 ms TIMEOUT request completed (the NOP's completion alone does not end
// it); WaitFor(1) is the plain wait again.
func TestWaitFor(t *testing.T) {
	r := ownedRing(t, Config{Entries: 8})
	mem := arena(t, 16)
	*(*unix.Timespec)(unsafe.Pointer(&mem[0])) = unix.NsecToTimespec(int64(time.Millisecond))
	r.WaitFor(2)
	*r.SQE() = SQE{Opcode: opTimeout, Addr: addr(mem[0:16]), Len: 1, UserData: 1}
	*r.SQE() = SQE{Opcode: OpNop, UserData: 2}
	if err := r.Submit(true, -1); err != nil {
		t.Fatal(err)
	}
	if n := r.Ready(); n != 2 {
		t.Fatalf("the wait ended with %d completions, want 2", n)
	}
	r.Reap(make([]CQE, 0, 2))
	r.WaitFor(1)
	*r.SQE() = SQE{Opcode: OpNop, UserData: 3}
	if err := r.Submit(true, -1); err != nil || r.Ready() != 1 {
		t.Fatalf("a plain wait: %v, %d ready", err, r.Ready())
	}
}
