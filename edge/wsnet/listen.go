package wsnet

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/veltrix/veltrix/edge/internal/wsframe"
)

// Listen wraps inner (plain TCP, or TLS) so that WebSocket upgrades to
// /ws are taken straight off the connection with gobwas's zero-copy
// Upgrader — the request line and headers are parsed from a reused buffer,
// no *http.Request, no hijack — while every other connection is handed, as
// it came, to the net/http server that serves the returned listener.
//
// A connection is sorted by its first bytes ("GET /ws " or "GET /ws?"),
// read within HeaderTimeout. An upgrade that arrives later on a kept-alive
// HTTP connection still reaches ServeHTTP through the mux, so serve the
// server on /ws as well.
func (s *Server) Listen(inner net.Listener) net.Listener {
	l := &sortingListener{srv: s, inner: inner, http: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

// sortingListener accepts from inner and sorts connections: WebSocket
// upgrades to the server, the rest to Accept.
type sortingListener struct {
	srv   *Server
	inner net.Listener
	http  chan net.Conn
	done  chan struct{}
	once  sync.Once

	mu  sync.Mutex
	err error // why inner stopped accepting
}

func (l *sortingListener) acceptLoop() {
	for backoff := 5 * time.Millisecond; ; {
		nc, err := l.inner.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if !errors.Is(err, net.ErrClosed) { // EMFILE and the like pass: retry
				time.Sleep(backoff)
				backoff = min(2*backoff, time.Second)
				continue
			}
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			l.Close()
			return
		}
		backoff = 5 * time.Millisecond
		go l.sort(nc)
	}
}

// sort reads the request line's first bytes and routes the connection.
func (l *sortingListener) sort(nc net.Conn) {
	_ = nc.SetReadDeadline(time.Now().Add(l.srv.cfg.HeaderTimeout))
	br := bufio.NewReaderSize(nc, 1024)
	head, err := br.Peek(wsframe.SniffLen)
	if err != nil && len(head) == 0 {
		nc.Close() // nothing came: a half-open connection
		return
	}
	if wsframe.UpgradeLine(head) {
		l.srv.upgrade(nc, br)
		return
	}
	_ = nc.SetReadDeadline(time.Time{}) // net/http sets its own
	select {
	case l.http <- &prefixedConn{Conn: nc, r: br}:
	case <-l.done:
		nc.Close()
	}
}

// Accept returns the next connection that is not a /ws upgrade.
func (l *sortingListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.http:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections already upgraded are the server's.
func (l *sortingListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

func (l *sortingListener) Addr() net.Addr { return l.inner.Addr() }

// prefixedConn replays what sorting read before the rest of the connection.
type prefixedConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// upgrade answers a WebSocket upgrade read from br (which holds the bytes
// already taken off nc) and attaches the connection, as ServeHTTP does.
func (s *Server) upgrade(nc net.Conn, br *bufio.Reader) {
	var origin, host string
	u := ws.Upgrader{
		OnHost: func(h []byte) error { host = string(h); return nil },
		OnHeader: func(key, value []byte) error {
			if bytes.EqualFold(key, []byte("Origin")) {
				origin = string(value)
			}
			return nil
		},
		OnBeforeUpgrade: func() (ws.HandshakeHeader, error) {
			r := &http.Request{Host: host, Header: http.Header{}}
			if origin != "" {
				r.Header.Set("Origin", origin)
			}
			if status, why := s.refusal(r); status != 0 {
				return nil, ws.RejectConnectionError(ws.RejectionStatus(status), ws.RejectionReason(why))
			}
			return nil, nil
		},
	}
	head := &headLimit{r: br, left: s.cfg.MaxHeaderBytes}
	if _, err := u.Upgrade(struct {
		io.Reader
		io.Writer
	}{head, nc}); err != nil {
		if errors.Is(err, errHeadTooLarge) { // the Upgrader wrote nothing: say why, as net/http does
			refuseHead(nc, s.cfg.HeaderTimeout)
		}
		nc.Close() // the Upgrader wrote the rejection
		return
	}
	_ = nc.SetReadDeadline(time.Time{})
	s.attach(nc, br)
}

// errHeadTooLarge ends an upgrade whose head passed MaxHeaderBytes.
var errHeadTooLarge = errors.New("wsnet: request head too large")

// headLimit reads at most left bytes of an upgrade request's head.
type headLimit struct {
	r    io.Reader
	left int
}

func (h *headLimit) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, errHeadTooLarge
	}
	n, err := h.r.Read(p[:min(len(p), h.left)])
	h.left -= n
	return n, err
}

// refuseHead answers 431 to a request whose head is too large, half-closes
// and drains a little of what the client still sends (bounded by timeout
// and 1 MiB), so that closing does not reset the answer away.
func refuseHead(nc net.Conn, timeout time.Duration) {
	_ = nc.SetDeadline(time.Now().Add(timeout))
	_, _ = io.WriteString(nc, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 31\r\n\r\nrequest header fields too large")
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(nc, 1<<20))
}
