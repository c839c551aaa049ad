package ringnet

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// Connection states.
const (
	stFree uint8 = iota
	stHTTP       // reading the first request
	stWS         // upgraded: a core session
)

// Connection flags.
const (
	fRecv          uint16 = 1 << iota // the multishot recv is armed
	fSending                          // a send is in flight
	fWantPull                         // the core has output (Ready)
	fEnding                           // flush, then send the close frame
	fCloseQueued                      // the close frame is in a send
	fInputDone                        // ignore further input
	fDying                            // cancel → final CQEs → close
	fClosing                          // the CLOSE is submitted
	fHandoff                          // hand the fd to net/http once its requests ended
	fGotData                          // a data frame arrived (the HELLO deadline is over)
	fKillAfterSend                    // an HTTP error response: close after it
	fDecided                          // the ring decided the close: an ERROR with its code precedes the close frame
	fHeld                             // the client is MaxBacklog behind: output waits in the core (since sendAt)
	fLinger                           // the close frame is out: half-closed, draining input until EOF or the deadline
	fAsking                           // a SIOCOUTQ (URING_CMD) is in flight
	fRefused                          // over MaxConns: an upgrade is answered 503, then closed (plain HTTP still goes to net/http)
)

// conn is one connection's state: no pointers, so the slot table costs the
// GC nothing however many connections are open. Buffers are handles into
// the ring's held table and exist only while needed.
type conn struct {
	fd       int32  // the socket's direct descriptor: an index in the ring's fixed-file table
	gen      uint32 // 24 bits used, bumped when the slot is freed
	state    uint8
	inflight uint8 // requests whose final CQE has not arrived
	flags    uint16
	code     protocol.Code
	part     uint32 // partial frame (or request head) bytes
	frag     uint32 // a fragmented message being gathered
	out      uint32 // raw bytes waiting to be sent
	send     uint32 // send context while fSending
	rd       wsframe.State
	unacked  uint32 // upper bound of the bytes the client has not acknowledged (see behind); here, it fills padding
	sess     core.SessionID
	deadline int64 // ring-monotonic ns; 0: none
	sendAt   int64
}

func (r *ring) alloc(fd int) uint32 {
	var ci uint32
	if n := len(r.free); n > 0 {
		ci = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		r.conns = append(r.conns, conn{})
		ci = uint32(len(r.conns) - 1)
	}
	c := &r.conns[ci]
	*c = conn{fd: int32(fd), gen: c.gen, state: stHTTP}
	return ci
}

// heldBuf is handle h's bytes (empty, with spare capacity, for 0).
func (r *ring) heldBuf(h uint32) []byte {
	if h != 0 {
		return r.held[h]
	}
	if n := len(r.spare); n > 0 {
		b := r.spare[n-1]
		r.spare = r.spare[:n-1]
		return b[:0]
	}
	return nil
}

// keep stores b under handle h (allocating one if needed) and returns the
// handle; an empty b frees it (its storage kept as a spare).
func (r *ring) keep(h uint32, b []byte) uint32 {
	if len(b) == 0 {
		if h != 0 {
			r.putHandle(h)
		} else if cap(b) > 0 && len(r.spare) < maxSpare {
			r.spare = append(r.spare, b[:0])
		}
		return 0
	}
	if h == 0 {
		if n := len(r.freeH); n > 0 {
			h = r.freeH[n-1]
			r.freeH = r.freeH[:n-1]
		} else {
			r.held = append(r.held, nil)
			h = uint32(len(r.held) - 1)
		}
	}
	r.held[h] = b
	return h
}

// maxSpare bounds the buffers kept for reuse (up to 64 KiB each).
const maxSpare = 32

func (r *ring) putHandle(h uint32) {
	if h == 0 {
		return
	}
	if b := r.held[h]; cap(b) > 0 && cap(b) <= 1<<17 && len(r.spare) < maxSpare {
		r.spare = append(r.spare, b[:0])
	}
	r.held[h] = nil
	r.freeH = append(r.freeH, h)
}

// input handles bytes a recv completed for connection ci (in a shared
// provided buffer, recycled when this returns).
func (r *ring) input(ci uint32, data []byte) {
	c := &r.conns[ci]
	if c.state == stHTTP {
		r.httpInput(ci, data)
		return
	}
	r.cur = ci
	part := r.heldBuf(c.part)
	frag := r.heldBuf(c.frag)
	rd := c.rd
	part = rd.FeedPartial(&r.hr, part, data, &frag, r)
	c = &r.conns[ci]
	c.rd = rd
	if rd.Done() {
		part, frag = part[:0], frag[:0]
	}
	c.part = r.keep(c.part, part)
	c.frag = r.keep(c.frag, frag)
}

