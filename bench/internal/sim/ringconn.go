package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/bench/internal/ringclient"
	"github.com/veltrix/veltrix/protocol"
)

// playerConn is a player's connection: protocol/client's, or one on the
// worker's io_uring engine.
type playerConn interface {
	Position(lat, lng, accuracy float64) error
	Claim(request, treasure uint32) error
	Err() error
	Close() error
}

// ringConn is a player on the worker's ringclient.Engine.
type ringConn struct {
	e   *ringclient.Engine
	h   ringclient.Handle
	err atomic.Pointer[error]

	mu  sync.Mutex
	seq uint32
	buf []byte
}

func (c *ringConn) Position(lat, lng, accuracy float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.buf = protocol.AppendPosition(c.buf[:0], &protocol.Position{
		Seq: c.seq, Lat: int32(math.Round(lat * 1e7)), Lng: int32(math.Round(lng * 1e7)),
		Accuracy: uint16(min(accuracy*10, 65535)), Time: uint64(time.Now().UnixMicro()),
	})
	return c.e.Send(c.h, c.buf)
}

func (c *ringConn) Claim(request, treasure uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = protocol.AppendClaim(c.buf[:0], &protocol.Claim{Request: request, Treasure: treasure})
	return c.e.Send(c.h, c.buf)
}

func (c *ringConn) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *ringConn) Close() error {
	c.e.CloseConn(c.h)
	return nil
}

// newEngine starts the worker's io_uring client for job's players.
func newEngine(job Job) (*ringclient.Engine, error) {
	u, err := url.Parse(job.URL)
	if err != nil || u.Scheme != "ws" {
		return nil, fmt.Errorf("the io_uring client speaks ws:// only, not %q", job.URL)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("the io_uring client needs an IPv4 address:port, not %q", u.Host)
	}
	return ringclient.New(ringclient.Config{Server: ap.Addr().As4(), Port: int(ap.Port()), Host: u.Host, Path: u.Path,
		Conns: len(job.Tokens)})
}

// dialRing connects player p (index i) on the worker's engine.
func (w *worker) dialRing(ctx context.Context, p *player, i int) (playerConn, error) {
	cfg := w.job.Config
	local := [4]byte{127, 0, 0, 1}
	if cfg.Sources > 1 {
		local[3] = byte(2 + (w.job.First+i)%cfg.Sources)
	}
	rc := &ringConn{e: w.eng}
	type opened struct {
		h   ringclient.Handle
		err error
	}
	ch := make(chan opened, 1)
	hello := protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Kind: protocol.KindBot, Hunt: w.job.Hunt,
		Token: protocol.Text(w.job.Tokens[i])})
	w.eng.Dial(i, local, hello, ringclient.Conn{
		Open:   func(h ringclient.Handle, err error) { ch <- opened{h, err} },
		Frame:  p.onFrame,
		Closed: func(err error) { rc.err.Store(&err) },
	})
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		rc.h = o.h
		return rc, nil
	case <-ctx.Done():
		return nil, errors.Join(errors.New("io_uring dial"), ctx.Err())
	}
}
