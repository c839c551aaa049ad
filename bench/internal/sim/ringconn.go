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
	c.buf = c.appendPosition(c.buf[:0], lat, lng, accuracy)
	return c.e.Send(c.h, c.buf)
}

// appendPosition appends the next POSITION to b (c.mu held).
func (c *ringConn) appendPosition(b []byte, lat, lng, accuracy float64) []byte {
	c.seq++
	return protocol.AppendPosition(b, &protocol.Position{
		Seq: c.seq, Lat: int32(math.Round(lat * 1e7)), Lng: int32(math.Round(lng * 1e7)),
		Accuracy: uint16(min(accuracy*10, 65535)), Time: uint64(time.Now().UnixMicro()),
	})
}

// due is player p's Conn.Due, called by its ring once per period: while
// the worker plays, p walks dt seconds on and its POSITION is appended to
// b; otherwise nothing.
func (c *ringConn) due(p *player, dt float64, b []byte) []byte {
	if !p.w.playing.Load() {
		return b
	}
	lat, lng, acc := p.move(dt)
	c.mu.Lock()
	b = c.appendPosition(b, lat, lng, acc)
	c.mu.Unlock()
	p.w.count(&p.w.c.positions, 1)
	return b
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

// startEngines starts the worker's io_uring clients: one per edge its
// players connect to (Job.URLs spreads them over a region's edges), each
// sized for that edge's share of the players.
func (w *worker) startEngines() error {
	n := max(len(w.job.URLs), 1)
	conns := make([]int, n)
	for i := range w.job.Tokens {
		conns[w.urlIndex(i)]++
	}
	w.engs = make([]*ringclient.Engine, 0, n)
	for k := range n {
		if conns[k] == 0 { // fewer players than edges
			w.engs = append(w.engs, nil)
			continue
		}
		i := k // a player of edge k, for its URL
		for w.urlIndex(i) != k {
			i++
		}
		e, err := newEngine(w.url(i), conns[k], w.period())
		if err != nil {
			return err
		}
		w.engs = append(w.engs, e)
	}
	return nil
}

// period is how often a player sends its position (0: never).
func (w *worker) period() time.Duration {
	if w.job.Config.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / w.job.Config.Rate)
}

// newEngine starts an io_uring client for conns players of the edge at
// rawURL; each player's ring sends its position every period (0: the
// worker's players send their own).
func newEngine(rawURL string, conns int, period time.Duration) (*ringclient.Engine, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "ws" {
		return nil, fmt.Errorf("the io_uring client speaks ws:// only, not %q", rawURL)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("the io_uring client needs an IPv4 address:port, not %q", u.Host)
	}
	return ringclient.New(ringclient.Config{Server: ap.Addr().As4(), Port: int(ap.Port()), Host: u.Host, Path: u.Path,
		Conns: conns, Period: period})
}

// dialRing connects player p (index i) on the worker's engine.
func (w *worker) dialRing(ctx context.Context, p *player, i int) (playerConn, error) {
	cfg := w.job.Config
	local := [4]byte{127, 0, 0, 1}
	if cfg.Sources > 1 {
		local[3] = byte(2 + (w.job.First+i)%cfg.Sources)
	}
	eng := w.engs[w.urlIndex(i)]
	rc := &ringConn{e: eng}
	dt := w.period().Seconds()
	type opened struct {
		h   ringclient.Handle
		err error
	}
	ch := make(chan opened, 1)
	hello := protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Kind: protocol.KindBot, Hunt: w.job.Hunt,
		Token: protocol.Text(w.job.Tokens[i])})
	eng.Dial(i, local, hello, ringclient.Conn{
		Open:   func(h ringclient.Handle, err error) { ch <- opened{h, err} },
		Frame:  p.onFrame,
		Closed: func(err error) { rc.err.Store(&err) },
		Due:    func(b []byte) []byte { return rc.due(p, dt, b) },
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

// ringStats sums what the worker's io_uring engines did.
func (w *worker) ringStats() ringclient.Stats {
	var st ringclient.Stats
	for _, e := range w.engs {
		if e != nil {
			s := e.Stats()
			st.Enters, st.Submissions, st.Completions = st.Enters+s.Enters, st.Submissions+s.Submissions, st.Completions+s.Completions
			st.Overflows, st.Busy, st.NoBufs = st.Overflows+s.Overflows, st.Busy+s.Busy, st.NoBufs+s.NoBufs
		}
	}
	return st
}

// withRingCounters adds to c what the io_uring engines did in the
// measured phase (the generator's system calls, and what bounds them).
func (w *worker) withRingCounters(c map[string]int64) map[string]int64 {
	if len(w.engs) == 0 {
		return c
	}
	st, b := w.ringStats(), w.ringBase
	c["ring_enters"], c["ring_submissions"] = int64(st.Enters-b.Enters), int64(st.Submissions-b.Submissions)
	c["ring_completions"], c["ring_overflows"] = int64(st.Completions-b.Completions), int64(st.Overflows-b.Overflows)
	c["ring_busy"], c["ring_nobufs"] = int64(st.Busy-b.Busy), int64(st.NoBufs-b.NoBufs)
	return c
}
