package uring

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Stats counts what a ring did. Fields are updated atomically by the ring's
// owner and may be read from any goroutine.
type Stats struct {
	Submissions atomic.Uint64 // SQEs handed to the kernel
	Completions atomic.Uint64 // CQEs reaped
	Enters      atomic.Uint64 // io_uring_enter calls
	Overflows   atomic.Uint64 // waits that found the CQ overflowed (completions kept by the kernel)
	Busy        atomic.Uint64 // EBUSY from enter (CQ backpressure)
	Interrupts  atomic.Uint64 // EINTR retries
	Wakeups     atomic.Uint64 // cross-thread wake-ups sent to this ring
}

// Ring is one io_uring instance. All methods except Wake must be called by
// the goroutine that created it, locked to its OS thread
// (SINGLE_ISSUER|DEFER_TASKRUN).
type Ring struct {
	fd       int
	features uint32
	mem      []byte // SQ and CQ rings (one mapping, FEAT_SINGLE_MMAP)
	sqeMem   []byte
	scratch  []byte // off-heap argument structs (getevents arg, timespec, eventfd value)

	sqHead, sqTail, sqFlags *uint32
	sqMask                  uint32
	sqes                    []SQE
	tail                    uint32 // local SQ tail: SQEs prepared, published at Submit

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []CQE

	sleeping    atomic.Bool
	wakeFd      int  // eventfd for the fallback wake-up, -1 with MSG_RING
	eventfdWake bool // Config.EventfdWake
	waitMin     uint32
	Stats       Stats
}

// Config sizes a ring.
type Config struct {
	Entries   uint32 // SQ entries (rounded up to a power of two by the kernel); default 1024
	CQEntries uint32 // at least 4×Entries for multishot; default 8×Entries
	// EventfdWake makes Wake use the eventfd fallback even where
	// REGISTER_SEND_MSG_RING works, so the fallback's path can be tested
	// (and chosen) on kernels that do not need it.
	EventfdWake bool
}

// New creates a ring owned by the calling goroutine, which must be locked
// to its OS thread (runtime.LockOSThread) and stay so.
func New(cfg Config) (*Ring, error) {
	if cfg.Entries == 0 {
		cfg.Entries = 1024
	}
	if cfg.CQEntries < 4*cfg.Entries {
		cfg.CQEntries = 8 * cfg.Entries
	}
	p := Params{Flags: setupSingleIssuer | setupDeferTaskrun | setupCoopTaskrun | setupSubmitAll | setupCQSize | setupClamp,
		CQEntries: cfg.CQEntries}
	fd, err := setup(cfg.Entries, &p)
	if err != nil {
		return nil, fmt.Errorf("uring: io_uring_setup: %w", err)
	}
	r := &Ring{fd: fd, features: p.Features, wakeFd: -1, eventfdWake: cfg.EventfdWake}
	if err := r.mapRings(&p); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Ring) mapRings(p *Params) error {
	if p.Features&featSingleMmap == 0 || p.Features&featExtArg == 0 || p.Features&featNodrop == 0 {
		return fmt.Errorf("uring: kernel lacks SINGLE_MMAP/EXT_ARG/NODROP (features %#x): %w", p.Features, ErrMissingFeature)
	}
	size := max(p.SQOff.Array+4*p.SQEntries, p.CQOff.CQEs+uint32(unsafe.Sizeof(CQE{}))*p.CQEntries)
	mem, err := unix.Mmap(r.fd, offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("uring: mmap rings: %w", err)
	}
	r.mem = mem
	sqes, err := unix.Mmap(r.fd, offSQEs, int(p.SQEntries)*int(unsafe.Sizeof(SQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("uring: mmap SQEs: %w", err)
	}
	r.sqeMem = sqes
	if r.scratch, err = Arena(4096); err != nil {
		return err
	}
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off])) }
	r.sqHead, r.sqTail, r.sqFlags, r.sqMask = u32(p.SQOff.Head), u32(p.SQOff.Tail), u32(p.SQOff.Flags), *u32(p.SQOff.RingMask)
	r.cqHead, r.cqTail, r.cqMask = u32(p.CQOff.Head), u32(p.CQOff.Tail), *u32(p.CQOff.RingMask)
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&sqes[0])), p.SQEntries)
	r.cqes = unsafe.Slice((*CQE)(unsafe.Pointer(&mem[p.CQOff.CQEs])), p.CQEntries)
	array := unsafe.Slice((*uint32)(unsafe.Pointer(&mem[p.SQOff.Array])), p.SQEntries)
	for i := range array { // identity map: SQE i is always array slot i
		array[i] = uint32(i)
	}
	r.tail = atomic.LoadUint32(r.sqTail)
	return nil
}

// Fd is the ring's file descriptor.
func (r *Ring) Fd() int { return r.fd }

// SQE returns the next free submission entry, zeroed, or nil when the SQ is
// full (Submit first).
func (r *Ring) SQE() *SQE {
	head := atomic.LoadUint32(r.sqHead)
	if r.tail-head > r.sqMask {
		return nil
	}
	e := &r.sqes[r.tail&r.sqMask]
	*e = SQE{}
	r.tail++
	return e
}

// Pending is the number of SQEs prepared and not yet submitted.
func (r *Ring) Pending() uint32 { return r.tail - atomic.LoadUint32(r.sqHead) }

