package wtnet

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/webtransport-go"

	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

type oneHunt struct{}

func (oneHunt) Hunt(id uint32) (core.HuntInfo, bool) {
	return core.HuntInfo{ID: 7, Resolution: 9, Active: true}, id == 7
}

type rig struct {
	t    *testing.T
	core *core.Core
	srv  *Server
	url  string
	hash [32]byte
	priv ed25519.PrivateKey
}

// noTreasures is a hunt without treasures: a player entering a cell still
// gets its (empty) TREASURES snapshot on the stream, which tells a test that
// the core took the player's POSITION datagram.
type noTreasures struct{}

func (noTreasures) TreasuresIn(_ uint32, _ []geo.Cell, dst []protocol.TreasureEntry) []protocol.TreasureEntry {
	return dst
}
func (noTreasures) Hint(uint32, int32, int32) (protocol.Hint, bool)      { return protocol.Hint{}, false }
func (noTreasures) NoSuchTreasure(uint32, uint32) bool                   { return false }
func (noTreasures) ClaimedByOther(uint32, uint32, uint32) (uint32, bool) { return 0, false }

func newRig(t *testing.T, tweak ...func(*core.Config)) *rig {
	return newRigWith(t, Config{}, tweak...)
}

// newRigWith is newRig with server settings (TLS and HelloTimeout are set).
func newRigWith(t *testing.T, cfg Config, tweak ...func(*core.Config)) *rig {
	cfg.HelloTimeout = 2 * time.Second // no HELLO races it on a busy machine
	pub, priv, _ := token.GenerateKey()
	cc := core.Config{PublicKey: pub, Hunts: oneHunt{}}
	for _, f := range tweak {
		f(&cc)
	}
	r := serve(t, cfg, cc)
	r.priv = priv
	return r
}

// serve runs a server with cfg (TLS set) and a core made from cc on
// loopback; cleanup shuts it down.
func serve(t *testing.T, cfg Config, cc core.Config) *rig {
	certs := NewDevCerts("127.0.0.1")
	cfg.TLS = &tls.Config{GetCertificate: certs.GetCertificate}
	c, err := core.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(c, cfg)
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(udp) }()
	t.Cleanup(func() { shutdown(t, srv, served); udp.Close() })
	hash, _ := certs.Hash()
	return &rig{t: t, core: c, srv: srv, url: fmt.Sprintf("https://%s/wt", udp.LocalAddr()), hash: hash}
}

// shutdown shuts srv down at a test's end, failing the test instead of
// hanging it when Shutdown never returns (a session that never ends).
func shutdown(t *testing.T, srv *Server, served <-chan error) {
	shut := make(chan struct{})
	go func() { defer close(shut); _ = srv.Shutdown() }()
	guard := time.NewTimer(30 * time.Second)
	defer guard.Stop()
	select {
	case <-shut:
		<-served
	case <-guard.C:
		t.Error("Shutdown did not return: a session never ended")
	}
}

// player is a WebTransport client as a browser uses it: the certificate is
// pinned by its hash (serverCertificateHashes), not by a CA.
type player struct {
	sess *webtransport.Session
	str  *webtransport.Stream
}

func (r *rig) dial(id uint32) *player {
	r.t.Helper()
	p := r.open()
	tok, _ := token.Mint(r.priv, id, 7, "", time.Now(), time.Hour)
	p.write(r.t, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Kind: protocol.KindMobile, Hunt: 7, Token: protocol.Text(tok)}))
	if w, ok := p.next(r.t).(*protocol.Welcome); !ok || w.Player != id {
		r.t.Fatalf("no WELCOME: %v", w)
	}
	return p
}

