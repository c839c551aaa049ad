package uring

import (
	"errors"
	"net"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNewBufRingRejects: entry counts the kernel would refuse are refused
// in words before any syscall, and a group id already taken fails.
func TestNewBufRingRejects(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries uint32
	}{{"zero", 0}, {"not_power_of_two", 3}, {"too_many", 1 << 16}} {
		t.Run(c.name, func(t *testing.T) {
			r := ownedRing(t, Config{Entries: 4})
			if b, err := NewBufRing(r, 1, c.entries, 64); err == nil || !strings.Contains(err.Error(), "power of two") {
				if b != nil {
					b.Close()
				}
				t.Fatalf("NewBufRing(%d entries): %v, want a power-of-two error", c.entries, err)
			}
		})
	}
	t.Run("group_taken", func(t *testing.T) {
		r := ownedRing(t, Config{Entries: 4})
		b, err := NewBufRing(r, 3, 4, 64)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Group() != 3 || b.Size() != 64 {
			t.Fatalf("Group %d Size %d, want 3 and 64", b.Group(), b.Size())
		}
		if b2, err := NewBufRing(r, 3, 4, 64); !errors.Is(err, unix.EEXIST) {
			if b2 != nil {
				b2.Close()
			}
			t.Fatalf("second group 3: %v, want EEXIST", err)
		}
	})
	t.Run("group_reusable_after_close", func(t *testing.T) {
		r := ownedRing(t, Config{Entries: 4})
		b, err := NewBufRing(r, 5, 4, 64)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		b.Close() // idempotent
		b, err = NewBufRing(r, 5, 8, 32)
		if err != nil {
			t.Fatalf("group 5 after Close: %v", err)
		}
		b.Close()
	})
}

// TestBufRingRecv: a multishot recv takes provided buffers in order, ends
// with -ENOBUFS (no F_MORE) when they run out, and, re-armed once the
// consumed buffers are recycled and published, delivers the rest and EOF.
func TestBufRingRecv(t *testing.T) {
	r := ownedRing(t, Config{Entries: 8})
	a, b := socketpair(t)
	br, err := NewBufRing(r, 7, 2, 4) // two 4-byte buffers
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	if br.Publish() {
		t.Fatal("Publish with nothing recycled reported a new tail")
	}
	if _, err := unix.Write(b, []byte("abcdefghijkl")); err != nil { // three buffers' worth
		t.Fatal(err)
	}
	r.SQE().PrepRecvMultishot(a, br.Group(), 1)
	submit(t, r)
	got := waitCQEs(t, r, 3)
	for i, want := range []string{"abcd", "efgh"} {
		c := got[i]
		bid, ok := c.Buffer()
		if !ok || bid != uint16(i) || c.Res != 4 || !c.More() {
			t.Fatalf("completion %d: %+v (buffer %d %v), want buffer %d, 4 bytes, F_MORE", i, c, bid, ok, i)
		}
		if s := string(br.Buf(bid, int(c.Res))); s != want {
			t.Fatalf("buffer %d holds %q, want %q", bid, s, want)
		}
	}
	if c := got[2]; c.Res != ENOBUFS || c.More() {
		t.Fatalf("third completion %+v, want ENOBUFS without F_MORE", c)
	}
	br.Recycle(1)
	br.Recycle(0)
	if !br.Publish() {
		t.Fatal("Publish after Recycle reported nothing new")
	}
	r.SQE().PrepRecvMultishot(a, br.Group(), 2)
	submit(t, r)
	c := waitCQEs(t, r, 1)[0]
	bid, ok := c.Buffer()
	if !ok || bid != 1 || c.Res != 4 || string(br.Buf(bid, 4)) != "ijkl" {
		t.Fatalf("after re-arming: %+v (buffer %d), want buffer 1 (recycled first) with \"ijkl\"", c, bid)
	}
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if c := waitCQEs(t, r, 1)[0]; c.UserData != 2 || c.Res != 0 || c.More() {
		t.Fatalf("EOF completion %+v, want res 0 without F_MORE", c)
	}
}

// TestMultishotAcceptRecv: one multishot accept on a loopback listener
// yields every connection (F_MORE kept), a multishot recv on each delivers
// what its client wrote into provided buffers, and cancelling the listener
// ends the accept.
func TestMultishotAcceptRecv(t *testing.T) {
	r := ownedRing(t, Config{Entries: 16})
	lfd, la, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseFd(lfd)
	br, err := NewBufRing(r, 1, 8, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	r.SQE().PrepAcceptMultishot(lfd, UserData(1, 0, 0))
	submit(t, r)
	const n = 3
	clients := make([]net.Conn, n)
	for i := range clients {
		c, err := net.Dial("tcp", la.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	var conns []int
	for _, c := range waitCQEs(t, r, n) {
		if op, _, _ := SplitUserData(c.UserData); op != 1 || c.Res < 0 || !c.More() {
			t.Fatalf("accept completion %+v, want a new fd with F_MORE", c)
		}
		fd := int(c.Res)
		defer CloseFd(fd)
		conns = append(conns, fd)
		if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err != nil || v == 0 {
			t.Errorf("accepted fd %d: TCP_NODELAY %d, %v; want inherited from the listener", fd, v, err)
		}
	}
	// Which accepted fd is which client: match by the client's local port.
	slot := map[int]int{}
	for i, fd := range conns {
		peer, err := unix.Getpeername(fd)
		if err != nil {
			t.Fatal(err)
		}
		for j, c := range clients {
			if c.LocalAddr().(*net.TCPAddr).Port == peer.(*unix.SockaddrInet4).Port {
				slot[j] = i
			}
		}
		r.SQE().PrepRecvMultishot(fd, br.Group(), UserData(2, 0, uint32(i)))
	}
	submit(t, r)
	for j, c := range clients {
		if _, err := c.Write([]byte("hello " + string(rune('a'+j)))); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range waitCQEs(t, r, n) {
		op, _, i := SplitUserData(c.UserData)
		bid, ok := c.Buffer()
		if op != 2 || !ok || !c.More() || c.Res <= 0 {
			t.Fatalf("recv completion %+v", c)
		}
		var j int
		for k, v := range slot {
			if v == int(i) {
				j = k
			}
		}
		if got, want := string(br.Buf(bid, int(c.Res))), "hello "+string(rune('a'+j)); got != want {
			t.Errorf("connection %d received %q, want %q", i, got, want)
		}
		br.Recycle(bid)
	}
	br.Publish()
	// Cancel the listener's accept: it ends without F_MORE.
	r.SQE().PrepCancelFD(lfd, UserData(3, 0, 0))
	submit(t, r)
	got := byUserData(t, waitCQEs(t, r, 2))
	if c := got[UserData(3, 0, 0)]; c.Res != 1 {
		t.Errorf("cancel: %+v, want res 1", c)
	}
	if c := got[UserData(1, 0, 0)]; c.Res != -int32(unix.ECANCELED) || c.More() {
		t.Errorf("accept after cancel: %+v, want -ECANCELED without F_MORE", c)
	}
}
