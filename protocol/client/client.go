// Package client is the Go client of the Veltrix wire protocol. It connects
// to an edge over WebSocket (ws://, wss://) or WebTransport (https://), says
// HELLO, turns the edge's messages into Handler calls, and — with Reconnect —
// comes back after a lost connection with exponential backoff. The tests,
// the load generator and the dev-mode crowd use it; Mobile wraps it in a
// surface gomobile can bind.
package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// Handler receives every message the edge sends, on the client's reader
// goroutine, in order (per connection).
type Handler func(protocol.Message)

// Options configure Dial.
type Options struct {
	URL   string // ws://, wss:// (WebSocket) or https:// (WebTransport) URL of the edge
	Token string // player token (JWT)
	Hunt  uint32
	Kind  uint8 // protocol.KindBot etc.
	// CertHash pins a WebTransport server certificate by its SHA-256 (as a
	// browser's serverCertificateHashes); nil verifies against system roots.
	CertHash []byte
	Handler  Handler // may be nil; a REDIRECT answering Dial's HELLO reaches it on Dial's goroutine
	// Reconnect redials after a lost connection (not after the edge refused
	// the player, nor after Close), with backoff from 100 ms to MaxBackoff.
	Reconnect  bool
	MaxBackoff time.Duration // default 10s

	// Frames, when set, receives every frame the edge sends after WELCOME
	// (one or more whole messages, undecoded) instead of Handler. The bytes
	// are valid only during the call: the reader reuses its buffer, so a
	// load generator reads thousands of connections without allocating
	// per message. REDIRECT is not followed in this mode.
	Frames func(frame []byte)
	// Refresh, when set, mints a fresh token for the same player and hunt
	// (from the coordinator's POST /v1/tokens, or whatever issued the
	// first). The client calls it once two thirds of its token's lifetime
	// have passed (at the latest a minute before it expires), presents the
	// new token with TOKEN and uses it for later reconnects (SPEC.md §2.3).
	Refresh func(ctx context.Context) (string, error)
	// KeepAlive is how long the client may send nothing before it sends a
	// PING, so that the edge does not close it idle (SPEC.md §2.3: at
	// least every 30 s); default 25s, negative: never.
	KeepAlive time.Duration
	// LocalAddr is the local IP a WebSocket connection is made from (e.g.
	// 127.0.0.2, so that many connections do not share one address's
	// ephemeral ports); empty lets the system choose.
	LocalAddr string
	// Route is the http:// or https:// base URL of any edge. When it is set
	// and URL is not, Dial first asks it where the hunt is served (GET
	// /v1/route, with Near when set) and connects there: over WebTransport
	// when PreferWebTransport is set and the region offers it, WebSocket
	// otherwise.
	Route              string
	Near               *LatLng
	PreferWebTransport bool
	// MaxRedirects bounds the REDIRECTs followed (and wrong_hunt answers
	// of an edge a REDIRECT named, retried) in a row without a WELCOME
	// (SPEC.md §2.2): one more ends the client with a *RedirectError that
	// wraps ErrRedirectLoop. Default DefaultMaxRedirects; negative follows
	// none.
	MaxRedirects int
}

// DefaultMaxRedirects is Options.MaxRedirects' default.
const DefaultMaxRedirects = 4

// ErrRedirectLoop is wrapped by the *RedirectError of a client sent on more
// than MaxRedirects times without being welcomed.
var ErrRedirectLoop = errors.New("too many redirects without a WELCOME")

// conn is one transport connection.
type conn interface {
	sendReliable(b []byte) error
	sendLossy(b []byte) error // POSITION: a datagram on WebTransport
	read() ([]byte, error)    // the next frame (one or more whole messages)
	close() error
}