// open establishes a session and its stream without saying HELLO.
func (r *rig) open() *player {
	r.t.Helper()
	tr := &webtransport.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || sha256.Sum256(cs.PeerCertificates[0].Raw) != r.hash {
				return errors.New("certificate hash mismatch")
			}
			return nil
		}},
		// Packets of 1,452 bytes (loopback carries them) let a test send a
		// datagram over SPEC.md's 1,200-byte limit.
		QUICConfig: &quic.Config{EnableDatagrams: true, EnableStreamResetPartialDelivery: true, InitialPacketSize: 1452},
	}
	r.t.Cleanup(func() { tr.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, sess, err := tr.Dial(ctx, r.url, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return &player{sess: sess, str: str}
}

// closedWith waits for the session to end and returns its error code.
func (p *player) closedWith(t *testing.T) protocol.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.sess.AcceptStream(ctx) // fails with the session's close once it ends
	var se *webtransport.SessionError
	if !errors.As(err, &se) {
		t.Fatalf("session ended without an error code: %v", err)
	}
	return protocol.Code(se.ErrorCode)
}

func (p *player) write(t *testing.T, b []byte) {
	if _, err := p.str.Write(b); err != nil {
		t.Fatal(err)
	}
}

// next reads one message from the stream.
func (p *player) next(t *testing.T) protocol.Message {
	t.Helper()
	_ = p.str.SetReadDeadline(time.Now().Add(30 * time.Second))
	hdr := make([]byte, protocol.HeaderSize)
	if _, err := io.ReadFull(p.str, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(hdr[1])|int(hdr[2])<<8)
	if _, err := io.ReadFull(p.str, body); err != nil {
		t.Fatal(err)
	}
	m, err := protocol.DecodeMessage(protocol.Type(hdr[0]), body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// await reads the stream until a message of type typ (others, such as a
// HINT, are skipped).
func (p *player) await(t *testing.T, typ protocol.Type) protocol.Message {
	t.Helper()
	for {
		if m := p.next(t); m.Type() == typ {
			return m
		}
	}
}

func TestPositionsAndCellUpdatesAsDatagrams(t *testing.T) {
	r := newRig(t, func(c *core.Config) { c.Treasures = noTreasures{} })
	a, b := r.dial(1), r.dial(2)
	for i, p := range []*player{a, b} {
		pos := protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 523730796 + int32(i)*1000, Lng: 48924534, Time: 1})
		if err := p.sess.SendDatagram(pos); err != nil {
			t.Fatal(err)
		}
		// Datagrams are unordered against the stream, but entering its cell
		// sends the player a TREASURES snapshot there: once it has come, the
		// core has the player's position.
		p.await(t, protocol.TypeTreasures)
	}
	r.core.Tick()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := a.sess.ReceiveDatagram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	typ, body, _, err := protocol.Split(d)
	if err != nil || typ != protocol.TypeCellUpdate {
		t.Fatalf("datagram %x: %v", d, err)
	}
	var cu protocol.CellUpdate
	if err := cu.Decode(body); err != nil || len(cu.Entries) == 0 {
		t.Fatalf("cell update %+v: %v", cu, err)
	}
	// Control messages stay on the stream.
	b.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: 3}))
	if p, ok := b.next(t).(*protocol.Pong); !ok || p.Echo != 3 {
		t.Fatalf("PONG over the stream: %v", p)
	}
}

func TestBadStreamInputEndsSession(t *testing.T) {
	r := newRig(t)
	good, bad := r.dial(1), r.dial(2)
	bad.write(t, []byte{0x00, 0x00, 0x00})
	if e, ok := bad.next(t).(*protocol.ErrorMessage); !ok || e.Code != protocol.CodeBadMessage {
		t.Fatalf("garbage: %v", e)
	}
	good.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: 4}))
	if p, ok := good.next(t).(*protocol.Pong); !ok || p.Echo != 4 {
		t.Fatal("a good session was disturbed")
	}
}

func TestDevCertsArePinnableAndRotate(t *testing.T) {
	d := NewDevCerts("127.0.0.1")
	now := time.Now()
	d.now = func() time.Time { return now }
	h1, err := d.Hash()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := d.GetCertificate(nil)
	leaf, _ := x509Leaf(c)
	if v := leaf.NotAfter.Sub(leaf.NotBefore); v > 14*24*time.Hour {
		t.Fatalf("validity %v exceeds the 14 days browsers pin", v)
	}
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Fatalf("key %v is not ECDSA", leaf.PublicKeyAlgorithm)
	}
	now = now.Add(DevCertValidity - 23*time.Hour) // within a day of expiry
	if h2, _ := d.Hash(); h2 == h1 {
		t.Fatal("certificate not rotated before expiry")
	}
}

