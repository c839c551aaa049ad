package ringnet

import (
	"fmt"
	"net"

	"github.com/veltrix/veltrix/edge/internal/wsframe"
	"github.com/veltrix/veltrix/internal/uring"
)

// Listeners are the rings' listening sockets, bound before the rings
// start (so that the edge knows its address before it builds the core the
// rings feed): one SO_REUSEPORT socket per ring on one address, each with
// the send buffer accepted connections inherit. Connections wait in their
// backlogs until New serves them.
type Listeners struct {
	cfg     Config
	fds     []int
	addr    *net.TCPAddr
	table   int // direct-descriptor slots per ring (the soft RLIMIT_NOFILE)
	perRing int // connections one ring admits (table less Headroom)
}

// Listen probes io_uring (uring.Probe), plans the rings and their
// direct-descriptor tables from cfg.Rings, cfg.MaxConns and the soft
// RLIMIT_NOFILE (Plan), and binds one listener per ring on cfg.Listen; it
// fails, saying why, where io_uring cannot run or the limit cannot hold
// the connections.
func Listen(cfg Config) (*Listeners, error) {
	cfg.defaults()
	if _, err := uring.Probe(); err != nil {
		return nil, err
	}
	table := cfg.tableSlots
	if table <= 0 {
		table = uring.OpenFileLimit()
	}
	rings, maxConns, perRing, err := plan(cfg.MaxConns, cfg.Rings, table)
	if err != nil {
		return nil, err
	}
	cfg.Rings, cfg.MaxConns = rings, maxConns
	ls := &Listeners{cfg: cfg, table: table, perRing: perRing}
	addr := cfg.Listen
	for range cfg.Rings {
		fd, bound, err := uring.Listen(addr)
		if err == nil {
			err = uring.SetSendBuffer(fd, cfg.MaxBacklog+wsframe.SendSlack) // accepted sockets inherit it
		}
		if err != nil {
			if fd >= 0 {
				uring.CloseFd(fd)
			}
			ls.Close()
			return nil, err
		}
		if ls.addr == nil { // the first fixes the port the others share
			ls.addr, addr = bound, bound.String()
			if bound.IP == nil {
				addr = fmt.Sprintf(":%d", bound.Port)
			}
		}
		ls.fds = append(ls.fds, fd)
	}
	return ls, nil
}

// Addr is the listeners' address.
func (ls *Listeners) Addr() net.Addr { return ls.addr }

// Close closes the listeners, unless New took them.
func (ls *Listeners) Close() {
	for _, fd := range ls.fds {
		uring.CloseFd(fd)
	}
	ls.fds = nil
}