// Client is a connection to an edge that may be re-established.
type Client struct {
	opts Options

	mu        sync.Mutex  // guards the fields below
	url       string      // where to connect: Options.URL until a REDIRECT
	ring      []Alternate // the route's entry points, to fail over to (failover.go)
	token     string      // the current token: Options.Token until a refresh
	c         conn
	seq       uint32
	buf       []byte
	welcome   protocol.Welcome
	closed    bool
	stopped   bool        // the client has stopped: timers do nothing
	sentAt    time.Time   // when the client last sent a message (keepalive)
	keep      *time.Timer // keepalive PING
	refresher *time.Timer // token refresh

	done chan struct{}
	err  error // why the client stopped; set before done is closed
}

// Dial connects, says HELLO and waits for WELCOME (or the edge's ERROR).
func Dial(ctx context.Context, o Options) (*Client, error) {
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = 25 * time.Second
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	var ring []Alternate
	if o.URL == "" && o.Route != "" {
		r, err := Lookup(ctx, o.Route, o.Hunt, o.Near)
		if err != nil {
			return nil, err
		}
		o.URL = urlOf(Alternate{WS: r.WS, WT: r.WT}, o.PreferWebTransport)
		ring = entryPoints(r)
	}
	cl := &Client{opts: o, url: o.URL, ring: ring, token: o.Token, done: make(chan struct{})}
	c, w, first, err := cl.connect(ctx, false)
	if err != nil {
		return nil, err
	}
	cl.mu.Lock()
	cl.c, cl.welcome = c, w
	cl.startTimersLocked()
	cl.mu.Unlock()
	go cl.run(c, first)
	return cl, nil
}

// connect dials, says HELLO and returns the WELCOME, following the
// REDIRECTs that answer HELLO up to MaxRedirects in a row. redirected says
// the URL came from a REDIRECT: the edge it names may not have heard of the
// hunt yet (its replica trails the coordinators by a moment, as when a
// hunt has just moved there), so wrong_hunt from it is tried again after
// a short backoff, within the same bound (SPEC.md §2.2).
func (cl *Client) connect(ctx context.Context, redirected bool) (conn, protocol.Welcome, []protocol.Message, error) {
	for n := 0; ; n++ {
		c, w, first, err := cl.connectOnce(ctx)
		var r *RedirectError
		var refused *RefusedError
		switch {
		case errors.As(err, &r) && n >= cl.opts.MaxRedirects:
			r.Loop = true
			return nil, protocol.Welcome{}, nil, r
		case r != nil:
			cl.mu.Lock()
			cl.url = r.URL
			cl.mu.Unlock()
			redirected = true
		case redirected && errors.As(err, &refused) && refused.Code == protocol.CodeWrongHunt && n < cl.opts.MaxRedirects:
			select {
			case <-time.After(100 * time.Millisecond << n): // backoff, not synchronisation
			case <-ctx.Done():
				return nil, protocol.Welcome{}, nil, err
			}
		default:
			return c, w, first, err
		}
	}
}

func (cl *Client) connectOnce(ctx context.Context) (conn, protocol.Welcome, []protocol.Message, error) {
	var c conn
	var err error
	cl.mu.Lock()
	url, tok := cl.url, cl.token
	cl.mu.Unlock()
	if strings.HasPrefix(url, "https://") {
		c, err = dialWT(ctx, url, cl.opts.CertHash)
	} else {
		c, err = dialWS(ctx, url, cl.opts.LocalAddr, cl.opts.Frames != nil)
	}
	if err != nil {
		return nil, protocol.Welcome{}, nil, &dialError{url: url, err: err}
	}
	hello := protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Kind: cl.opts.Kind, Hunt: cl.opts.Hunt, Token: protocol.Text(tok)})
	if err := c.sendReliable(hello); err != nil {
		c.close()
		return nil, protocol.Welcome{}, nil, err
	}
	msgs, err := readMessages(c)
	if err != nil {
		c.close()
		return nil, protocol.Welcome{}, nil, err
	}
	switch m := msgs[0].(type) {
	case *protocol.Welcome:
		return c, *m, msgs[1:], nil
	case *protocol.ErrorMessage:
		c.close()
		return nil, protocol.Welcome{}, nil, &RefusedError{Code: m.Code, Text: string(m.Text)}
	case *protocol.Redirect:
		c.close()
		if cl.opts.Handler != nil {
			cl.opts.Handler(m)
		}
		return nil, protocol.Welcome{}, nil, redirectTo(m)
	}
	c.close()
	return nil, protocol.Welcome{}, nil, fmt.Errorf("edge answered HELLO with %v", msgs[0].Type())
}

