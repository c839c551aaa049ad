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
//
// The structs hold addresses as integers, never as Go pointer types: a
// pointer-typed store into off-heap memory runs the GC's write barrier on
// the old contents, which are stale addresses from an earlier send (the
// barrier would then shade freed objects: "found pointer to free object").
type Msg struct {
	hdr *msghdr
	iov []iovec
	n   int
}

// iovec is struct iovec with the base address as an integer.
type iovec struct {
	base uintptr
	len  uint64
}

// msghdr is struct msghdr (x86-64 and arm64 layout) with integer addresses.
type msghdr struct {
	name       uintptr
	namelen    uint32
	_          uint32
	iov        uintptr
	iovlen     uint64
	control    uintptr
	controllen uint64
	flags      int32
	_          int32
}

// NewMsg lays a msghdr and up to (len(mem)-MsgHeaderSize)/16 iovecs over mem.
func NewMsg(mem []byte) Msg {
	iov := unsafe.Slice((*iovec)(unsafe.Pointer(&mem[MsgHeaderSize])), (len(mem)-MsgHeaderSize)/int(unsafe.Sizeof(iovec{})))
	return Msg{hdr: (*msghdr)(unsafe.Pointer(&mem[0])), iov: iov}
}

// Add appends an iovec for b; false when the array is full.
func (m *Msg) Add(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if m.n == len(m.iov) {
		return false
	}
	m.iov[m.n] = iovec{base: uintptr(unsafe.Pointer(&b[0])), len: uint64(len(b))}
	m.n++
	return true
}

// Room is how many more iovecs fit.
func (m *Msg) Room() int { return len(m.iov) - m.n }

// Finish completes the msghdr and returns its address for PrepSendmsg.
func (m *Msg) Finish() unsafe.Pointer {
	*m.hdr = msghdr{iov: uintptr(unsafe.Pointer(&m.iov[0])), iovlen: uint64(m.n)}
	return unsafe.Pointer(m.hdr)
}

// The integer-address structs must match the kernel's.
var (
	_ [unsafe.Sizeof(msghdr{}) - unsafe.Sizeof(unix.Msghdr{})]struct{}
	_ [unsafe.Sizeof(unix.Msghdr{}) - unsafe.Sizeof(msghdr{})]struct{}
	_ [unsafe.Sizeof(iovec{}) - unsafe.Sizeof(unix.Iovec{})]struct{}
	_ [unsafe.Sizeof(unix.Iovec{}) - unsafe.Sizeof(iovec{})]struct{}
)
