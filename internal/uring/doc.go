// Package uring is the edge's io_uring layer and the only code in the
// project that makes io_uring (and the related socket and affinity)
// system calls, on golang.org/x/sys/unix (and the socket queries both
// WebSocket transports make: OutQueue, SetSendBuffer). It offers rings created with
// SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN|SUBMIT_ALL and a CQ sized for
// multishot, SQE preparation for multishot accept and recv (provided-buffer
// rings, IOU_PBUF_RING_MMAP), SENDMSG, ASYNC_CANCEL and CLOSE, cross-thread
// wake-ups with MSG_RING (eventfd fallback), off-heap arenas, SO_REUSEPORT
// listeners and thread pinning. Probe checks once, and caches, whether the
// kernel allows all of it; VELTRIX_NO_URING=1 switches it off.
package uring
