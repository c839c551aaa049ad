package ringclient

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/veltrix/veltrix/internal/uring"
	"github.com/veltrix/veltrix/protocol"
)

// The receive side: completions, the upgrade response, and the edge's
// frames handed to the player undecoded.

// enter submits the iteration's SQEs and waits for a completion until the
// next deadline (none while commands wait in the inbox). Completions come
// as task work that an enter runs only 20 of by default: after an
// iteration that reaped at least busyBatch, more are likely queued, so it
// does not wait but lets the kernel run up to Buffers/2 of them — else a
// ring busy sending (its enters long, and few) falls behind on receiving.
func (r *ring) enter(nextScan int64, busy bool) error {
	wait := time.Duration(r.wheel.deadline(nextScan) - r.now)
	r.inMu.Lock()
	if len(r.inbox) > 0 {
		wait = 0
	}
	r.inMu.Unlock()
	if busy {
		r.ur.WaitFor(max(r.e.cfg.Buffers/2, busyBatch))
		return r.ur.Submit(true, 0)
	}
	r.ur.WaitFor(1)
	return r.ur.Submit(wait > 0, wait)
}

// reap processes every completion waiting and returns how many; then
// every buffer reaped was consumed and recycled: it re-arms the receives
// parked on ENOBUFS whether or not it had any to publish (their ENOBUFS
// may come after the last was).
func (r *ring) reap() int {
	n := 0
	for r.ur.Ready() > 0 {
		r.cqes = r.ur.Reap(r.cqes[:0])
		n += len(r.cqes)
		for i := range r.cqes {
			r.complete(&r.cqes[i])
		}
	}
	if r.bufs.Publish() || len(r.parked) > 0 {
		r.unpark()
	}
	return n
}

// unpark re-arms the receives parked on ENOBUFS.
func (r *ring) unpark() {
	for _, ci := range r.parked {
		if c := &r.conns[ci]; c.state >= stHead && !c.dying && !c.recv {
			r.armRecv(ci)
		}
	}
	r.parked = r.parked[:0]
}

func (r *ring) complete(e *uring.CQE) {
	if e.UserData == uring.WakeData {
		r.ur.ArmWake()
		return
	}
	op, gen, ci := uring.SplitUserData(e.UserData)
	if int(ci) >= len(r.conns) || r.conns[ci].gen != gen {
		if bid, ok := e.Buffer(); ok {
			r.bufs.Recycle(bid)
		}
		return
	}
	c := &r.conns[ci]
	switch op {
	case opChain:
		c.inflight--
		if e.Res < 0 && c.err == nil {
			c.err = fmt.Errorf("ringclient: connecting: errno %d", -e.Res)
		}
		if c.inflight == 0 {
			c.sending = false
			if c.err != nil {
				r.kill(ci, c.err)
				return
			}
			c.state = stHead
			r.armRecv(ci)
			r.flush(ci)
		}
		return
	case opRecv:
		r.received(ci, e)
	case opSend:
		c.inflight--
		c.sending = false
		if e.Res < 0 {
			r.kill(ci, fmt.Errorf("ringclient: send: errno %d", -e.Res))
		} else {
			r.flush(ci)
		}
	case opCancel:
		c.inflight--
	case opClose:
		r.release(ci)
		return
	}
	r.maybeClose(ci)
}

func (r *ring) received(ci uint32, e *uring.CQE) {
	c := &r.conns[ci]
	if !e.More() {
		c.inflight--
		c.recv = false
	}
	bid, hasBuf := e.Buffer()
	if e.Res > 0 && hasBuf {
		if !c.dying {
			r.input(ci, r.bufs.Buf(bid, int(e.Res)))
		}
		r.bufs.Recycle(bid)
		if c := &r.conns[ci]; !c.recv && !c.dying {
			r.armRecv(ci)
		}
		return
	}
	if hasBuf {
		r.bufs.Recycle(bid)
	}
	switch {
	case e.Res == uring.ENOBUFS:
		r.parked = append(r.parked, ci)
		r.noBufs.Add(1)
	case e.Res == 0:
		r.kill(ci, errEOF)
	case e.Res < 0 && !c.dying:
		r.kill(ci, fmt.Errorf("ringclient: recv: errno %d", -e.Res))
	}
}

