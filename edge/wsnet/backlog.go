package wsnet

import (
	"crypto/tls"
	"net"
	"syscall"

	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/internal/uring"
)

// backlog tracks how far behind the client is: the bytes its socket holds
// unacknowledged. The kernel is asked (SIOCOUTQ) only when what was written
// since its last answer could have taken the client past MaxBacklog, so a
// client that keeps up costs one query per MaxBacklog bytes. The writer
// goroutine owns it.
type backlog struct {
	rc   syscall.RawConn // nil: not a socket the kernel can be asked about (the write deadline alone bounds it)
	outq int             // the kernel's last answer
	sent int             // bytes written since
}

// behind reports whether the client is more than MaxBacklog behind.
func (b *backlog) behind(c *conn) bool {
	if b.rc == nil || b.outq+b.sent <= c.srv.cfg.MaxBacklog {
		return false
	}
	var n int
	var err error
	if cerr := b.rc.Control(func(fd uintptr) { n, err = uring.OutQueue(int(fd)) }); cerr != nil || err != nil {
		return false
	}
	b.outq, b.sent = n, 0
	return n > c.srv.cfg.MaxBacklog
}

// sizeSendBuffer fixes the connection's send buffer at MaxBacklog plus
// wsframe.SendSlack (instead of letting the kernel grow it to megabytes for a
// client that does not read) and readies the backlog queries.
func (c *conn) sizeSendBuffer() {
	nc := c.nc
	for {
		switch w := nc.(type) {
		case *tls.Conn:
			nc = w.NetConn()
			continue
		case *prefixedConn:
			nc = w.Conn
			continue
		}
		break
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return
	}
	if rc, err := tc.SyscallConn(); err == nil && tc.SetWriteBuffer(c.srv.cfg.MaxBacklog+wsframe.SendSlack) == nil {
		c.bl.rc = rc
	}
}
