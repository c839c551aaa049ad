package ringclient

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/protocol"
)

// edgeStub is a WebSocket server on loopback that answers HELLO with
// WELCOME and a PONG in one message (or ERROR unauthorized for a HELLO
// without a token), echoes every binary message, pings once, and closes the
// connection when it receives a BYE.
// stubEngine is an engine of n connections to a new edgeStub (cfg with
// its address, path and count filled in), closed when t ends, and the
// HELLO its connections say.
func stubEngine(t *testing.T, n int, cfg Config) (*Engine, []byte) {
	t.Helper()
	addr := edgeStub(t)
	cfg.Server, cfg.Port, cfg.Host, cfg.Path, cfg.Conns = [4]byte(addr.IP.To4()), addr.Port, addr.String(), "/ws", n
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Kind: protocol.KindBot, Hunt: 1, Token: protocol.Text("t")})
}

func edgeStub(t *testing.T) *net.TCPAddr {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveStub(nc)
		}
	}()
	return ln.Addr().(*net.TCPAddr)
}

func serveStub(nc net.Conn) {
	defer nc.Close()
	if _, err := ws.Upgrade(nc); err != nil {
		return
	}
	hello, err := wsutil.ReadClientBinary(nc)
	if err != nil {
		return
	}
	var h protocol.Hello
	if _, body, _, err := protocol.Split(hello); err != nil || h.Decode(body) != nil || len(h.Token) == 0 {
		_ = wsutil.WriteServerBinary(nc, protocol.AppendError(nil, &protocol.ErrorMessage{Code: protocol.CodeUnauthorized, Text: protocol.Text("no token")}))
		return
	}
	first := protocol.AppendWelcome(nil, &protocol.Welcome{Player: 7})
	first = protocol.AppendPong(first, &protocol.Pong{Time: 1})
	if wsutil.WriteServerBinary(nc, first) != nil || wsutil.WriteServerMessage(nc, ws.OpPing, []byte("hi")) != nil {
		return
	}
	for {
		msg, op, err := wsutil.ReadClientData(nc)
		if err != nil {
			return
		}
		if op != ws.OpBinary {
			continue
		}
		if t, _, _, _ := protocol.Split(msg); t == protocol.TypeBye {
			return
		}
		if wsutil.WriteServerBinary(nc, msg) != nil {
			return
		}
	}
}

// recorder collects what one connection reports.
type recorder struct {
	mu     sync.Mutex
	h      Handle
	err    error
	opened chan struct{}
	frames [][]byte
	more   chan struct{} // a frame arrived (capacity 1: coalesced)
	closed chan error
}

func newRecorder() *recorder {
	return &recorder{opened: make(chan struct{}), more: make(chan struct{}, 1), closed: make(chan error, 1)}
}

func (r *recorder) conn() Conn {
	return Conn{
		Open: func(h Handle, err error) {
			r.mu.Lock()
			r.h, r.err = h, err
			r.mu.Unlock()
			close(r.opened)
		},
		Frame: func(p []byte) {
			r.mu.Lock()
			r.frames = append(r.frames, bytes.Clone(p))
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
		},
		Closed: func(err error) { r.closed <- err },
	}
}

func (r *recorder) waitFrames(t *testing.T, n int) [][]byte {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.frames)
		r.mu.Unlock()
		if got >= n {
			break
		}
		select {
		case <-r.more:
		case <-timeout:
			t.Fatalf("%d of %d frames", got, n)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second): // a lost event fails the test instead of hanging it
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// TestEngine: connections from two source addresses open on WELCOME, get
// what followed it, answer the stub's PING, echo messages (big ones too,
// over several sends and receives), report a refusal and a close by the
// edge, and sockets never enter the process's file table.
func TestEngine(t *testing.T) {
	const n = 40
	e, hello := stubEngine(t, n, Config{Buffers: 64, BufferSize: 512})
	recs := make([]*recorder, n)
	for i := range recs {
		recs[i] = newRecorder()
		e.Dial(i, [4]byte{127, 0, 0, byte(1 + i%2)}, hello, recs[i].conn())
	}
	big := protocol.AppendPing(nil, &protocol.Ping{Time: 42})
	big = append(big, bytes.Repeat(protocol.AppendPing(nil, &protocol.Ping{Time: 43}), 1000)...) // 9 KB: several sends
	for i, r := range recs {
		wait(t, r.opened, "open")
		if r.err != nil {
			t.Fatalf("connection %d: %v", i, r.err)
		}
		if err := e.Send(r.h, big); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range recs {
		fs := r.waitFrames(t, 2)
		if ty, _, _, _ := protocol.Split(fs[0]); ty != protocol.TypePong || !bytes.Equal(fs[1], big) {
			t.Fatalf("connection %d: frames %d, first %v: want the PONG after WELCOME, then the echo", i, len(fs), ty)
		}
	}
	// BYE: the stub closes, the engine reports it.
	if err := e.Send(recs[0].h, protocol.AppendBye(nil, &protocol.Bye{})); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, recs[0].closed, "close"); err == nil {
		t.Fatal("closed without an error")
	}
	// A refusal: no token.
	bad := newRecorder()
	e.Dial(0, [4]byte{127, 0, 0, 1}, protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Hunt: 1}), bad.conn())
	wait(t, bad.opened, "refusal")
	if bad.err == nil || !strings.Contains(bad.err.Error(), "unauthorized") {
		t.Fatalf("refused HELLO: %v", bad.err)
	}
	// Nothing listening: the connect fails.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	e2, err := New(Config{Server: [4]byte{127, 0, 0, 1}, Port: port, Host: "x", Path: "/ws", Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	none := newRecorder()
	e2.Dial(0, [4]byte{127, 0, 0, 1}, hello, none.conn())
	wait(t, none.opened, "failed connect")
	if none.err == nil {
		t.Fatal("connected to nothing")
	}
}