// Submit hands the prepared SQEs to the kernel and, with wait, waits for at
// least one completion or the timeout (< 0: none). It retries EINTR, treats
// EBUSY (CQ overflow backpressure) as "reap first", and flushes overflowed
// completions (GETEVENTS is always set).
func (r *Ring) Submit(wait bool, timeout time.Duration) error {
	defer r.sleeping.Store(false)
	atomic.StoreUint32(r.sqTail, r.tail)
	var minComplete uint32
	var arg unsafe.Pointer
	var argSize uintptr
	if wait {
		minComplete = max(1, r.waitMin)
		if timeout >= 0 {
			ts := (*unix.Timespec)(unsafe.Pointer(&r.scratch[64]))
			*ts = unix.NsecToTimespec(int64(timeout))
			ga := (*geteventsArg)(unsafe.Pointer(&r.scratch[0]))
			*ga = geteventsArg{Ts: uint64(uintptr(unsafe.Pointer(ts)))}
			arg, argSize = unsafe.Pointer(ga), unsafe.Sizeof(*ga)
		}
	}
	if atomic.LoadUint32(r.sqFlags)&sqCQOverflow != 0 {
		r.Stats.Overflows.Add(1)
	}
	for {
		toSubmit := r.tail - atomic.LoadUint32(r.sqHead)
		if wait && r.Ready() > 0 {
			minComplete = 0 // completions are waiting: do not sleep
		}
		r.Stats.Enters.Add(1)
		flags := uint32(enterGetevents)
		if arg != nil { // EXT_ARG with no argument is EINVAL
			flags |= enterExtArg
		}
		n, err := enter(r.fd, toSubmit, minComplete, flags, arg, argSize)
		if n > 0 {
			r.Stats.Submissions.Add(uint64(n))
		}
		switch {
		case err == nil, errors.Is(err, unix.ETIME):
		case errors.Is(err, unix.EINTR):
			// Retry only to submit what is left, without waiting: waiting
			// again would restart the timeout, and signals (the runtime's
			// preemption, profiling) can come faster than it expires —
			// the owner would never get back to its deadlines. Its loop
			// waits again instead.
			r.Stats.Interrupts.Add(1)
			if r.tail != atomic.LoadUint32(r.sqHead) {
				minComplete = 0
				continue
			}
			return nil
		case errors.Is(err, unix.EBUSY), errors.Is(err, unix.EAGAIN):
			r.Stats.Busy.Add(1) // the caller reaps, then submits again
		default:
			return fmt.Errorf("uring: io_uring_enter: %w", err)
		}
		if r.tail != atomic.LoadUint32(r.sqHead) && r.Ready() == 0 {
			minComplete = 0 // a short submit: hand over the rest
			continue
		}
		return nil
	}
}

// WaitFor makes Submit's waits last until n completions are ready (or the
// timeout), instead of one. With DEFER_TASKRUN the kernel then wakes the
// owner once per n completions and runs up to n of them in one call (not
// its default 20): fewer, larger batches for a ring whose owner has
// deadlines of its own to bound the wait. A Wake no longer ends a wait.
func (r *Ring) WaitFor(n uint32) { r.waitMin = n }

// Sleep announces that the owner is about to wait in Submit. The owner
// calls it, then checks its queues one last time, then waits: a producer
// that pushes after the check sees the flag and calls Wake.
func (r *Ring) Sleep() { r.sleeping.Store(true) }

// Ready is the number of completions waiting in the CQ.
func (r *Ring) Ready() uint32 { return atomic.LoadUint32(r.cqTail) - *r.cqHead }

// Reap copies waiting completions into dst (up to its capacity) and frees
// their CQ entries with one store of the head.
func (r *Ring) Reap(dst []CQE) []CQE {
	head := *r.cqHead
	tail := atomic.LoadUint32(r.cqTail)
	n := len(dst)
	for ; head != tail && len(dst) < cap(dst); head++ {
		dst = append(dst, r.cqes[head&r.cqMask])
	}
	atomic.StoreUint32(r.cqHead, head)
	r.Stats.Completions.Add(uint64(len(dst) - n)) // what this call reaped, not what dst held before
	return dst
}

// Close unmaps and closes the ring (in-flight requests are cancelled by the
// kernel).
func (r *Ring) Close() error {
	if r.mem != nil {
		_ = unix.Munmap(r.mem)
		r.mem = nil
	}
	if r.sqeMem != nil {
		_ = unix.Munmap(r.sqeMem)
		r.sqeMem = nil
	}
	if r.scratch != nil {
		_ = unix.Munmap(r.scratch)
		r.scratch = nil
	}
	if r.wakeFd >= 0 {
		_ = unix.Close(r.wakeFd)
		r.wakeFd = -1
	}
	if r.fd >= 0 {
		err := unix.Close(r.fd)
		r.fd = -1
		return err
	}
	return nil
}

// Arena maps size bytes of anonymous memory off the Go heap: memory the
// kernel reads or writes after a syscall returned lives here.
func Arena(size int) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("uring: mmap arena of %d bytes: %w", size, err)
	}
	return b, nil
}

// FreeArena unmaps an Arena.
func FreeArena(b []byte) { _ = unix.Munmap(b) }
