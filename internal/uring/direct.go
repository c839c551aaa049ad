package uring

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Direct descriptors: a ring's fixed-file table holds sockets that never
// enter the process's file table. The table is capped at the soft
// RLIMIT_NOFILE per ring (not per process), so more rings hold more
// connections; the limit is read, never raised (liburing's helpers raise
// it and retry: not here).

// Opcodes, flags and register operations for direct descriptors.
const (
	OpUringCmd       = 46 // IORING_OP_URING_CMD (socket commands: 6.7)
	OpFixedFdInstall = 54 // IORING_OP_FIXED_FD_INSTALL (6.8)

	SQEFixedFile   = 1 << 0     // IOSQE_FIXED_FILE: fd is a direct-descriptor index
	FileIndexAlloc = ^uint32(0) // IORING_FILE_INDEX_ALLOC: the kernel picks a free slot
	CancelFDFixed  = 1 << 3     // IORING_ASYNC_CANCEL_FD_FIXED

	registerFiles2     = 13     // IORING_REGISTER_FILES2
	rsrcRegisterSparse = 1 << 0 // IORING_RSRC_REGISTER_SPARSE
	sockCmdSIOCOUTQ    = 1      // SOCKET_URING_OP_SIOCOUTQ
	sockCmdSetsockopt  = 3      // SOCKET_URING_OP_SETSOCKOPT (level | optname<<32 in addr, optlen in file_index, optval in addr3)
)

// CQE results of a full direct-descriptor table (accept) and a full file
// table (FIXED_FD_INSTALL).
const (
	ENFILE = -int32(unix.ENFILE)
	EMFILE = -int32(unix.EMFILE)
)

// rsrcRegister is struct io_uring_rsrc_register (32 bytes).
type rsrcRegister struct {
	Nr    uint32
	Flags uint32
	Resv2 uint64
	Data  uint64
	Tags  uint64
}

// RegisterFiles gives the ring an empty (sparse) fixed-file table of n
// slots. The kernel refuses more than the soft RLIMIT_NOFILE with EMFILE;
// the error then says so. Call it from the ring's owner.
func (r *Ring) RegisterFiles(n uint32) error {
	reg := rsrcRegister{Nr: n, Flags: rsrcRegisterSparse}
	if err := register(r.fd, registerFiles2, unsafe.Pointer(&reg), uint32(unsafe.Sizeof(reg))); err != nil {
		return fmt.Errorf("uring: a direct-descriptor table of %d (soft RLIMIT_NOFILE %d): %w", n, OpenFileLimit(), err)
	}
	return nil
}

// PrepAcceptMultishotDirect: one SQE accepting connections on listener fd
// into free slots of the ring's direct-descriptor table (each CQE: res = the
// slot; -ENFILE, ending it, when the table is full).
func (e *SQE) PrepAcceptMultishotDirect(fd int, ud uint64) {
	*e = SQE{Opcode: OpAccept, Fd: int32(fd), Ioprio: AcceptMultishot, FileIndex: FileIndexAlloc, UserData: ud}
}

// Fixed marks a prepared request's fd as a direct-descriptor index.
func (e *SQE) Fixed() *SQE {
	e.Flags |= SQEFixedFile
	return e
}

// PrepCancelFixed cancels every request on direct descriptor idx.
func (e *SQE) PrepCancelFixed(idx int, ud uint64) {
	*e = SQE{Opcode: OpAsyncCancel, Fd: int32(idx), OpFlags: CancelFD | CancelAll | CancelFDFixed, UserData: ud}
}

// PrepCloseDirect closes direct descriptor idx (frees its slot).
func (e *SQE) PrepCloseDirect(idx int, ud uint64) {
	*e = SQE{Opcode: OpClose, FileIndex: uint32(idx) + 1, UserData: ud}
}

// PrepFixedFdInstall installs direct descriptor idx as an ordinary,
// close-on-exec fd of the process (res; -EMFILE when its file table is
// full). The slot stays: close it.
func (e *SQE) PrepFixedFdInstall(idx int, ud uint64) {
	*e = SQE{Opcode: OpFixedFdInstall, Fd: int32(idx), Flags: SQEFixedFile, UserData: ud}
}

// PrepOutQueue asks for SIOCOUTQ of the socket in direct descriptor idx:
// res = the bytes its peer has not acknowledged (as OutQueue for an fd).
func (e *SQE) PrepOutQueue(idx int, ud uint64) {
	*e = SQE{Opcode: OpUringCmd, Fd: int32(idx), Flags: SQEFixedFile, Off: sockCmdSIOCOUTQ, UserData: ud}
}

// LowerOpenFileLimit lowers the soft RLIMIT_NOFILE to n (never raises it):
// for tests that show the rings go past it.
func LowerOpenFileLimit(n int) error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if uint64(n) >= rl.Cur {
		return nil
	}
	rl.Cur = uint64(n)
	return unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
}

// OpenFds counts the process's open ordinary file descriptors.
func OpenFds() (int, error) {
	ents, err := readDirNames("/proc/self/fd")
	return len(ents), err
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