// RedirectError ends a client without Reconnect that the edge sent
// elsewhere (REDIRECT) after WELCOME; a client with Reconnect follows it by
// itself, and every client follows the REDIRECTs that answer HELLO — up to
// MaxRedirects in a row, beyond which Loop is set.
type RedirectError struct {
	Code protocol.Code
	URL  string
	Loop bool // more than MaxRedirects in a row: errors.Is(err, ErrRedirectLoop)
}

func (e *RedirectError) Error() string {
	if e.Loop {
		return fmt.Sprintf("%v: the last one to %s", ErrRedirectLoop, e.URL)
	}
	return fmt.Sprintf("edge redirected the player to %s (%s)", e.URL, e.Code)
}

// Unwrap makes a loop errors.Is ErrRedirectLoop.
func (e *RedirectError) Unwrap() error {
	if e.Loop {
		return ErrRedirectLoop
	}
	return nil
}

// redirectTo is the error that sends the client to r's URL, or says why
// it cannot follow it.
func redirectTo(r *protocol.Redirect) error {
	url := string(r.URL)
	if !supportedURL(url) {
		return fmt.Errorf("edge redirected to %q, which is not a ws://, wss:// or https:// URL", url)
	}
	return &RedirectError{Code: r.Code, URL: url}
}

// RefusedError is the edge refusing the player (bad token, wrong hunt, …).
type RefusedError struct {
	Code protocol.Code
	Text string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("edge refused: %s (%s)", e.Code, e.Text) }

// ClosedError reports the edge closing the connection, with its code.
type ClosedError struct {
	Code   protocol.Code
	Reason string
}

func (e *ClosedError) Error() string {
	return fmt.Sprintf("edge closed the connection: %s (%s)", e.Code, e.Reason)
}

