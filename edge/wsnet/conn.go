package wsnet

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/session"
	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/protocol"
)

// conn is one WebSocket connection. The reader goroutine feeds core; the
// writer goroutine pulls core's output and is the only one that ends the
// connection (so a final ERROR is flushed before the close). wmu orders the
// writer's batches and the reader's control frames (pong, close echo).
type conn struct {
	srv  *Server
	id   core.SessionID
	nc   net.Conn
	in   io.Reader
	wake chan struct{} // cap 1: output waiting

	ending   *session.Ending // how it ends: the writer flushes, then closes with its code
	readDone chan struct{}   // closed when the reader returns

	wmu  sync.Mutex
	bufs net.Buffers
	out  [][]byte

	bl backlog // the writer's

	dmu       sync.Mutex // orders the reader's deadlines and the writer's linger
	lingering bool       // the close frame is out: the read deadline is the linger's
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// End closes the connection with code for a reason the transport decided
// (a framing violation, a timeout, CloseAll, shutdown) and counts it by
// code (session.Ender).
func (c *conn) End(code protocol.Code) { c.ending.Decide(code) }

// readLoop reads client frames until the connection fails or ends.
func (c *conn) readLoop() {
	defer close(c.readDone)
	var buf, frag []byte // frame payload (reused); fragments gathered
	var st wsframe.State
	timeout := c.srv.cfg.HelloTimeout
	for {
		c.readDeadline(timeout)
		h, err := ws.ReadHeader(c.in)
		if err != nil {
			c.readFailed(err, timeout == c.srv.cfg.HelloTimeout)
			return
		}
		code, ok := wsframe.Check(h, st.InFrag(), len(frag))
		if !ok {
			c.End(code)
			c.discard()
			return
		}
		if int64(cap(buf)) < h.Length {
			buf = make([]byte, h.Length)
		}
		payload := buf[:h.Length]
		if _, err := io.ReadFull(c.in, payload); err != nil {
			c.readFailed(err, false)
			return
		}
		ws.Cipher(payload, h.Mask, 0)
		if h.OpCode.IsControl() {
			if !c.control(h.OpCode, payload) {
				return
			}
			continue
		}
		timeout = c.srv.cfg.IdleTimeout
		msg, whole := st.Gather(h, payload, &frag)
		if !whole {
			continue
		}
		if err := c.srv.core.Deliver(c.id, msg); err != nil {
			c.discard() // core has queued the ERROR and asked to close
			return
		}
	}
}

// discard reads and drops what the client still sends while the writer
// closes the connection (see linger).
func (c *conn) discard() { _, _ = io.Copy(io.Discard, c.in) }

// readFailed ends the connection after a failed read. A deadline is the
// transport's decision: a client silent until the HELLO deadline gets
// hello_required, an idle one idle (never normal: SPEC.md §2.3). Anything
// else is the client gone.
func (c *conn) readFailed(err error, beforeHello bool) {
	switch {
	case !isTimeout(err):
		c.ending.Gone()
	case beforeHello:
		c.End(protocol.CodeHelloRequired)
	default:
		c.End(protocol.CodeIdle)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// control answers a ping or a close; it reports whether to keep reading.
func (c *conn) control(op ws.OpCode, payload []byte) bool {
	switch op {
	case ws.OpPing:
		if !c.ending.Stopping() { // nothing follows a close frame
			c.writeFrame(ws.OpPong, payload)
		}
	case ws.OpClose:
		c.ending.Gone()
		return false
	}
	return true
}

// writeLoop writes core's output until the connection ends, then closes it
// and tells core. Output waits in the core while the client is MaxBacklog
// behind (backlog.go); held back for WriteTimeout, the client is too_slow.
func (c *conn) writeLoop() {
	defer c.finish()
	recheck := time.NewTimer(time.Hour)
	recheck.Stop()
	defer recheck.Stop()
	var heldSince time.Time // zero: output flows
	for {
		select {
		case <-c.wake:
		case <-recheck.C:
		case <-c.ending.Stopped():
			c.closeOut()
			return
		}
		if c.bl.behind(c) {
			if heldSince.IsZero() {
				heldSince = time.Now()
			}
			if time.Since(heldSince) > c.srv.cfg.WriteTimeout {
				c.End(protocol.CodeTooSlow)
				continue
			}
			recheck.Reset(c.srv.cfg.WriteTimeout / 8)
			continue
		}
		heldSince = time.Time{}
		if err := c.flush(); err != nil {
			c.writeFailed(err)
			return
		}
	}
}

// flush writes what the core has for the connection.
func (c *conn) flush() error {
	ctrl, frames, lease := c.srv.core.Pull(c.id, c.out[:0])
	if ctrl != nil {
		frames = append(append(c.out[:0:0], ctrl), frames...) // rare: control output
	}
	c.out = frames[:0]
	err := c.writeBatch(frames)
	c.srv.core.Release(lease)
	return err
}

// closeOut ends the connection as SPEC.md §4 says: the last output, an
// ERROR with the code when the transport decided the close (the core
// queued one for the closes it asked for), the close frame, then a linger
// while the client reads them. A client closed too_slow by the transport
// gets no backlog: it could not take it.
func (c *conn) closeOut() {
	code, decided := c.ending.Code()
	if decided && code == protocol.CodeTooSlow {
		_, _, lease := c.srv.core.Pull(c.id, c.out[:0])
		c.srv.core.Release(lease)
	} else if err := c.flush(); err != nil {
		return // the client is gone, or a write was cut short: no close frame can follow
	}
	var last []byte
	if decided && code != protocol.CodeNormal {
		last = wsframe.AppendError(last, code)
	}
	c.write(net.Buffers{wsframe.AppendClose(last, code)})
	c.linger()
}

// linger half-closes the connection and waits, at most CloseLinger, for the
// reader to see the client's close frame or EOF: closing a socket with
// unread input resets it, and a reset loses what the client has not read.
func (c *conn) linger() {
	c.srv.conns.Forget(c.id) // closed: no longer counted, while it lingers
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	c.dmu.Lock()
	c.lingering = true
	_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.CloseLinger))
	c.dmu.Unlock()
	<-c.readDone
}

// readDeadline sets the reader's deadline d from now, unless the
// connection lingers (its deadline is the linger's).
func (c *conn) readDeadline(d time.Duration) {
	c.dmu.Lock()
	if !c.lingering {
		_ = c.nc.SetReadDeadline(time.Now().Add(d))
	}
	c.dmu.Unlock()
}

// writeFailed ends the connection after a failed write: a client that did
// not take a batch within WriteTimeout stopped reading (too_slow); any other
// error means it is gone.
func (c *conn) writeFailed(err error) {
	if isTimeout(err) {
		c.End(protocol.CodeTooSlow)
		return
	}
	c.ending.Gone()
}

// finish closes the connection, tells the core, and, once the reader has
// returned too (closing the connection ends its read), says the session is
// done: Shutdown waits for both goroutines.
func (c *conn) finish() {
	c.nc.Close()
	c.srv.core.Closed(c.id)
	<-c.readDone
	c.srv.conns.Done(c.id)
}

// writeBatch sends frames as binary WebSocket messages — as few as the
// frame limit allows — with one writev each: the shared frame bytes are
// written as they are, never copied per connection.
func (c *conn) writeBatch(frames [][]byte) error {
	for len(frames) > 0 {
		n, size := wsframe.Batch(frames)
		var hdr [10]byte
		c.bufs = append(c.bufs[:0], wsframe.AppendHeader(hdr[:0], ws.OpBinary, size))
		c.bufs = append(c.bufs, frames[:n]...)
		c.wmu.Lock()
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
		w, err := c.bufs.WriteTo(c.nc)
		c.wmu.Unlock()
		c.bl.sent += int(w)
		if err != nil {
			return err
		}
		frames = frames[n:]
	}
	return nil
}

// writeFrame writes one frame of op with payload (a pong).
func (c *conn) writeFrame(op ws.OpCode, payload []byte) {
	var hdr [10]byte
	c.write(net.Buffers{wsframe.AppendHeader(hdr[:0], op, len(payload)), payload})
}

// write writes b within WriteTimeout, in order with the writer's batches.
func (c *conn) write(b net.Buffers) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	_, _ = b.WriteTo(c.nc)
}
