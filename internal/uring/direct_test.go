package uring

import (
	"errors"
	"io"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDirectDescriptors: a sparse table of 2 slots; multishot accept direct
// fills both without any new process fd, a third connection ends the
// accept with -ENFILE; recv on a slot, SIOCOUTQ through URING_CMD,
// FIXED_FD_INSTALL back to an ordinary fd, and closing a slot.
func TestDirectDescriptors(t *testing.T) {
	r := ownedRing(t, Config{Entries: 16})
	if err := r.RegisterFiles(2); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterFiles(2); err == nil {
		t.Fatal("a second table registered")
	}
	lfd, la, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseFd(lfd)
	before, err := OpenFds()
	if err != nil {
		t.Fatal(err)
	}
	r.SQE().PrepAcceptMultishotDirect(lfd, UserData(1, 0, 0))
	submit(t, r)
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", la.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	cqes := waitCQEs(t, r, 3)
	slots := map[int32]bool{}
	for _, c := range cqes[:2] {
		if c.Res < 0 || c.Res > 1 || !c.More() {
			t.Fatalf("accept direct %+v: want slot 0 or 1, armed", c)
		}
		slots[c.Res] = true
	}
	if len(slots) != 2 || cqes[2].Res != ENFILE || cqes[2].More() {
		t.Fatalf("accepts %+v: want slots 0 and 1, then -ENFILE ending the accept", cqes)
	}
	if after, _ := OpenFds(); after != before+len(clients) { // the clients' ends only
		t.Fatalf("open fds %d → %d with %d client sockets: accepted sockets entered the file table", before, after, len(clients))
	}
	if _, err := clients[0].Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	br, err := NewBufRing(r, 1, 8, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	for i := range 2 {
		e := r.SQE()
		e.PrepRecvMultishot(i, br.Group(), UserData(2, 0, uint32(i)))
		e.Fixed()
	}
	submit(t, r)
	got := waitCQEs(t, r, 1)[0]
	_, _, first := SplitUserData(got.UserData)
	if got.Res != 4 {
		t.Fatalf("recv on a slot: %+v", got)
	}
	r.SQE().PrepOutQueue(int(first), UserData(3, 0, first))
	r.SQE().PrepFixedFdInstall(int(first), UserData(4, 0, first))
	submit(t, r)
	res := byUserData(t, waitCQEs(t, r, 2))
	if c := res[UserData(3, 0, first)]; c.Res != 0 {
		t.Fatalf("SIOCOUTQ of an idle slot: %+v, want 0", c)
	}
	fd := int(res[UserData(4, 0, first)].Res)
	if fd < 0 {
		t.Fatalf("FIXED_FD_INSTALL: %d", fd)
	}
	peer, err := unix.Getpeername(fd)
	if err != nil || peer.(*unix.SockaddrInet4).Port != clients[0].LocalAddr().(*net.TCPAddr).Port {
		t.Fatalf("installed fd %d's peer %v, %v: want client 0", fd, peer, err)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("installed fd flags %#x, %v: want close-on-exec", fl, err)
	}
	CloseFd(fd)
	// Cancel both receives, close both slots: the clients see EOF, and a
	// re-armed accept takes a new connection into a freed slot.
	for i := range 2 {
		r.SQE().PrepCancelFixed(i, UserData(5, 0, uint32(i)))
	}
	submit(t, r)
	waitCQEs(t, r, 4) // two cancels, two final recv completions
	for i := range 2 {
		r.SQE().PrepCloseDirect(i, UserData(6, 0, uint32(i)))
	}
	r.SQE().PrepAcceptMultishotDirect(lfd, UserData(1, 0, 0))
	submit(t, r)
	late, err := net.Dial("tcp", la.String())
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	var acc []CQE
	for _, c := range waitCQEs(t, r, 3) {
		if op, _, _ := SplitUserData(c.UserData); op == 1 {
			acc = append(acc, c)
		} else if c.Res != 0 {
			t.Fatalf("close of a slot: %+v", c)
		}
	}
	if len(acc) != 1 || acc[0].Res < 0 || acc[0].Res > 1 {
		t.Fatalf("re-armed accept %+v: want a freed slot", acc)
	}
	for _, c := range clients[:2] {
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("client of a closed slot read %v, want EOF", err)
		}
	}
	// The kernel closed the connection its full table could not take (it
	// is not left in the listen queue): the edge must refuse before that.
	if _, err := clients[2].Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection accepted into a full table is open")
	}
}