// Message, Control and Fail make the ring the framing parser's handler
// (wsframe.Handler), for connection r.cur.
func (r *ring) Message(payload []byte) bool {
	c := &r.conns[r.cur]
	c.flags |= fGotData
	c.deadline = r.now + int64(r.srv.cfg.IdleTimeout)
	if err := r.srv.core.Deliver(c.sess, payload); err != nil {
		r.conns[r.cur].flags |= fInputDone // the core queued the ERROR and asked to close
		return false
	}
	return true
}

func (r *ring) Control(op ws.OpCode, payload []byte) bool {
	c := &r.conns[r.cur]
	if c.flags&fGotData != 0 {
		c.deadline = r.now + int64(r.srv.cfg.IdleTimeout)
	} else {
		c.deadline = r.now + int64(r.srv.cfg.HelloTimeout)
	}
	switch op {
	case ws.OpPing:
		r.queueFrame(r.cur, ws.OpPong, payload)
	case ws.OpClose:
		r.end(r.cur, protocol.CodeNormal)
		return false
	}
	return true
}

func (r *ring) Fail(code protocol.Code) { r.closeWith(r.cur, code) }

// closeWith ends connection ci with code for a reason the ring decided
// itself (a framing violation, a deadline, shutdown): the core counts it
// under code, once, unless the connection is already closing (then its
// close was counted when it was decided). Closes the core asks for
// (Notifier.Hangup) go straight to end: the core counted them.
func (r *ring) closeWith(ci uint32, code protocol.Code) {
	if r.countClose(ci, code) {
		r.conns[ci].flags |= fDecided
		r.end(ci, code)
	}
}

// countClose counts a close of ci the ring decided, if ci is a session not
// already closing; it reports whether ci is open.
func (r *ring) countClose(ci uint32, code protocol.Code) bool {
	c := &r.conns[ci]
	if c.state == stFree || c.flags&(fEnding|fDying) != 0 {
		return false
	}
	if c.state == stWS && c.sess != 0 {
		r.srv.core.CountClose(code)
	}
	return true
}

// end closes a WebSocket connection gracefully: a last Pull, the close
// frame with code, then the close sequence. Other connections are killed.
func (r *ring) end(ci uint32, code protocol.Code) {
	c := &r.conns[ci]
	if c.state != stWS {
		r.kill(ci)
		return
	}
	if c.flags&(fEnding|fDying) != 0 {
		return
	}
	c.flags |= fEnding | fWantPull | fInputDone
	c.code = code
	r.flush(ci)
}

// kill starts the safe close: cancel every request on the fd, wait for
// their final CQEs, close the fd, then free the slot (maybeClose, release).
func (r *ring) kill(ci uint32) {
	c := &r.conns[ci]
	if c.flags&fDying != 0 || c.state == stFree {
		return
	}
	c.flags |= fDying | fInputDone
	if c.inflight > 0 {
		if c.flags&fHandoff == 0 {
			// A send blocked on a peer that does not read (MSG_WAITALL)
			// may be past cancelling; shutting the socket down ends it
			// with an error at once. A handed-off fd lives on in net/http.
			e := r.sqe()
			e.PrepShutdown(int(c.fd), shutRDWR, uring.UserData(opCancel, c.gen, ci))
			e.Fixed()
			c.inflight++
		}
		r.sqe().PrepCancelFixed(int(c.fd), uring.UserData(opCancel, c.gen, ci))
		c.inflight++
		r.cancels.Add(1)
	}
	r.maybeClose(ci)
}

// shutRDWR is SHUT_RDWR for PrepShutdown.
const shutRDWR = 2

func (r *ring) maybeClose(ci uint32) {
	c := &r.conns[ci]
	if c.state == stFree || c.flags&fDying == 0 || c.inflight > 0 || c.flags&fClosing != 0 {
		return
	}
	if c.flags&fHandoff != 0 {
		r.handoff(ci)
		return
	}
	c.flags |= fClosing
	r.sqe().PrepCloseDirect(int(c.fd), uring.UserData(opClose, c.gen, ci))
	c.inflight++
}

