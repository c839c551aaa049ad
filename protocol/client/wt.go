package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/webtransport-go"

	"github.com/veltrix/veltrix/protocol"
)

// wtConn is a WebTransport session: control on one bidirectional stream,
// positions and cell updates as datagrams.
type wtConn struct {
	tr     *webtransport.Transport
	sess   *webtransport.Session
	str    *webtransport.Stream
	frames chan []byte // datagrams and stream messages, as they arrive
	errc   chan error
}

func dialWT(ctx context.Context, url string, certHash []byte) (conn, error) {
	tlsCfg := &tls.Config{}
	if certHash != nil {
		tlsCfg.InsecureSkipVerify = true // verified by the pinned hash instead
		tlsCfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no server certificate")
			}
			if h := sha256.Sum256(cs.PeerCertificates[0].Raw); !bytes.Equal(h[:], certHash) {
				return errors.New("server certificate does not match the pinned hash")
			}
			return nil
		}
	}
	tr := &webtransport.Transport{TLSClientConfig: tlsCfg, QUICConfig: &quic.Config{EnableDatagrams: true, EnableStreamResetPartialDelivery: true}}
	_, sess, err := tr.Dial(ctx, url, nil)
	if err != nil {
		tr.Close()
		return nil, err
	}
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		tr.Close()
		return nil, err
	}
	c := &wtConn{tr: tr, sess: sess, str: str, frames: make(chan []byte, 256), errc: make(chan error, 2)}
	go c.readStream()
	go c.readDatagrams()
	return c, nil
}

func (c *wtConn) readStream() {
	buf := make([]byte, protocol.MaxMessage)
	for {
		msg, err := protocol.ReadStreamMessage(c.str, buf)
		if err != nil {
			c.errc <- c.closeErr(err)
			return
		}
		c.frames <- append([]byte(nil), msg...) // the reader keeps it after buf is reused
	}
}

func (c *wtConn) readDatagrams() {
	for {
		d, err := c.sess.ReceiveDatagram(c.sess.Context())
		if err != nil {
			return // the stream reader reports the end
		}
		select {
		case c.frames <- d:
		default: // a slow reader loses datagrams, as on the network
		}
	}
}

// closeErr turns the edge's session close into a ClosedError.
func (c *wtConn) closeErr(err error) error {
	var se *webtransport.SessionError
	if errors.As(err, &se) {
		return &ClosedError{Code: protocol.Code(se.ErrorCode), Reason: se.Message}
	}
	return err
}

// read prefers what has arrived over the end of the session, so a final
// ERROR is read before the close.
func (c *wtConn) read() ([]byte, error) {
	select {
	case f := <-c.frames:
		return f, nil
	default:
	}
	select {
	case f := <-c.frames:
		return f, nil
	case err := <-c.errc:
		return nil, err
	}
}

func (c *wtConn) sendReliable(b []byte) error {
	_, err := c.str.Write(b)
	return err
}

func (c *wtConn) sendLossy(b []byte) error { return c.sess.SendDatagram(b) }

func (c *wtConn) close() error {
	_ = c.sess.CloseWithError(0, "bye")
	return c.tr.Close()
}