// TestBadInputOverWebTransport: what the conformance suite's bad-input
// case does not cover — a session that never opens its stream, an expired
// token, and a non-fatal POSITION — gets its clear ERROR and/or close code,
// fatal ones counted once in Stats.Closes, and a good player keeps playing.
func TestBadInputOverWebTransport(t *testing.T) {
	r := newRig(t)
	good := r.dial(1)
	hello := func(tok string) func(*testing.T, *player) {
		return func(t *testing.T, p *player) {
			p.write(t, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text(tok)}))
		}
	}
	datagram := func(d []byte) func(*testing.T, *player) {
		return func(t *testing.T, p *player) {
			if err := p.sess.SendDatagram(d); err != nil {
				t.Fatalf("sending a %d-byte datagram: %v", len(d), err)
			}
		}
	}
	expired, _ := token.Mint(r.priv, 9, 7, "", time.Now().Add(-2*time.Hour), time.Hour)
	cases := []struct {
		name    string
		welcome bool // HELLO first
		act     func(*testing.T, *player)
		want    protocol.Code
		error   bool // an ERROR message comes on the stream
		fatal   bool // the session is closed with want
	}{
		{"silent (half-open)", false, func(*testing.T, *player) {}, protocol.CodeHelloRequired, false, true},
		{"expired token", false, hello(expired), protocol.CodeTokenExpired, true, true},
		{"out-of-range position", true, datagram(protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 950000000, Lng: 48924534})),
			protocol.CodeInvalidPosition, true, false},
	}
	for n, c := range cases {
		p := r.open()
		if c.welcome {
			p = r.dial(uint32(100 + n))
		}
		before := r.core.Snapshot().Closes
		c.act(t, p)
		if c.error {
			if e, ok := p.await(t, protocol.TypeError).(*protocol.ErrorMessage); e.Code != c.want {
				t.Errorf("%s: ERROR %v (%v), want %v", c.name, e.Code, ok, c.want)
			}
		}
		if c.fatal {
			if code := p.closedWith(t); code != c.want {
				t.Errorf("%s: session closed with %v, want %v", c.name, code, c.want)
			}
		} else {
			p.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: 1}))
			if m, ok := p.await(t, protocol.TypePong).(*protocol.Pong); !ok || m.Echo != 1 {
				t.Errorf("%s: the session did not stay open", c.name)
			}
		}
		after := r.core.Snapshot().Closes
		if d, want := after[c.want]-before[c.want], map[bool]uint64{true: 1}[c.fatal]; d != want {
			t.Errorf("%s: Closes[%v] grew by %d, want %d", c.name, c.want, d, want)
		}
		good.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: uint64(n)}))
		if m, ok := good.await(t, protocol.TypePong).(*protocol.Pong); !ok || m.Echo != uint64(n) {
			t.Fatalf("%s: a good session was disturbed", c.name)
		}
	}
}

// TestStreamLimit: SPEC.md §3 states the stream limits in the QUIC
// handshake. A client that opens streams beyond its session's one is
// refused by QUIC flow control before the edge holds anything for them
// (1,000 were once accepted up to 98, never read), and its session plays on.
func TestStreamLimit(t *testing.T) {
	r := newRig(t)
	p := r.dial(1)
	uni := 0
	for i := range 1000 {
		if _, err := p.sess.OpenStream(); err == nil {
			t.Fatalf("stream %d beyond the session's one was opened; the limit is %d bidirectional streams per connection", i+1, maxBidiStreams)
		}
		if _, err := p.sess.OpenUniStream(); err == nil {
			uni++
		}
	}
	// HTTP/3's control stream took one of the connection's unidirectional
	// streams; the edge reads none of its own.
	if uni >= maxUniStreams {
		t.Errorf("%d unidirectional streams opened beside HTTP/3's, want fewer than %d", uni, maxUniStreams)
	}
	p.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: 5}))
	if m, ok := p.await(t, protocol.TypePong).(*protocol.Pong); !ok || m.Echo != 5 {
		t.Fatal("the session did not play on")
	}
}

// TestStreamNotReadIsTooSlow: a client that floods PINGs on its stream and
// never reads the PONGs stops the edge's stream writes (QUIC flow control);
// after WriteTimeout the session is closed too_slow instead of holding a
// blocked writer for good.
func TestStreamNotReadIsTooSlow(t *testing.T) {
	r := newRigWith(t, Config{WriteTimeout: 300 * time.Millisecond}, func(c *core.Config) { c.MessageRate, c.MessageBurst = 1e9, 1e9 })
	p := r.dial(1)
	var flood []byte
	for i := range 500 {
		flood = protocol.AppendPing(flood, &protocol.Ping{Time: uint64(i)})
	}
	go func() {
		for p.sess.Context().Err() == nil {
			if _, err := p.str.Write(flood); err != nil {
				return
			}
		}
	}()
	if code := p.closedWith(t); code != protocol.CodeTooSlow {
		t.Fatalf("closed with %v, want too_slow", code)
	}
	if n := r.core.Snapshot().Closes[protocol.CodeTooSlow]; n != 1 {
		t.Errorf("Closes[too_slow] %d, want 1", n)
	}
}
