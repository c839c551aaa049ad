package ringnet

import (
	"runtime"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// A send context is 2 KiB of off-heap memory the kernel reads until the
// SENDMSG completes: the msghdr, up to 72 iovecs and a slab for WebSocket
// headers and the close frame. Contexts exist per send in flight, never per
// connection; they come from 512 KiB chunks mapped as needed.
const (
	sendCtxSize = 2048
	slabOff     = 1216 // after the msghdr (64) and 72 iovecs
	ctxPerChunk = 256
	maxIovecs   = (slabOff - uring.MsgHeaderSize) / 16
)

// maxPullFrames is the most frames one core.Pull returns (the core's
// session queue length, so a change there fails the check below at compile
// time). One send must take them all, each in a message of its own at
// worst: the queued raw bytes, a header and the control messages, a header
// and each frame, the close frame.
const maxPullFrames = core.MaxPullFrames

// A compile-time check that maxIovecs holds the worst case above.
var _ [maxIovecs - (1 + 2*(1+maxPullFrames) + 1 + 1)]struct{}

// sendRec is the Go side of a send in flight: what it pins and must give
// back when it completes.
type sendRec struct {
	pin   runtime.Pinner // the control bytes and shared frames the iovecs point at
	ctl   []byte
	lease core.Lease
	out   uint32 // held handle of queued raw bytes (handshake response, pongs)
	close bool   // the close frame is in this send
}

// pinAnchor is pinned (a no-op: it is not heap memory) right after each
// Unpin so that the send record takes its Pinner's storage straight back:
// Unpin hands that storage to the current P's cache whenever the cache is
// empty (a GC empties them all), and the next Pin, often on another P once
// io_uring_enter has let the ring's thread go, would then allocate a new one
// — a few allocations per thousand sends that TestRingHotPathAllocs counts.
var pinAnchor byte

type sendPool struct {
	chunks [][]byte
	recs   []*[ctxPerChunk]sendRec
	free   []uint32
}

func (p *sendPool) get() (uint32, bool) {
	if len(p.free) == 0 {
		mem, err := uring.Arena(ctxPerChunk * sendCtxSize)
		if err != nil {
			return 0, false
		}
		base := uint32(len(p.chunks)) * ctxPerChunk
		p.chunks = append(p.chunks, mem)
		p.recs = append(p.recs, new([ctxPerChunk]sendRec))
		for i := uint32(ctxPerChunk); i > 0; i-- {
			p.free = append(p.free, base+i-1)
		}
	}
	k := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return k, true
}

func (p *sendPool) put(k uint32) { p.free = append(p.free, k) }

func (p *sendPool) mem(k uint32) []byte {
	off := int(k%ctxPerChunk) * sendCtxSize
	return p.chunks[k/ctxPerChunk][off : off+sendCtxSize : off+sendCtxSize]
}

func (p *sendPool) rec(k uint32) *sendRec { return &p.recs[k/ctxPerChunk][k%ctxPerChunk] }

func (p *sendPool) close() {
	for _, m := range p.chunks {
		uring.FreeArena(m)
	}
	p.chunks = nil
}

// flush starts connection ci's next send if none is in flight: queued raw
// bytes, then the core's output (control messages, then the shared frames,
// as binary messages of at most 64 KiB: a header in the slab, the frames
// referenced, never copied), then, when ending, the close frame — all in one
// SENDMSG with MSG_WAITALL|MSG_NOSIGNAL.
func (r *ring) flush(ci uint32) {
	c := &r.conns[ci]
	if c.flags&(fSending|fDying) != 0 || c.state == stFree {
		return
	}
	var ctl []byte
	var lease core.Lease
	frames := r.frames[:0]
	closing := c.flags&fEnding != 0 && c.flags&fCloseQueued == 0
	if c.flags&fWantPull != 0 && c.state == stWS && !closing && r.behind(ci) {
		if c.flags&fHeld == 0 { // output waits in the core; scan asks again
			c.flags |= fHeld
			c.sendAt = r.now
		}
		return
	}
	c.flags &^= fHeld
	if c.flags&fWantPull != 0 && c.state == stWS {
		ctl, frames, lease = r.pull(c, frames, closing)
	}
	if len(ctl) == 0 && len(frames) == 0 && c.out == 0 && !closing {
		r.srv.core.Release(lease)
		return
	}
	k, ok := r.sends.get()
	if !ok {
		r.srv.core.Release(lease)
		r.kill(ci)
		return
	}
	rec, mem := r.sends.rec(k), r.sends.mem(k)
	m := uring.NewMsg(mem[:slabOff])
	r.sw.b = mem[slabOff:slabOff]
	r.addHeld(c, &m, rec)
	if len(ctl) > 0 {
		rec.ctl = ctl
		rec.pin.Pin(&ctl[0])
	}
	if !r.addMessages(&m, rec, ctl, frames) {
		// More frames than one Pull may return (maxPullFrames): the core
		// changed and the send context no longer fits it. Never drop
		// frames silently: end the connection and say so.
		r.srv.cfg.Logger.Error("ringnet: a Pull returned more frames than a send holds", "frames", len(frames), "max", maxPullFrames)
		if r.countClose(ci, protocol.CodeInternal) {
			c.flags |= fEnding | fInputDone
			c.code = protocol.CodeInternal
		}
	}
	if closing {
		r.appendClosing(c, &m, rec)
	}
	rec.lease = lease
	r.frames = frames[:0]
	r.sw.b = nil
	e := r.sqe()
	e.PrepSendmsg(int(c.fd), m.Finish(), uring.MsgWaitAll|uring.MsgNoSignal, uring.UserData(opSend, c.gen, ci))
	e.Fixed()
	c.flags |= fSending
	c.send = k
	c.inflight++
	c.sendAt = r.now
}

// addHeld puts c's held output, if any, first into m; rec keeps it (and
// pins it) until the send completes.
func (r *ring) addHeld(c *conn, m *uring.Msg, rec *sendRec) {
	if c.out == 0 {
		return
	}
	b := r.held[c.out]
	m.Add(b)
	rec.pin.Pin(&b[0])
	rec.out, c.out = c.out, 0
}

// pull takes c's output from the core, none of it when the ring closes c
// too_slow (the backlog could not be taken).
func (r *ring) pull(c *conn, frames [][]byte, closing bool) ([]byte, [][]byte, core.Lease) {
	c.flags &^= fWantPull
	ctl, frames, lease := r.srv.core.Pull(c.sess, frames)
	if closing && c.flags&fDecided != 0 && c.code == protocol.CodeTooSlow {
		r.srv.core.Release(lease)
		return nil, frames[:0], core.Lease{}
	}
	return ctl, frames, lease
}

// appendClosing ends the send of a connection being closed: the ERROR that
// says why, when the ring decided the close (the core queued none), then
// the close frame.
func (r *ring) appendClosing(c *conn, m *uring.Msg, rec *sendRec) {
	if c.flags&fDecided != 0 && c.code != protocol.CodeNormal {
		start := len(r.sw.b)
		r.sw.b = wsframe.AppendError(r.sw.b, c.code)
		m.Add(r.sw.b[start:])
	}
	start := len(r.sw.b)
	r.sw.b = wsframe.AppendClose(r.sw.b, c.code)
	m.Add(r.sw.b[start:])
	c.flags |= fCloseQueued
	rec.close = true
}

// addMessages adds ctl and frames as binary messages, as few as the frame
// limit allows (a message bigger than the limit goes alone), keeping one
// iovec for a close frame. It reports false if they did not all fit, which
// cannot happen with at most maxPullFrames frames (see maxIovecs).
func (r *ring) addMessages(m *uring.Msg, rec *sendRec, ctl []byte, frames [][]byte) bool {
	i, n := -1, len(frames) // item -1 is ctl
	if len(ctl) == 0 {
		i = 0
	}
	item := func(j int) []byte {
		if j < 0 {
			return ctl
		}
		return frames[j]
	}
	for i < n {
		j, size := i, 0
		for j < n && wsframe.Joins(j-i, size, len(item(j))) && m.Room() >= j-i+3 {
			size += len(item(j))
			j++
		}
		if j == i {
			return false // no room left
		}
		start := len(r.sw.b)
		r.sw.b = wsframe.AppendHeader(r.sw.b, ws.OpBinary, size)
		m.Add(r.sw.b[start:])
		for ; i < j; i++ {
			b := item(i)
			m.Add(b)
			if i >= 0 {
				rec.pin.Pin(&b[0])
			}
		}
	}
	return true
}

// sent completes connection ci's send: unpin, release the lease, and go on
// (next send, or the close that followed the close frame).
func (r *ring) sent(ci uint32, res int32) {
	c := &r.conns[ci]
	k := c.send
	c.flags &^= fSending
	rec := r.sends.rec(k)
	rec.pin.Unpin()
	rec.pin.Pin(&pinAnchor) // keep the Pinner's storage (see pinAnchor)
	r.srv.core.Release(rec.lease)
	r.putHandle(rec.out)
	closeSent := rec.close
	rec.ctl, rec.lease, rec.out, rec.close = nil, core.Lease{}, 0, false
	r.sends.put(k)
	if res > 0 {
		c.unacked += uint32(res)
	}
	switch {
	case res >= 0 && closeSent && c.state == stWS:
		r.linger(ci)
	case res < 0, closeSent, c.flags&fKillAfterSend != 0:
		r.kill(ci)
	default:
		r.flush(ci)
	}
}

// linger half-closes connection ci after its close frame and keeps its
// receive draining until the client's EOF or CloseLinger (scan): closing a
// socket with unread input resets it, and a reset loses what the client
// has not read yet (the final ERROR and close frame). It no longer counts
// as open.
func (r *ring) linger(ci uint32) {
	c := &r.conns[ci]
	c.flags |= fLinger
	c.deadline = r.now + int64(r.srv.cfg.CloseLinger)
	r.srv.conns.Add(-1)
	e := r.sqe()
	e.PrepShutdown(int(c.fd), shutWR, uring.UserData(opCancel, c.gen, ci))
	e.Fixed()
	c.inflight++
	if c.flags&fRecv == 0 { // nothing to drain into: end now
		r.kill(ci)
	}
}

// shutWR is SHUT_WR for PrepShutdown.
const shutWR = 1

// behind reports whether connection ci may be more than MaxBacklog
// behind. c.unacked bounds what the kernel holds unacknowledged (its last
// answer plus what was sent since): the kernel is asked (SIOCOUTQ, a
// URING_CMD on the direct descriptor) only when that bound passes
// MaxBacklog, so a client that keeps up costs one request per MaxBacklog
// bytes sent. Until the answer (outQueue) the output waits.
func (r *ring) behind(ci uint32) bool {
	c := &r.conns[ci]
	if int(c.unacked) <= r.srv.cfg.MaxBacklog {
		return false
	}
	if c.flags&fAsking == 0 {
		r.sqe().PrepOutQueue(int(c.fd), uring.UserData(opOutQueue, c.gen, ci))
		c.flags |= fAsking
		c.inflight++
	}
	return true
}

// outQueue takes the kernel's SIOCOUTQ answer for ci: caught up, the
// held output goes; still behind, it waits for the next scan to ask again.
func (r *ring) outQueue(ci uint32, res int32) {
	c := &r.conns[ci]
	c.flags &^= fAsking
	c.unacked = uint32(max(res, 0)) // an error: not known to be behind (as before)
	if int(c.unacked) <= r.srv.cfg.MaxBacklog && c.flags&fHeld != 0 {
		c.flags |= fWantPull
		r.flush(ci)
	}
}

// slabWriter appends to a send context's off-heap slab (its capacity
// bounds it: appends stay in place).
type slabWriter struct{ b []byte }

// queueFrame queues a frame of op with payload (a pong).
func (r *ring) queueFrame(ci uint32, op ws.OpCode, payload []byte) {
	c := &r.conns[ci]
	b := wsframe.AppendHeader(r.heldBuf(c.out), op, len(payload))
	c.out = r.keep(c.out, append(b, payload...))
	r.flush(ci)
}

// queueRaw queues bytes as they are (an HTTP response).
func (r *ring) queueRaw(ci uint32, b []byte) {
	c := &r.conns[ci]
	c.out = r.keep(c.out, append(r.heldBuf(c.out), b...))
	r.flush(ci)
}
