package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// MsgHeaderSize is the room a Msg needs before its iovecs.
const MsgHeaderSize = 64

// Msg builds a struct msghdr and its iovec array in off-heap memory for a
// SENDMSG: the msghdr at the start of mem, the iovecs after it. What the
// iovecs point at must stay valid (pinned if on the Go heap) until the CQE.
type Msg struct {
	hdr *unix.Msghdr
	iov []unix.Iovec
	n   int
}

// NewMsg lays a msghdr and up to (len(mem)-MsgHeaderSize)/16 iovecs over mem.
func NewMsg(mem []byte) Msg {
	iov := unsafe.Slice((*unix.Iovec)(unsafe.Pointer(&mem[MsgHeaderSize])), (len(mem)-MsgHeaderSize)/int(unsafe.Sizeof(unix.Iovec{})))
	return Msg{hdr: (*unix.Msghdr)(unsafe.Pointer(&mem[0])), iov: iov}
}

// Add appends an iovec for b; false when the array is full.
func (m *Msg) Add(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if m.n == len(m.iov) {
		return false
	}
	m.iov[m.n] = unix.Iovec{Base: &b[0], Len: uint64(len(b))}
	m.n++
	return true
}

// Room is how many more iovecs fit.
func (m *Msg) Room() int { return len(m.iov) - m.n }

// Finish completes the msghdr and returns its address for PrepSendmsg.
func (m *Msg) Finish() unsafe.Pointer {
	*m.hdr = unix.Msghdr{Iov: &m.iov[0], Iovlen: uint64(m.n)}
	return unsafe.Pointer(m.hdr)
}
