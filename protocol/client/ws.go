package client

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

type wsConn struct{ nc net.Conn }

func dialWS(ctx context.Context, url string) (conn, error) {
	nc, _, _, err := ws.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &wsConn{nc: nc}, nil
}

func (c *wsConn) sendReliable(b []byte) error { return wsutil.WriteClientBinary(c.nc, b) }
func (c *wsConn) sendLossy(b []byte) error    { return wsutil.WriteClientBinary(c.nc, b) }
func (c *wsConn) close() error                { return c.nc.Close() }

func (c *wsConn) read() ([]byte, error) {
	data, op, err := wsutil.ReadServerData(c.nc)
	if err != nil {
		var ce wsutil.ClosedError
		if errors.As(err, &ce) {
			return nil, &ClosedError{Code: protocol.Code(int(ce.Code) - 4000), Reason: ce.Reason}
		}
		return nil, err
	}
	if op != ws.OpBinary {
		return nil, fmt.Errorf("edge sent a %v frame", op)
	}
	return data, nil
}
