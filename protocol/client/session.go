package client

import (
	"context"
	"errors"
	"time"

	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

// Keeping a session open (SPEC.md §2.3): a PING when the client has sent
// nothing for KeepAlive, and a TOKEN with a fresh token from Refresh before
// the current one expires. Both run on timers (time.AfterFunc): no
// goroutine per client while they wait.

// retryRefresh is how long the client waits after a failed Refresh, or
// after one that gave a token already due for refreshing.
const retryRefresh = 5 * time.Second

// startTimersLocked arms the keepalive and the token refresh.
func (cl *Client) startTimersLocked() {
	cl.sentAt = time.Now()
	if cl.opts.KeepAlive > 0 {
		cl.keep = time.AfterFunc(cl.opts.KeepAlive, cl.keepAlive)
	}
	if cl.opts.Refresh != nil {
		cl.scheduleRefreshLocked(0)
	}
}

// stopTimers stops both timers for good.
func (cl *Client) stopTimers() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.stopped = true
	if cl.keep != nil {
		cl.keep.Stop()
	}
	if cl.refresher != nil {
		cl.refresher.Stop()
	}
}

// keepAlive sends a PING when nothing was sent for KeepAlive, and re-arms.
func (cl *Client) keepAlive() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.stopped {
		return
	}
	quiet := time.Since(cl.sentAt)
	if quiet >= cl.opts.KeepAlive {
		cl.buf = protocol.AppendPing(cl.buf[:0], &protocol.Ping{Time: uint64(time.Now().UnixMicro())})
		_ = cl.c.sendReliable(cl.buf) // a broken connection shows in the reader
		cl.sentAt, quiet = time.Now(), 0
	}
	cl.keep.Reset(cl.opts.KeepAlive - quiet)
}

// scheduleRefreshLocked arms the refresh of the current token for when it
// is due (token.RefreshAt), but no sooner than floor. A token the client
// cannot read is never refreshed: the edge's answer will say why.
func (cl *Client) scheduleRefreshLocked(floor time.Duration) {
	issued, expires, err := token.Lifetime(cl.token)
	if err != nil {
		return
	}
	cl.refresher = time.AfterFunc(max(time.Until(token.RefreshAt(issued, expires)), floor), cl.refresh)
}

// refresh asks Refresh for a new token, presents it with TOKEN and keeps it
// for reconnects; a failure is retried after retryRefresh.
func (cl *Client) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tok, err := cl.opts.Refresh(ctx)
	cancel()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.stopped {
		return
	}
	if err != nil || tok == "" {
		cl.refresher = time.AfterFunc(retryRefresh, cl.refresh)
		return
	}
	_ = cl.presentLocked(tok) // if this connection is lost, the next HELLO carries tok
	cl.scheduleRefreshLocked(retryRefresh)
}

// PresentToken sends tok, a fresh token for the same player and hunt, with
// TOKEN (SPEC.md §2.3) and keeps it for reconnects: for an app that renews
// its tokens itself rather than through Options.Refresh.
func (cl *Client) PresentToken(tok string) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.presentLocked(tok)
}

func (cl *Client) presentLocked(tok string) error {
	cl.token = tok
	cl.buf = protocol.AppendToken(cl.buf[:0], &protocol.Token{Token: protocol.Text(tok)})
	cl.sentAt = time.Now()
	return cl.c.sendReliable(cl.buf)
}

// final reports whether a connection's end must not be retried: the edge
// refused the player, a newer connection of the same player replaced this
// one (SPEC.md §2.3), or the edges sent it round in a redirect loop.
func final(err error) bool {
	var refused *RefusedError
	var closed *ClosedError
	return errors.As(err, &refused) || errors.As(err, &closed) && closed.Code == protocol.CodeReplaced ||
		errors.Is(err, ErrRedirectLoop)
}