// readMessages reads frames until one holds a known message.
func readMessages(c conn) ([]protocol.Message, error) {
	for {
		frame, err := c.read()
		if err != nil {
			return nil, err
		}
		var out []protocol.Message
		for len(frame) > 0 {
			t, body, rest, err := protocol.Split(frame)
			if err != nil {
				return nil, err
			}
			frame = rest
			m, err := protocol.DecodeMessage(t, body)
			if errors.Is(err, protocol.ErrUnknownType) {
				continue // newer message types are skipped (SPEC.md §5)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		if len(out) > 0 {
			return out, nil
		}
	}
}

// run dispatches c's messages; with Reconnect it replaces a lost connection,
// at once and at the new URL after a REDIRECT, with backoff otherwise
// (moving to the route's next entry point while its edge cannot be
// reached: failover.go).
func (cl *Client) run(c conn, first []protocol.Message) {
	defer close(cl.done)
	defer cl.stopTimers()
	backoff := 100 * time.Millisecond
	for {
		err := cl.dispatch(first)
		if err == nil {
			err = cl.readLoop(c)
		}
		c.close()
		if !cl.opts.Reconnect || cl.isClosed() || final(err) {
			cl.err = err
			return
		}
		var redirect *RedirectError
		wait := backoff
		redirected := errors.As(err, &redirect)
		if redirected {
			cl.mu.Lock()
			cl.url = redirect.URL
			cl.mu.Unlock()
			wait = 0
		}
		for {
			if wait > 0 {
				time.Sleep(wait) // reconnection backoff, not synchronisation
				backoff = min(2*backoff, cl.opts.MaxBackoff)
			}
			wait = backoff
			if cl.isClosed() {
				cl.err = err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			nc, w, msgs, derr := cl.connect(ctx, redirected)
			cancel()
			if final(derr) {
				cl.err = derr
				return
			}
			cl.failover(derr)
			if derr == nil {
				cl.mu.Lock()
				cl.c, cl.welcome = nc, w
				cl.mu.Unlock()
				c, first, backoff = nc, append([]protocol.Message{&w}, msgs...), 100*time.Millisecond
				break
			}
		}
	}
}

func (cl *Client) readLoop(c conn) error {
	if cl.opts.Frames != nil {
		for {
			frame, err := c.read()
			if err != nil {
				return err
			}
			cl.opts.Frames(frame)
		}
	}
	for {
		msgs, err := readMessages(c)
		if err != nil {
			return err
		}
		if err := cl.dispatch(msgs); err != nil {
			return err
		}
	}
}

// dispatch hands msgs to the handler; a REDIRECT ends the connection with a
// *RedirectError once the messages before it are handled.
func (cl *Client) dispatch(msgs []protocol.Message) error {
	if cl.opts.Frames != nil {
		if len(msgs) == 0 {
			return nil
		}
		var frame []byte
		for _, m := range msgs {
			frame = m.AppendTo(frame)
		}
		cl.opts.Frames(frame)
		return nil
	}
	for _, m := range msgs {
		if cl.opts.Handler != nil {
			cl.opts.Handler(m)
		}
		if r, ok := m.(*protocol.Redirect); ok {
			return redirectTo(r)
		}
	}
	return nil
}

func supportedURL(u string) bool {
	for _, p := range []string{"ws://", "wss://", "https://"} {
		if strings.HasPrefix(u, p) && len(u) > len(p) {
			return true
		}
	}
	return false
}

func (cl *Client) isClosed() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.closed
}

// Welcome is what the edge said on the current connection.
func (cl *Client) Welcome() protocol.Welcome {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.welcome
}

// Done is closed when the client has stopped for good; Err says why.
func (cl *Client) Done() <-chan struct{} { return cl.done }

// Err is why the client stopped (nil while it runs).
func (cl *Client) Err() error {
	select {
	case <-cl.done:
		return cl.err
	default:
		return nil
	}
}

// Position sends the player's position (degrees; accuracy in metres): a
// datagram on WebTransport.
func (cl *Client) Position(lat, lng, accuracy float64) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.sentAt = time.Now()
	cl.seq++
	cl.buf = protocol.AppendPosition(cl.buf[:0], &protocol.Position{
		Seq: cl.seq, Lat: int32(math.Round(lat * 1e7)), Lng: int32(math.Round(lng * 1e7)),
		Accuracy: uint16(min(accuracy*10, 65535)), Time: uint64(time.Now().UnixMicro()),
	})
	return cl.c.sendLossy(cl.buf)
}

// Claim asks to claim treasure; the answer arrives as a CLAIM_RESULT with
// the same request id. Retrying with the same id never wins twice. Request
// ids name the player's claim in the hunt across connections and edges
// (SPEC §2.1): keep them unique for the player, across reconnects too (a
// reused id for another treasure is answered request_reused).
func (cl *Client) Claim(request, treasure uint32) error {
	return cl.sendReliable(func(b []byte) []byte {
		return protocol.AppendClaim(b, &protocol.Claim{Request: request, Treasure: treasure})
	})
}

// Ping sends a PING carrying the local clock.
func (cl *Client) Ping() error {
	return cl.sendReliable(func(b []byte) []byte {
		return protocol.AppendPing(b, &protocol.Ping{Time: uint64(time.Now().UnixMicro())})
	})
}

func (cl *Client) sendReliable(enc func([]byte) []byte) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.sentAt = time.Now()
	cl.buf = enc(cl.buf[:0])
	return cl.c.sendReliable(cl.buf)
}

// Close says BYE and closes the connection for good.
func (cl *Client) Close() error {
	cl.stopTimers()
	cl.mu.Lock()
	cl.closed = true
	c := cl.c
	_ = c.sendReliable(protocol.AppendBye(nil, &protocol.Bye{Code: protocol.CodeNormal}))
	cl.mu.Unlock()
	return c.close()
}
