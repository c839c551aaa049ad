package uring

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Opcodes and flags for connecting from a ring into direct descriptors
// (the load generator's client side).
const (
	OpConnect = 16
	OpSend    = 26
	OpSocket  = 45 // direct with file_index (5.19)
	OpBind    = 56 // 6.11

	SQEIOLink = 1 << 2 // IOSQE_IO_LINK: the next SQE starts when this one succeeded
)

// SockaddrInet4Size is the size of a struct sockaddr_in.
const SockaddrInet4Size = 16

// PutSockaddrInet4 lays out a struct sockaddr_in for ip:port in b (at
// least SockaddrInet4Size bytes, memory the kernel may read until the
// request's completion) and returns its length.
func PutSockaddrInet4(b []byte, ip [4]byte, port int) uint64 {
	clear(b[:SockaddrInet4Size])
	binary.LittleEndian.PutUint16(b[0:], unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], uint16(port))
	copy(b[4:8], ip[:])
	return SockaddrInet4Size
}

// PrepSocketDirect creates a non-blocking TCP socket straight into direct
// descriptor idx of the ring's table (never in the process's file table).
func (e *SQE) PrepSocketDirect(idx int, ud uint64) {
	*e = SQE{Opcode: OpSocket, Fd: unix.AF_INET, Off: unix.SOCK_STREAM, FileIndex: uint32(idx) + 1, UserData: ud}
}

// nodelay is the TCP_NODELAY value PrepNoDelay passes: a variable that
// lives as long as the process, so the kernel may read it at any time.
var nodelay int32 = 1

// PrepNoDelay sets TCP_NODELAY on direct descriptor idx (URING_CMD
// SOCKET_URING_OP_SETSOCKOPT, 6.7): small messages leave at once instead of
// waiting for the peer's ACK of the last one (Nagle), as with net.Dial.
func (e *SQE) PrepNoDelay(idx int, ud uint64) {
	*e = SQE{Opcode: OpUringCmd, Fd: int32(idx), Flags: SQEFixedFile, Off: sockCmdSetsockopt,
		Addr: unix.IPPROTO_TCP | unix.TCP_NODELAY<<32, FileIndex: 4, Addr3: uint64(uintptr(unsafe.Pointer(&nodelay))), UserData: ud}
}

// PrepBind binds direct descriptor idx to the sockaddr at addr.
func (e *SQE) PrepBind(idx int, addr unsafe.Pointer, size uint64, ud uint64) {
	*e = SQE{Opcode: OpBind, Fd: int32(idx), Flags: SQEFixedFile, Addr: uint64(uintptr(addr)), Off: size, UserData: ud}
}

// PrepConnect connects direct descriptor idx to the sockaddr at addr.
func (e *SQE) PrepConnect(idx int, addr unsafe.Pointer, size uint64, ud uint64) {
	*e = SQE{Opcode: OpConnect, Fd: int32(idx), Flags: SQEFixedFile, Addr: uint64(uintptr(addr)), Off: size, UserData: ud}
}

// PrepSend sends n bytes at buf (memory valid until the completion) on
// direct descriptor idx.
func (e *SQE) PrepSend(idx int, buf unsafe.Pointer, n int, flags uint32, ud uint64) {
	*e = SQE{Opcode: OpSend, Fd: int32(idx), Flags: SQEFixedFile, Addr: uint64(uintptr(buf)), Len: uint32(n), OpFlags: flags, UserData: ud}
}

// Link makes the next prepared SQE wait for this one (and fail with
// -ECANCELED if this one fails).
func (e *SQE) Link() *SQE {
	e.Flags |= SQEIOLink
	return e
}
