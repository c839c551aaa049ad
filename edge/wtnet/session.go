package wtnet

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/quic-go/webtransport-go"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/internal/session"
	"github.com/veltrix/veltrix/protocol"
)

// wtSession is one WebTransport session: a stream reader, a datagram
// reader and a writer, which alone ends the session (so a final ERROR is
// flushed).
type wtSession struct {
	srv    *Server
	id     core.SessionID
	sess   *webtransport.Session
	wake   chan struct{}
	ending *session.Ending // how it ends: the writer flushes, then closes with its code

	stream *webtransport.Stream // set by the stream reader; guarded by smu
	smu    sync.Mutex
	out    [][]byte
	dgram  []byte
}

// End closes the session with code for a reason the transport decided (an
// oversized datagram, the HELLO deadline, a stuck stream, CloseAll,
// shutdown) and counts it by code (session.Ender).
func (ss *wtSession) End(code protocol.Code) { ss.ending.Decide(code) }

// run serves the session until it ends.
func (ss *wtSession) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ss.readStream() }()
	go func() { defer wg.Done(); ss.readDatagrams() }()
	ss.writeLoop()
	ss.ending.Gone() // a write failed without naming a reason: the client is gone (no-op when the session ended already)
	code, decided := ss.ending.Code()
	ss.linger(code, decided)
	_ = ss.sess.CloseWithError(webtransport.SessionErrorCode(code), code.String())
	wg.Wait()
	ss.srv.core.Closed(ss.id)
}

// lingerFor bounds how long a closing session waits for the client to read
// what was flushed (a final ERROR) before the session is torn down.
const lingerFor = time.Second

// linger finishes the stream (FIN after the last bytes) and waits until the
// client ends the session or lingerFor passes: closing the session at once
// would reset the stream and lose the final ERROR.
func (ss *wtSession) linger(code protocol.Code, decided bool) {
	ss.smu.Lock()
	str := ss.stream
	ss.smu.Unlock()
	if str == nil || code == protocol.CodeNormal {
		return
	}
	if decided && code != protocol.CodeTooSlow { // too_slow: the stream is stuck, maybe mid-message
		// The core queued no ERROR for a close it did not ask for: say why
		// on the stream, where it cannot be lost to the session's teardown
		// the way the close capsule can be when the edge shuts down.
		msg := protocol.AppendError(nil, &protocol.ErrorMessage{Code: code, Text: protocol.Text(code.String())})
		_ = str.SetWriteDeadline(time.Now().Add(lingerFor))
		_, _ = str.Write(msg)
	}
	_ = str.Close()
	t := time.NewTimer(lingerFor)
	defer t.Stop()
	select {
	case <-ss.sess.Context().Done():
	case <-t.C:
	}
}

// readStream accepts the client's stream and feeds its messages to the core
// one by one: each is length-prefixed by its own header.
func (ss *wtSession) readStream() {
	// A half-open session (no stream, or no HELLO on it) is closed after
	// HelloTimeout.
	deadline := time.Now().Add(ss.srv.cfg.HelloTimeout)
	ctx, cancel := context.WithDeadline(ss.sess.Context(), deadline)
	str, err := ss.sess.AcceptStream(ctx)
	cancel()
	if err != nil {
		ss.readFailed(ctx.Err())
		return
	}
	_ = str.SetReadDeadline(deadline)
	ss.smu.Lock()
	ss.stream = str
	ss.smu.Unlock()
	ss.signal() // output may have waited for the stream
	buf := make([]byte, protocol.MaxMessage)
	for {
		msg, err := protocol.ReadStreamMessage(str, buf)
		if err != nil && !errors.Is(err, protocol.ErrTooLarge) {
			ss.readFailed(err)
			return
		}
		// A message over the limit comes as its header alone: the core
		// answers it message_too_large, closes the session and counts it.
		if !ss.deliver(msg) || err != nil {
			return
		}
		_ = str.SetReadDeadline(time.Time{}) // HELLO has come; QUIC's idle timeout covers the rest
	}
}

// readFailed ends the session after its stream could not be accepted or
// read: the HELLO deadline passing is the transport's decision
// (hello_required); anything else is the client gone.
func (ss *wtSession) readFailed(err error) {
	var ne interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		ss.End(protocol.CodeHelloRequired)
		return
	}
	ss.ending.Gone()
}

// readDatagrams feeds datagrams (POSITIONs) to the core.
func (ss *wtSession) readDatagrams() {
	for {
		d, err := ss.sess.ReceiveDatagram(ss.sess.Context())
		if err != nil {
			ss.ending.Gone()
			return
		}
		if code, ok := checkDatagram(d); !ok {
			ss.End(code)
			return
		}
		if ss.srv.core.DeliverUnordered(ss.id, d) != nil {
			return // the core answered, asked to close and counted it
		}
	}
}

// checkDatagram enforces SPEC.md §3's datagram limit, which only the
// transport sees (the core checks the messages inside).
func checkDatagram(d []byte) (protocol.Code, bool) {
	if len(d) > protocol.MaxDatagram {
		return protocol.CodeMessageTooLarge, false
	}
	return 0, true
}

func (ss *wtSession) deliver(frame []byte) bool {
	return ss.srv.core.Deliver(ss.id, frame) == nil
}

func (ss *wtSession) signal() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

// writeLoop sends control messages on the stream and fan-out frames as
// datagrams, packing whole frames up to the datagram limit.
func (ss *wtSession) writeLoop() {
	for final := false; !final; {
		select {
		case <-ss.wake:
		case <-ss.ending.Stopped():
			final = true
		}
		ss.smu.Lock()
		str := ss.stream
		ss.smu.Unlock()
		if str == nil && !final {
			continue // no stream yet: keep the output queued in the core
		}
		ctrl, frames, lease := ss.srv.core.Pull(ss.id, ss.out[:0])
		err := ss.write(str, ctrl, frames)
		ss.srv.core.Release(lease)
		ss.out = frames[:0]
		if err != nil {
			return
		}
	}
}

var errNoStream = errors.New("wtnet: no stream to write to")

// writeFailed ends the session after a failed stream write: a client that
// did not take its control messages within WriteTimeout stopped reading
// its stream (too_slow); any other error means it is gone.
func (ss *wtSession) writeFailed(err error) {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		ss.End(protocol.CodeTooSlow)
		return
	}
	ss.ending.Gone()
}

func (ss *wtSession) write(str *webtransport.Stream, ctrl []byte, frames [][]byte) error {
	if len(ctrl) > 0 {
		if str == nil {
			return errNoStream
		}
		_ = str.SetWriteDeadline(time.Now().Add(ss.srv.cfg.WriteTimeout))
		if _, err := str.Write(ctrl); err != nil {
			ss.writeFailed(err)
			return err
		}
	}
	for len(frames) > 0 {
		ss.dgram = ss.dgram[:0]
		n := 0
		for n < len(frames) && len(ss.dgram)+len(frames[n]) <= protocol.MaxDatagram {
			ss.dgram = append(ss.dgram, frames[n]...)
			n++
		}
		if n == 0 { // cannot happen: the core sizes frames for datagrams
			n = 1
			ss.dgram = append(ss.dgram, frames[0]...)
		}
		if err := ss.sess.SendDatagram(ss.dgram); err != nil && str != nil {
			// Too large for this path's datagrams: the stream carries it.
			if _, err := str.Write(ss.dgram); err != nil {
				return err
			}
		}
		frames = frames[n:]
	}
	return nil
}
