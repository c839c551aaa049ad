package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Syscall numbers (the same on every Linux architecture since 5.1).
const (
	sysSetup    = 425
	sysEnter    = 426
	sysRegister = 427
)

// io_uring_setup flags.
const (
	setupCQSize        = 1 << 3
	setupClamp         = 1 << 4
	setupSubmitAll     = 1 << 7
	setupCoopTaskrun   = 1 << 8
	setupSingleIssuer  = 1 << 12
	setupDeferTaskrun  = 1 << 13
	featSingleMmap     = 1 << 0
	featNodrop         = 1 << 1
	featExtArg         = 1 << 8
	enterGetevents     = 1 << 0
	enterExtArg        = 1 << 3
	sqCQOverflow       = 1 << 1
	offSQRing          = 0
	offSQEs            = 0x10000000
	offPbufRing        = 0x80000000
	offPbufShift       = 16
	pbufRingMmap       = 1
	registerProbe      = 8
	registerPbufRing   = 22
	unregisterPbufRing = 23
	registerSendMsg    = 31 // IORING_REGISTER_SEND_MSG_RING (6.13)
)

// Opcodes used by the edge.
const (
	OpNop         = 0
	OpSendmsg     = 9
	OpAccept      = 13
	OpAsyncCancel = 14
	OpClose       = 19
	OpRead        = 22
	OpRecv        = 27
	OpShutdown    = 34
	OpMsgRing     = 40
)

// SQE flags, ioprio bits and other per-op flags.
const (
	SQEBufferSelect   = 1 << 5
	RecvMultishot     = 1 << 1
	AcceptMultishot   = 1 << 0
	CancelAll         = 1 << 0
	CancelFD          = 1 << 1
	CancelAny         = 1 << 2
	msgData           = 0
	CQEFBuffer        = 1 << 0
	CQEFMore          = 1 << 1
	CQEFSockNonempty  = 1 << 2
	cqeBufferShift    = 16
	MsgWaitAll        = unix.MSG_WAITALL
	MsgNoSignal       = unix.MSG_NOSIGNAL
	acceptFlagsCloexe = unix.SOCK_CLOEXEC
)

// Params is struct io_uring_params (120 bytes).
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32
	Features     uint32
	WQFd         uint32
	Resv         [3]uint32
	SQOff        SQRingOffsets
	CQOff        CQRingOffsets
}

// SQRingOffsets is struct io_sqring_offsets (40 bytes).
type SQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

// CQRingOffsets is struct io_cqring_offsets (40 bytes).
type CQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

// SQE is struct io_uring_sqe (64 bytes).
type SQE struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64 // off / addr2
	Addr        uint64
	Len         uint32
	OpFlags     uint32 // msg_flags, accept_flags, cancel_flags, …
	UserData    uint64
	BufIndex    uint16 // buf_index / buf_group
	Personality uint16
	FileIndex   uint32
	Addr3       uint64
	pad         uint64
}

// CQE is struct io_uring_cqe (16 bytes).
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// More reports whether a multishot request stays armed.
func (c *CQE) More() bool { return c.Flags&CQEFMore != 0 }

// Buffer returns the provided buffer id of a completion, if it used one.
func (c *CQE) Buffer() (uint16, bool) {
	return uint16(c.Flags >> cqeBufferShift), c.Flags&CQEFBuffer != 0
}

// bufEntry is struct io_uring_buf (16 bytes).
type bufEntry struct {
	Addr uint64
	Len  uint32
	Bid  uint16
	Resv uint16 // bufs[0].resv is the ring's tail
}

// bufReg is struct io_uring_buf_reg (40 bytes).
type bufReg struct {
	RingAddr    uint64
	RingEntries uint32
	Bgid        uint16
	Flags       uint16
	MinLeft     uint32
	Resv        [5]uint32
}

// geteventsArg is struct io_uring_getevents_arg (24 bytes).
type geteventsArg struct {
	Sigmask     uint64
	SigmaskSz   uint32
	MinWaitUsec uint32
	Ts          uint64
}

// probeOp is struct io_uring_probe_op (8 bytes); probe the header of
// struct io_uring_probe (16 bytes) followed by 256 of them.
type probeOp struct {
	Op    uint8
	Resv  uint8
	Flags uint16
	Resv2 uint32
}

type probe struct {
	LastOp uint8
	OpsLen uint8
	Resv   uint16
	Resv2  [3]uint32
	Ops    [256]probeOp
}

func setup(entries uint32, p *Params) (int, error) {
	fd, _, errno := unix.Syscall(sysSetup, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// enter is io_uring_enter; it does not retry EINTR (callers do).
func enter(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSize uintptr) (int, error) {
	n, _, errno := unix.Syscall6(sysEnter, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), uintptr(arg), argSize)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

func register(fd int, op uint32, arg unsafe.Pointer, n uint32) error {
	_, _, errno := unix.Syscall6(sysRegister, uintptr(fd), uintptr(op), uintptr(arg), uintptr(n), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
