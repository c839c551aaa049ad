package uring

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BufRing is a provided-buffer ring (IORING_REGISTER_PBUF_RING with
// IOU_PBUF_RING_MMAP: the kernel allocates the ring, we map it) and its
// buffers, one off-heap arena. Recv requests with SQEBufferSelect take a
// buffer; the owner gives it back with Recycle once it has consumed it, and
// publishes the new tail with one store (Publish).
type BufRing struct {
	r       *Ring
	bgid    uint16
	ring    []byte     // the mapped io_uring_buf array
	bufs    []bufEntry // the same memory, typed
	arena   []byte
	size    int
	mask    uint16
	tail    uint16 // local tail; published by Publish
	publish uint16 // tail last published
}

// NewBufRing registers entries (a power of two ≤ 32768) buffers of size
// bytes as buffer group bgid of r, all given to the kernel.
func NewBufRing(r *Ring, bgid uint16, entries uint32, size int) (*BufRing, error) {
	if entries == 0 || entries > 1<<15 || entries&(entries-1) != 0 {
		return nil, fmt.Errorf("uring: %d provided buffers: want a power of two ≤ 32768", entries)
	}
	reg := bufReg{RingEntries: entries, Bgid: bgid, Flags: pbufRingMmap}
	if err := register(r.fd, registerPbufRing, unsafe.Pointer(&reg), 1); err != nil {
		return nil, fmt.Errorf("uring: register provided-buffer ring: %w", err)
	}
	b := &BufRing{r: r, bgid: bgid, size: size, mask: uint16(entries - 1)}
	var err error
	off := int64(offPbufRing | uint64(bgid)<<offPbufShift)
	if b.ring, err = unix.Mmap(r.fd, off, int(entries)*16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		b.unregister()
		return nil, fmt.Errorf("uring: mmap provided-buffer ring: %w", err)
	}
	if b.arena, err = Arena(int(entries) * size); err != nil {
		b.Close()
		return nil, err
	}
	b.bufs = unsafe.Slice((*bufEntry)(unsafe.Pointer(&b.ring[0])), entries)
	for i := range entries {
		b.Recycle(uint16(i))
	}
	b.Publish()
	return b, nil
}

// Group is the buffer group id recv SQEs name.
func (b *BufRing) Group() uint16 { return b.bgid }

// Size is the size of one buffer.
func (b *BufRing) Size() int { return b.size }

// Buf is buffer bid's first n bytes (valid until it is recycled).
func (b *BufRing) Buf(bid uint16, n int) []byte {
	off := int(bid) * b.size
	return b.arena[off : off+n : off+b.size]
}

// Recycle gives buffer bid back to the kernel (visible after Publish).
func (b *BufRing) Recycle(bid uint16) {
	e := &b.bufs[b.tail&b.mask]
	e.Addr = uint64(uintptr(unsafe.Pointer(&b.arena[int(bid)*b.size])))
	e.Len = uint32(b.size)
	e.Bid = bid
	b.tail++
}

// Publish makes recycled buffers visible with one atomic store. The tail
// (u16) overlays bufs[0].resv: Go has no 16-bit atomic, so bytes 12–15 of
// bufs[0] (bid and tail) are stored together.
func (b *BufRing) Publish() bool {
	if b.tail == b.publish {
		return false
	}
	b.publish = b.tail
	word := (*uint32)(unsafe.Pointer(&b.ring[12]))
	atomic.StoreUint32(word, uint32(b.bufs[0].Bid)|uint32(b.tail)<<16)
	return true
}

func (b *BufRing) unregister() {
	reg := bufReg{Bgid: b.bgid}
	_ = register(b.r.fd, unregisterPbufRing, unsafe.Pointer(&reg), 1)
}

// Close unregisters the group and frees its memory.
func (b *BufRing) Close() {
	if b.ring != nil {
		_ = unix.Munmap(b.ring)
		b.ring = nil
	}
	b.unregister()
	if b.arena != nil {
		FreeArena(b.arena)
		b.arena = nil
	}
}
