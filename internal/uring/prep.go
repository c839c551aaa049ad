package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// UserData packs an operation, a slot generation and a slot index into the
// 64-bit user_data of a request: op:8 | gen:24 | slot:32. Never a pointer.
func UserData(op uint8, gen, slot uint32) uint64 {
	return uint64(op)<<56 | uint64(gen&0xffffff)<<32 | uint64(slot)
}

// SplitUserData undoes UserData.
func SplitUserData(u uint64) (op uint8, gen, slot uint32) {
	return uint8(u >> 56), uint32(u>>32) & 0xffffff, uint32(u)
}

// PrepAcceptMultishot: one SQE accepting connections on listener fd until
// it fails or is cancelled (each CQE: res = the new fd, F_MORE while armed).
func (e *SQE) PrepAcceptMultishot(fd int, ud uint64) {
	*e = SQE{Opcode: OpAccept, Fd: int32(fd), Ioprio: AcceptMultishot, OpFlags: acceptFlagsCloexe, UserData: ud}
}

// PrepRecvMultishot: receive into buffers of group bgid until EOF, an
// error, ENOBUFS or cancellation (F_MORE while armed).
func (e *SQE) PrepRecvMultishot(fd int, bgid uint16, ud uint64) {
	*e = SQE{Opcode: OpRecv, Fd: int32(fd), Ioprio: RecvMultishot, Flags: SQEBufferSelect, BufIndex: bgid, UserData: ud}
}

// PrepRecvOnce: one receive into a buffer of group bgid (the buffer's
// size); the CQE ends it.
func (e *SQE) PrepRecvOnce(fd int, bgid uint16, ud uint64) {
	*e = SQE{Opcode: OpRecv, Fd: int32(fd), Flags: SQEBufferSelect, BufIndex: bgid, UserData: ud}
}

// PrepSendmsg sends the iovecs msg (a unix.Msghdr in off-heap memory that,
// with its iovecs and what they point at, stays valid until the CQE).
func (e *SQE) PrepSendmsg(fd int, msg unsafe.Pointer, flags uint32, ud uint64) {
	*e = SQE{Opcode: OpSendmsg, Fd: int32(fd), Addr: uint64(uintptr(msg)), Len: 1, OpFlags: flags, UserData: ud}
}

// PrepCancelFD cancels every request on fd.
func (e *SQE) PrepCancelFD(fd int, ud uint64) {
	*e = SQE{Opcode: OpAsyncCancel, Fd: int32(fd), OpFlags: CancelFD | CancelAll, UserData: ud}
}

// PrepClose closes fd.
func (e *SQE) PrepClose(fd int, ud uint64) {
	*e = SQE{Opcode: OpClose, Fd: int32(fd), UserData: ud}
}

// PrepShutdown shuts down fd's sending side (how = SHUT_WR) or both.
func (e *SQE) PrepShutdown(fd int, how int, ud uint64) {
	*e = SQE{Opcode: OpShutdown, Fd: int32(fd), Len: uint32(how), UserData: ud}
}

// ENOBUFS as a CQE result: a recv found no provided buffer.
const ENOBUFS = -int32(unix.ENOBUFS)
