package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

type wsConn struct {
	nc net.Conn
	// With reuse, frames are read into buf, which the next read overwrites.
	reuse bool
	rd    *wsutil.Reader
	buf   []byte
}

func dialWS(ctx context.Context, url, localAddr string, reuse bool) (conn, error) {
	d := ws.Dialer{}
	if localAddr != "" {
		ip := net.ParseIP(localAddr)
		if ip == nil {
			return nil, fmt.Errorf("local address %q is not an IP address", localAddr)
		}
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
		d.NetDial = nd.DialContext
	}
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	var src io.Reader = nc
	if br != nil { // the edge's first frame arrived with the handshake
		src = io.MultiReader(br, nc)
	}
	c := &wsConn{nc: nc, reuse: reuse}
	c.rd = &wsutil.Reader{Source: src, State: ws.StateClientSide,
		OnIntermediate: wsutil.ControlFrameHandler(nc, ws.StateClientSide)}
	return c, nil
}

func (c *wsConn) sendReliable(b []byte) error { return wsutil.WriteClientBinary(c.nc, b) }
func (c *wsConn) sendLossy(b []byte) error    { return wsutil.WriteClientBinary(c.nc, b) }
func (c *wsConn) close() error                { return c.nc.Close() }

// read returns the next binary message. Control frames are answered (pong,
// close) on the way.
func (c *wsConn) read() ([]byte, error) {
	ctl := c.rd.OnIntermediate
	for {
		hdr, err := c.rd.NextFrame()
		if err != nil {
			return nil, err
		}
		if hdr.OpCode.IsControl() {
			if err := ctl(hdr, c.rd); err != nil {
				var ce wsutil.ClosedError
				if errors.As(err, &ce) {
					return nil, &ClosedError{Code: protocol.Code(int(ce.Code) - 4000), Reason: ce.Reason}
				}
				return nil, err
			}
			continue
		}
		if hdr.OpCode != ws.OpBinary {
			return nil, fmt.Errorf("edge sent a %v frame", hdr.OpCode)
		}
		if hdr.Length > protocol.MaxWebSocketFrame {
			return nil, fmt.Errorf("edge sent a %d-byte frame (limit %d)", hdr.Length, protocol.MaxWebSocketFrame)
		}
		buf := c.buf[:0]
		if !c.reuse {
			buf = make([]byte, 0, hdr.Length)
		}
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := c.rd.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		if c.reuse {
			c.buf = buf
		}
		return buf, nil
	}
}
