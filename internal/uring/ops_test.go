package uring

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestUserData: op, generation and slot survive the round trip; the
// generation keeps only its low 24 bits.
func TestUserData(t *testing.T) {
	for _, c := range []struct {
		name           string
		op             uint8
		gen, slot      uint32
		wantGen        uint32
		wantUserData64 uint64
	}{
		{"zero", 0, 0, 0, 0, 0},
		{"fields", 3, 5, 9, 5, 3<<56 | 5<<32 | 9},
		{"max", 0xff, 0xffffff, 0xffffffff, 0xffffff, ^uint64(0)},
		{"gen_wraps", 0, 0x1000002, 4, 2, 2<<32 | 4}, // bit 24 of gen must not reach op
	} {
		t.Run(c.name, func(t *testing.T) {
			u := UserData(c.op, c.gen, c.slot)
			if u != c.wantUserData64 {
				t.Fatalf("UserData = %#x, want %#x", u, c.wantUserData64)
			}
			op, gen, slot := SplitUserData(u)
			if op != c.op || gen != c.wantGen || slot != c.slot {
				t.Fatalf("SplitUserData = %d,%d,%d, want %d,%d,%d", op, gen, slot, c.op, c.wantGen, c.slot)
			}
		})
	}
}

// TestCQEFlags: More and Buffer read F_MORE and F_BUFFER with its id.
func TestCQEFlags(t *testing.T) {
	for _, c := range []struct {
		name   string
		flags  uint32
		more   bool
		bid    uint16
		hasBuf bool
	}{
		{"none", 0, false, 0, false},
		{"more", CQEFMore, true, 0, false},
		{"buffer", CQEFBuffer | 7<<16, false, 7, true},
		{"buffer_more_nonempty", CQEFBuffer | CQEFMore | CQEFSockNonempty | 0xffff<<16, true, 0xffff, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := CQE{Flags: c.flags}
			bid, ok := e.Buffer()
			if e.More() != c.more || ok != c.hasBuf || (ok && bid != c.bid) {
				t.Fatalf("More %v Buffer (%d, %v), want %v (%d, %v)", e.More(), bid, ok, c.more, c.bid, c.hasBuf)
			}
		})
	}
}

// TestErrorResults: requests on bad descriptors fail in their CQE's res
// (a negative errno), not in Submit, and do not disturb their neighbours.
func TestErrorResults(t *testing.T) {
	rfd, _ := pipe(t)
	mem := arena(t, 64)
	for _, c := range []struct {
		name string
		prep func(e *SQE)
		want int32
	}{
		{"read_bad_fd", func(e *SQE) { *e = SQE{Opcode: OpRead, Fd: -1, Addr: addr(mem), Len: 8} }, -int32(unix.EBADF)},
		{"read_closed_fd", func(e *SQE) { *e = SQE{Opcode: OpRead, Fd: 1 << 20, Addr: addr(mem), Len: 8} }, -int32(unix.EBADF)},
		{"close_bad_fd", func(e *SQE) { e.PrepClose(-1, 0) }, -int32(unix.EBADF)},
		{"shutdown_pipe", func(e *SQE) { e.PrepShutdown(rfd, unix.SHUT_WR, 0) }, -int32(unix.ENOTSOCK)},
		{"recv_bad_fd", func(e *SQE) { e.PrepRecvMultishot(-1, 0, 0) }, -int32(unix.EBADF)},
		{"accept_not_listening", func(e *SQE) { e.PrepAcceptMultishot(rfd, 0) }, -int32(unix.ENOTSOCK)},
		{"cancel_all_nothing_counts_zero", func(e *SQE) { e.PrepCancelFD(rfd, 0) }, 0},
		{"msg_ring_not_a_ring", func(e *SQE) { *e = SQE{Opcode: OpMsgRing, Fd: int32(rfd), Addr: msgData} }, -int32(unix.EBADFD)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ownedRing(t, Config{Entries: 8}) // a subtest runs on its own thread
			c.prep(r.SQE())
			*r.SQE() = SQE{Opcode: OpNop, UserData: 1}
			// prep functions set their own user_data; the failing one is 0.
			submit(t, r)
			got := byUserData(t, waitCQEs(t, r, 2))
			if res := got[0].Res; res != c.want {
				t.Errorf("res %d (%v), want %d (%v)", res, unix.Errno(-res), c.want, unix.Errno(-c.want))
			}
			if got[1].Res != 0 {
				t.Errorf("the NOP beside it: res %d", got[1].Res)
			}
		})
	}
}

