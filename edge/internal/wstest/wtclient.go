package wstest

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/webtransport-go"

	"github.com/veltrix/veltrix/protocol"
)

// wtClient is a WebTransport client (webtransport-go) as a browser uses
// it: the certificate pinned by its hash, one bidirectional stream for
// messages, CELL_UPDATEs in datagrams. A goroutine reads the stream one
// message ahead of Next (so a client the test does not read from stops
// reading its stream); another keeps the latest datagrams.
type wtClient struct {
	tr     *webtransport.Transport
	sess   *webtransport.Session
	str    *webtransport.Stream
	msgs   chan streamRead // from the stream reader
	dgrams chan []byte     // datagrams received; more are dropped while it is full
	done   chan struct{}   // closed by Close
	once   sync.Once

	pending []byte // messages of the last datagram Next has not returned yet
	ended   error  // how the stream ended, once read
}

type streamRead struct {
	msg []byte
	err error
}

// clientWindow is the client's stream receive window (QUIC flow control):
// like a WebSocket client's socket buffers, it bounds what the edge can
// write to a client that does not read before the edge's writes block.
const clientWindow = 64 << 10

func dialWT(t *testing.T, url string, hash [32]byte) *wtClient {
	t.Helper()
	c := &wtClient{msgs: make(chan streamRead), dgrams: make(chan []byte, 64), done: make(chan struct{})}
	c.tr = &webtransport.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, VerifyConnection: pinned(hash)},
		// Packets of 1,452 bytes (loopback carries them) let a case send
		// a datagram over SPEC.md's 1,200-byte limit.
		QUICConfig: &quic.Config{EnableDatagrams: true, EnableStreamResetPartialDelivery: true, InitialPacketSize: 1452,
			InitialStreamReceiveWindow: clientWindow, MaxStreamReceiveWindow: clientWindow},
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	var err error
	if _, c.sess, err = c.tr.Dial(ctx, url, nil); err != nil {
		t.Fatal(err)
	}
	if c.str, err = c.sess.OpenStreamSync(ctx); err != nil {
		t.Fatal(err)
	}
	// The stream's header goes out now, so the edge has the stream before
	// the first message, as it has a WebSocket connection once upgraded.
	if _, err := c.str.Write(nil); err != nil {
		t.Fatal(err)
	}
	go c.readStream()
	go c.readDatagrams()
	return c
}

// pinned accepts only the certificate whose SHA-256 is hash
// (serverCertificateHashes).
func pinned(hash [32]byte) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 || sha256.Sum256(cs.PeerCertificates[0].Raw) != hash {
			return errors.New("certificate hash mismatch")
		}
		return nil
	}
}

func (c *wtClient) readStream() {
	buf := make([]byte, protocol.MaxMessage)
	for {
		m, err := protocol.ReadStreamMessage(c.str, buf)
		select {
		case c.msgs <- streamRead{msg: append([]byte(nil), m...), err: err}:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *wtClient) readDatagrams() {
	for {
		d, err := c.sess.ReceiveDatagram(c.sess.Context())
		if err != nil {
			return
		}
		select {
		case c.dgrams <- d:
		default: // a reader that is behind loses datagrams, as on any path
		}
	}
}

func (c *wtClient) Send(msgs []byte) error {
	_ = c.str.SetWriteDeadline(time.Now().Add(hangGuard))
	_, err := c.str.Write(msgs)
	return err
}

func (c *wtClient) Next() (protocol.Message, error) {
	if len(c.pending) > 0 {
		m, rest, err := decodeFirst(c.pending)
		c.pending = rest
		return m, err
	}
	if c.ended != nil {
		return nil, c.ended
	}
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	select {
	case r := <-c.msgs:
		if r.err != nil {
			c.ended = r.err
			return nil, r.err
		}
		m, _, err := decodeFirst(r.msg)
		return m, err
	case d := <-c.dgrams:
		m, rest, err := decodeFirst(d)
		c.pending = rest
		return m, err
	case <-guard.C:
		return nil, fmt.Errorf("nothing from the server within %v", hangGuard)
	}
}

func (c *wtClient) End() (protocol.Code, []protocol.Code, error) {
	var errs []protocol.Code
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	for c.ended == nil {
		select {
		case r := <-c.msgs:
			c.ended = r.err
			errs = errorCodes(errs, r.msg)
		case <-guard.C:
			return 0, errs, fmt.Errorf("%w within %v: the stream is still open", errNoClose, hangGuard)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	_, err := c.sess.AcceptStream(ctx) // fails with the session's close once it ends
	var se *webtransport.SessionError
	if !errors.As(err, &se) {
		if ctx.Err() == nil && len(errs) > 0 {
			// The session ended with its QUIC connection, which the edge's
			// shutdown closes right after the sessions: that can overtake
			// the session's close, never the ERROR read before it.
			return errs[len(errs)-1], errs, nil
		}
		return 0, errs, fmt.Errorf("%w: %v", errNoClose, err)
	}
	return protocol.Code(se.ErrorCode), errs, nil
}

func (c *wtClient) Close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.tr.Close()
	})
}

// wtBadInput is the bad input only WebTransport carries: messages over the
// limit on the stream, and datagrams (after HELLO: one before it is
// dropped, not fatal). Each is fatal with its code (SPEC.md §3).
func wtBadInput() []badCase {
	datagram := func(d []byte) func(Client) {
		return func(c Client) { _ = c.(*wtClient).sess.SendDatagram(d) }
	}
	oversized := make([]byte, protocol.MaxDatagram+100)
	copy(oversized, protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 523730796, Lng: 48924534}))
	n := protocol.MaxBody + 1
	return []badCase{
		{"oversized stream message", true, func(c Client) { _ = c.Send([]byte{byte(protocol.TypeClaim), 0xff, 0xff}) }, protocol.CodeMessageTooLarge},
		{"oversized stream message, body and all", true, func(c Client) {
			_ = c.Send(append([]byte{byte(protocol.TypeClaim), byte(n), byte(n >> 8)}, make([]byte, n)...))
		}, protocol.CodeMessageTooLarge},
		{"oversized datagram", true, datagram(oversized), protocol.CodeMessageTooLarge},
		{"garbage datagram", true, datagram(make([]byte, 1100)), protocol.CodeBadMessage},
		{"truncated POSITION datagram", true, datagram(protocol.AppendPosition(nil, &protocol.Position{Seq: 1})[:10]), protocol.CodeBadMessage},
	}
}
