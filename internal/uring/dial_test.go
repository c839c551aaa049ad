package uring

import (
	"testing"

	"golang.org/x/sys/unix"
)

// A socket created straight into a direct descriptor has Nagle on;
// PrepNoDelay, linked behind the SOCKET, turns it off (checked through the
// slot installed as an ordinary fd).
func TestNoDelay(t *testing.T) {
	r := ownedRing(t, Config{Entries: 16})
	if err := r.RegisterFiles(2); err != nil {
		t.Fatal(err)
	}
	r.SQE().PrepSocketDirect(0, UserData(1, 0, 0))
	e := r.SQE()
	e.PrepSocketDirect(1, UserData(1, 0, 1))
	e.Link()
	r.SQE().PrepNoDelay(1, UserData(2, 0, 1))
	for i := range 2 {
		r.SQE().PrepFixedFdInstall(i, UserData(3, 0, uint32(i)))
	}
	submit(t, r)
	res := byUserData(t, waitCQEs(t, r, 5))
	for _, ud := range []uint64{UserData(1, 0, 0), UserData(1, 0, 1), UserData(2, 0, 1)} {
		if c := res[ud]; c.Res != 0 {
			t.Fatalf("%+v: want 0", c)
		}
	}
	for i, want := range []int{0, 1} {
		fd := int(res[UserData(3, 0, uint32(i))].Res)
		if fd < 0 {
			t.Fatalf("FIXED_FD_INSTALL of slot %d: %d", i, fd)
		}
		v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
		CloseFd(fd)
		if err != nil || (v != 0) != (want == 1) {
			t.Errorf("slot %d: TCP_NODELAY %d, %v: want %d", i, v, err, want)
		}
	}
}