// httpInput gathers the first request's head. A WebSocket upgrade on /ws
// is answered on the ring; anything else goes to net/http with the bytes
// read so far.
func (r *ring) httpInput(ci uint32, data []byte) {
	c := &r.conns[ci]
	buf := append(r.heldBuf(c.part), data...)
	c.part = r.keep(c.part, buf)
	if c.flags&(fHandoff|fInputDone) != 0 {
		return
	}
	// Plain HTTP (health checks, /metrics, hunt status) goes to net/http
	// even over MaxConns: it leaves the table at once, and an operator must
	// still see a full edge. Only upgrades are refused.
	switch v, req, n := wsframe.ParseHead(buf); {
	case v == wsframe.HeadHandoff:
		r.startHandoff(ci)
	case v == wsframe.HeadUpgrade && c.flags&fRefused != 0:
		c.flags |= fInputDone
		r.refused.Add(1)
		r.reject(ci, http.StatusServiceUnavailable, "edge full: too many connections")
	case v == wsframe.HeadUpgrade:
		r.upgrade(ci, req, buf, n)
	}
}

func (r *ring) startHandoff(ci uint32) {
	c := &r.conns[ci]
	c.flags |= fHandoff
	r.kill(ci)
}

// handoff turns the slot into an ordinary fd for net/http (its requests
// all ended): FIXED_FD_INSTALL, then (installed) the slot is closed.
func (r *ring) handoff(ci uint32) {
	c := &r.conns[ci]
	c.flags |= fClosing
	r.sqe().PrepFixedFdInstall(int(c.fd), uring.UserData(opInstall, c.gen, ci))
	c.inflight++
}

// installed hands the fd FIXED_FD_INSTALL returned to net/http with the
// bytes read, and closes the slot; without an fd (-EMFILE: the process's
// file table is full) the connection is just closed, and counted.
func (r *ring) installed(ci uint32, res int32) {
	c := &r.conns[ci]
	r.sqe().PrepCloseDirect(int(c.fd), uring.UserData(opClose, c.gen, ci))
	c.inflight++
	if res < 0 {
		r.handoffFailed.Add(1)
		r.srv.cfg.Logger.Warn("cannot hand a connection to net/http", "errno", -res)
		return
	}
	r.handoffs.Add(1)
	nc, err := uring.FileConn(int(res))
	if err != nil {
		r.handoffFailed.Add(1)
		r.srv.cfg.Logger.Warn("cannot hand a connection to net/http", "err", err)
		return
	}
	if !r.srv.ln.offer(&prefixConn{Conn: nc, pre: append([]byte(nil), r.held[c.part]...)}) {
		nc.Close()
	}
}

// upgrade answers a WebSocket upgrade (origin policy, shutdown, then
// gobwas/ws's handshake checks) and opens the session.
func (r *ring) upgrade(ci uint32, req *http.Request, buf []byte, n int) {
	c := &r.conns[ci]
	c.flags |= fInputDone
	if status, why := wsframe.Refusal(r.srv.cfg.CheckOrigin(req), r.srv.gate.Closing()); status != 0 {
		r.reject(ci, status, why)
		return
	}
	var resp bytes.Buffer
	rw := struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(buf[:n]), &resp}
	if _, err := (ws.Upgrader{}).Upgrade(rw); err != nil {
		if resp.Len() == 0 {
			r.reject(ci, http.StatusBadRequest, err.Error())
			return
		}
		c.flags |= fKillAfterSend
		r.queueRaw(ci, resp.Bytes())
		return
	}
	rest := append([]byte(nil), buf[n:]...)
	r.putHandle(c.part)
	c.part = 0
	v := r.sessionValue(ci)
	sess := r.srv.core.Open(r.srv.owner, v)
	c = &r.conns[ci]
	c.sess, c.state = sess, stWS
	if !r.srv.register() { // Shutdown began meanwhile
		r.srv.core.CountClose(protocol.CodeShuttingDown)
		r.srv.core.Closed(sess)
		c.sess, c.state = 0, stHTTP
		r.kill(ci)
		return
	}
	c.flags &^= fInputDone
	c.deadline = r.now + int64(r.srv.cfg.HelloTimeout)
	r.queueRaw(ci, resp.Bytes())
	if len(rest) > 0 {
		r.input(ci, rest)
	}
}

func (r *ring) reject(ci uint32, status int, text string) {
	r.conns[ci].flags |= fKillAfterSend
	r.queueRaw(ci, fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s\n",
		status, http.StatusText(status), len(text)+1, text))
}

// abandon frees slot ci after a failed ring loop, without the close
// sequence (the ring is gone): its send in flight is unpinned and released,
// its session ended in the core, counted as internal.
func (r *ring) abandon(ci uint32) {
	c := &r.conns[ci]
	if c.state == stFree {
		return
	}
	if c.flags&fSending != 0 {
		rec := r.sends.rec(c.send)
		rec.pin.Unpin()
		r.srv.core.Release(rec.lease)
		*rec = sendRec{}
	}
	r.countClose(ci, protocol.CodeInternal)
	r.release(ci)
}
