package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// WakeData is the user_data of the completion a Wake posts on the ring.
const WakeData = ^uint64(0)

// EventfdWake reports whether Wake writes an eventfd (the fallback) rather
// than posting with MSG_RING; it is known once ArmWake ran.
func (r *Ring) EventfdWake() bool { return r.wakeFd >= 0 }

// Wake interrupts the owner's wait if it announced one (Sleep). Safe from any
// goroutine; it never blocks. With IORING_REGISTER_SEND_MSG_RING (6.13) it
// posts a CQE with user_data WakeData straight onto the ring; otherwise it
// writes the ring's eventfd, which the owner keeps a READ armed on (ArmWake).
func (r *Ring) Wake() {
	if !r.sleeping.CompareAndSwap(true, false) {
		return
	}
	r.Stats.Wakeups.Add(1)
	if r.wakeFd >= 0 {
		one := [8]byte{1}
		_, _ = unix.Write(r.wakeFd, one[:])
		return
	}
	sqe := SQE{Opcode: OpMsgRing, Fd: int32(r.fd), Addr: msgData, Off: WakeData}
	_ = register(-1, registerSendMsg, unsafe.Pointer(&sqe), 1)
}

// ArmWake prepares the wake-up path: nothing with MSG_RING; with the eventfd
// fallback (no REGISTER_SEND_MSG_RING, or Config.EventfdWake), a READ of
// the eventfd into off-heap scratch memory, completed with user_data
// WakeData. The owner calls it at start, before other goroutines may Wake
// the ring, and after each WakeData completion.
func (r *Ring) ArmWake() bool {
	if !r.eventfdWake && !features().eventfdWake {
		return true
	}
	if r.wakeFd < 0 {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			return false
		}
		r.wakeFd = fd
	}
	e := r.SQE()
	if e == nil {
		return false
	}
	*e = SQE{Opcode: OpRead, Fd: int32(r.wakeFd), Addr: uint64(uintptr(unsafe.Pointer(&r.scratch[128]))), Len: 8, UserData: WakeData}
	return true
}