// TestCancelFD: ASYNC_CANCEL by fd ends every request on it with
// -ECANCELED and reports how many it cancelled; others stay armed.
func TestCancelFD(t *testing.T) {
	r := ownedRing(t, Config{Entries: 8})
	rfd, _ := pipe(t)
	other, otherW := pipe(t)
	mem := arena(t, 64)
	*r.SQE() = SQE{Opcode: OpRead, Fd: int32(rfd), Addr: addr(mem[0:8]), Len: 8, UserData: 1}
	*r.SQE() = SQE{Opcode: OpRead, Fd: int32(rfd), Addr: addr(mem[8:16]), Len: 8, UserData: 2}
	*r.SQE() = SQE{Opcode: OpRead, Fd: int32(other), Addr: addr(mem[16:24]), Len: 8, UserData: 3}
	submit(t, r)
	if r.Ready() != 0 {
		t.Fatalf("reads of empty pipes completed: %+v", r.Reap(make([]CQE, 0, 8)))
	}
	r.SQE().PrepCancelFD(rfd, 4)
	submit(t, r)
	got := byUserData(t, waitCQEs(t, r, 3))
	if got[4].Res != 2 {
		t.Errorf("cancel res %d, want 2 (both reads on the fd)", got[4].Res)
	}
	for _, ud := range []uint64{1, 2} {
		if got[ud].Res != -int32(unix.ECANCELED) {
			t.Errorf("read %d: res %d, want -ECANCELED", ud, got[ud].Res)
		}
	}
	if _, ok := got[3]; ok {
		t.Fatal("the read on another fd was cancelled too")
	}
	// The survivor still completes when its pipe gets data.
	if _, err := unix.Write(otherW, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if c := waitCQEs(t, r, 1)[0]; c.UserData != 3 || c.Res != 1 || mem[16] != 'x' {
		t.Fatalf("surviving read: %+v, byte %q", c, mem[16])
	}
}

// TestCloseAndShutdownOps: CLOSE gives the descriptor up (a later read
// on it is -EBADF); SHUTDOWN(SHUT_WR) makes the peer read EOF.
func TestCloseAndShutdownOps(t *testing.T) {
	r := ownedRing(t, Config{Entries: 8})
	a, b := socketpair(t)
	r.SQE().PrepShutdown(a, unix.SHUT_WR, 1)
	submit(t, r)
	if c := waitCQEs(t, r, 1)[0]; c.UserData != 1 || c.Res != 0 {
		t.Fatalf("shutdown: %+v", c)
	}
	if err := unix.SetNonblock(b, true); err != nil { // a wrong shutdown fails fast (EAGAIN), not by hanging
		t.Fatal(err)
	}
	var buf [4]byte
	if n, err := unix.Read(b, buf[:]); n != 0 || err != nil {
		t.Fatalf("peer read after SHUT_WR: %d, %v; want EOF", n, err)
	}
	fd, err := unix.Dup(b)
	if err != nil {
		t.Fatal(err)
	}
	r.SQE().PrepClose(fd, 2)
	submit(t, r)
	if c := waitCQEs(t, r, 1)[0]; c.UserData != 2 || c.Res != 0 {
		t.Fatalf("close: %+v", c)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("fcntl on the closed fd: %v, want EBADF", err)
	}
}

// TestSendmsg: a Msg of several iovecs (and an empty one, which takes no
// iovec) goes out in one SENDMSG, in order.
func TestSendmsg(t *testing.T) {
	r := ownedRing(t, Config{Entries: 4})
	a, b := socketpair(t)
	mem := arena(t, MsgHeaderSize+3*16)
	data := arena(t, 64)
	parts := [][]byte{data[0:3], data[3:3], data[3:8], data[8:10]}
	copy(data, "abcdefghij")
	m := NewMsg(mem)
	if m.Room() != 3 {
		t.Fatalf("Room() = %d, want 3", m.Room())
	}
	for _, p := range parts {
		if !m.Add(p) {
			t.Fatalf("Add(%q) refused with room %d", p, m.Room())
		}
	}
	if m.Room() != 0 || m.Add(data[10:11]) {
		t.Fatalf("a full Msg took another iovec (room %d)", m.Room())
	}
	r.SQE().PrepSendmsg(a, m.Finish(), MsgNoSignal, 5)
	submit(t, r)
	if c := waitCQEs(t, r, 1)[0]; c.UserData != 5 || c.Res != 10 {
		t.Fatalf("sendmsg: %+v, want res 10", c)
	}
	var buf [16]byte
	n, err := unix.Read(b, buf[:])
	if err != nil || string(buf[:n]) != "abcdefghij" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
}

// TestMsgRingBetweenRings: a MSG_RING on one ring posts a completion with
// the chosen user_data and res on another; the sender gets its own.
func TestMsgRingBetweenRings(t *testing.T) {
	for _, c := range []struct {
		name string
		ud   uint64
		res  uint32
	}{
		{"zero", 0, 0},
		{"slot", UserData(2, 3, 4), 17},
		{"wake_data", WakeData, 1 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := ownedRing(t, Config{Entries: 4})
			dst := ownedRing(t, Config{Entries: 4}) // the same locked thread owns both
			*src.SQE() = SQE{Opcode: OpMsgRing, Fd: int32(dst.Fd()), Addr: msgData, Len: c.res, Off: c.ud, UserData: 99}
			submit(t, src)
			if got := waitCQEs(t, src, 1)[0]; got.UserData != 99 || got.Res != 0 {
				t.Fatalf("sender's completion %+v", got)
			}
			got := waitCQEs(t, dst, 1)[0]
			if got.UserData != c.ud || got.Res != int32(c.res) {
				t.Fatalf("target's completion %+v, want user_data %#x res %d", got, c.ud, c.res)
			}
			if dst.Ready() != 0 || src.Ready() != 0 {
				t.Fatalf("extra completions: %d on the target, %d on the sender", dst.Ready(), src.Ready())
			}
		})
	}
}
