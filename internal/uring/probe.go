package uring

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// KillSwitch is the environment variable that turns io_uring off for the
// whole process (VELTRIX_NO_URING=1): Probe then fails with ErrDisabled.
const KillSwitch = "VELTRIX_NO_URING"

var (
	// ErrDisabled: io_uring was switched off (kill switch or sysctl).
	ErrDisabled = errors.New("io_uring disabled")
	// ErrMissingFeature: the kernel lacks something the edge relies on.
	ErrMissingFeature = errors.New("io_uring feature missing")
)

// Features is what the probe found.
type Features struct {
	Kernel      string // uname release
	eventfdWake bool   // no IORING_REGISTER_SEND_MSG_RING: wake with an eventfd
}

// MsgRingWake reports whether cross-thread wake-ups use MSG_RING (else an eventfd).
func (f Features) MsgRingWake() bool { return !f.eventfdWake }

var (
	probeOnce sync.Once
	probed    Features
	probeErr  error
)

// Probe checks once per process, and caches, whether the edge's io_uring
// transport can run here: the kill switch, kernel.io_uring_disabled, a ring
// with SINGLE_ISSUER|DEFER_TASKRUN, the opcodes it uses, provided-buffer
// rings with kernel-allocated memory, and MSG_RING wake-ups (else the
// eventfd fallback). The error says why not, in words.
func Probe() (Features, error) {
	probeOnce.Do(func() { probed, probeErr = doProbe() })
	return probed, probeErr
}

func features() Features { f, _ := Probe(); return f }

func doProbe() (Features, error) {
	var f Features
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		f.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	if v := os.Getenv(KillSwitch); v != "" && v != "0" {
		return f, fmt.Errorf("%w by %s=%s", ErrDisabled, KillSwitch, v)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled"); err == nil && strings.TrimSpace(string(b)) == "2" {
		return f, fmt.Errorf("%w by sysctl kernel.io_uring_disabled=2", ErrDisabled)
	}
	// A ring with DEFER_TASKRUN belongs to its thread: probe on a locked one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := New(Config{Entries: 8})
	switch {
	case errors.Is(err, unix.ENOSYS):
		return f, fmt.Errorf("io_uring not implemented by kernel %s (ENOSYS): %w", f.Kernel, err)
	case errors.Is(err, unix.EPERM):
		return f, fmt.Errorf("io_uring not permitted (EPERM: seccomp, e.g. a container's default profile, or kernel.io_uring_disabled=1 without the io_uring group): %w", err)
	case errors.Is(err, unix.EINVAL):
		return f, fmt.Errorf("kernel %s refuses SINGLE_ISSUER|DEFER_TASKRUN (needs 6.1+): %w", f.Kernel, ErrMissingFeature)
	case err != nil:
		return f, err
	}
	defer r.Close()
	var p probe
	if err := register(r.fd, registerProbe, unsafe.Pointer(&p), uint32(len(p.Ops))); err != nil {
		return f, fmt.Errorf("io_uring opcode probe: %w", err)
	}
	for _, op := range []uint8{OpSendmsg, OpAccept, OpAsyncCancel, OpClose, OpRead, OpRecv, OpShutdown, OpMsgRing, OpUringCmd, OpFixedFdInstall} {
		if op > p.LastOp || p.Ops[op].Flags&1 == 0 {
			return f, fmt.Errorf("opcode %d unsupported by kernel %s: %w", op, f.Kernel, ErrMissingFeature)
		}
	}
	br, err := NewBufRing(r, 0, 8, 64)
	if err != nil {
		return f, fmt.Errorf("provided-buffer ring with IOU_PBUF_RING_MMAP (6.4+): %w", err)
	}
	br.Close()
	// MSG_RING without a source ring (6.13+): wake ourselves once.
	sqe := SQE{Opcode: OpMsgRing, Fd: int32(r.fd), Addr: msgData, Off: WakeData}
	if err := register(-1, registerSendMsg, unsafe.Pointer(&sqe), 1); err != nil {
		f.eventfdWake = true
	}
	return f, nil
}