// input parses what arrived for ci: the 101, then frames.
func (r *ring) input(ci uint32, data []byte) {
	c := &r.conns[ci]
	buf := data
	if len(c.part) > 0 {
		c.part = append(c.part, data...)
		buf = c.part
	}
	n, err := r.parse(ci, buf)
	c = &r.conns[ci]
	if err != nil {
		r.kill(ci, err)
		return
	}
	rest := buf[n:]
	if len(c.part) > 0 {
		c.part = c.part[:copy(c.part, rest)]
	} else if len(rest) > 0 {
		c.part = append(c.part, rest...)
	}
}

func (r *ring) parse(ci uint32, buf []byte) (int, error) {
	c := &r.conns[ci]
	used := 0
	if c.state == stHead {
		i := bytes.Index(buf, []byte("\r\n\r\n"))
		if i < 0 {
			if len(buf) > 4096 {
				return 0, errors.New("ringclient: no end to the upgrade answer")
			}
			return 0, nil
		}
		if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101 ")) {
			line, _, _ := bytes.Cut(buf, []byte("\r\n"))
			return 0, fmt.Errorf("ringclient: upgrade answered %q", line)
		}
		used = i + 4
		c.state = stHello
		r.flush(ci) // HELLO
	}
	for !c.dying {
		op, payload, n, err := splitFrame(buf[used:])
		if err != nil {
			return 0, err
		}
		if n == 0 {
			break
		}
		used += n
		switch op {
		case 2:
			r.message(ci, payload)
		case 8:
			return used, errEOF
		case 9:
			c.pending = appendFrame(c.pending, 0x8a, payload)
			r.flush(ci)
		}
		c = &r.conns[ci]
	}
	return used, nil
}

// splitFrame takes the first frame the edge sent off b: its opcode, its
// payload and how many bytes it took (0: incomplete). Frames from a server
// are final and unmasked; others are an error.
func splitFrame(b []byte) (op byte, payload []byte, n int, err error) {
	if len(b) < 2 {
		return 0, nil, 0, nil
	}
	if b[0]&0x80 == 0 || b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return 0, nil, 0, fmt.Errorf("ringclient: a fragmented, extended or masked frame from the edge (%#x %#x)", b[0], b[1])
	}
	size, hdr := uint64(b[1]&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, nil
		}
		size, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, nil
		}
		size, hdr = binary.BigEndian.Uint64(b[2:]), 10
	}
	if size > maxFrame {
		return 0, nil, 0, fmt.Errorf("ringclient: a %d-byte frame", size)
	}
	if uint64(len(b)-hdr) < size {
		return 0, nil, 0, nil
	}
	end := hdr + int(size)
	return b[0] & 0x0f, b[hdr:end:end], end, nil
}

// maxFrame bounds a frame from the edge.
const maxFrame = 1 << 24

func (r *ring) message(ci uint32, payload []byte) {
	c := &r.conns[ci]
	if c.state == stOpen {
		c.cb.Frame(payload)
		return
	}
	t, body, rest, err := protocol.Split(payload)
	switch {
	case err != nil:
		r.kill(ci, fmt.Errorf("ringclient: first message: %w", err))
	case t == protocol.TypeWelcome:
		c.state = stOpen
		if c.cb.Due != nil && r.wheel.on() {
			r.wheel.add(ci, c.gen, rand.Uint64())
		}
		c.cb.Open(r.handle(ci), nil)
		if len(rest) > 0 {
			c.cb.Frame(rest)
		}
	case t == protocol.TypeError:
		var m protocol.ErrorMessage
		_ = m.Decode(body)
		r.kill(ci, fmt.Errorf("ringclient: edge refused: %s (%s)", m.Code, m.Text))
	default:
		r.kill(ci, fmt.Errorf("ringclient: edge answered HELLO with %v", t))
	}
}
