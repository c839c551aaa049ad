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

func newRig(t *testing.T) *rig {
	certs := NewDevCerts("127.0.0.1")
	srv := New(Config{TLS: &tls.Config{GetCertificate: certs.GetCertificate}, HelloTimeout: 300 * time.Millisecond})
	pub, priv, _ := token.GenerateKey()
	c, err := core.New(core.Config{PublicKey: pub, Hunts: oneHunt{}, Notifier: srv})
	if err != nil {
		t.Fatal(err)
	}
	srv.Attach(c)
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(udp) }()
	t.Cleanup(func() {
		srv.Shutdown()
		<-served
		udp.Close()
	})
	hash, _ := certs.Hash()
	return &rig{t: t, core: c, srv: srv, url: fmt.Sprintf("https://%s/wt", udp.LocalAddr()), hash: hash, priv: priv}
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
		QUICConfig: &quic.Config{EnableDatagrams: true, EnableStreamResetPartialDelivery: true},
	}
	r.t.Cleanup(func() { tr.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
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
	_ = p.str.SetReadDeadline(time.Now().Add(5 * time.Second))
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

func TestPositionsAndCellUpdatesAsDatagrams(t *testing.T) {
	r := newRig(t)
	a, b := r.dial(1), r.dial(2)
	for i, p := range []*player{a, b} {
		pos := protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 523730796 + int32(i)*1000, Lng: 48924534, Time: 1})
		if err := p.sess.SendDatagram(pos); err != nil {
			t.Fatal(err)
		}
		// A PING on the stream answered means... nothing for datagrams, which
		// are unordered; wait for the core to count both positions instead.
	}
	deadline := time.After(5 * time.Second)
	for r.core.Snapshot().MessagesIn[protocol.TypePosition] < 2 {
		select {
		case <-deadline:
			t.Fatal("datagram positions never reached the core")
		case <-time.After(5 * time.Millisecond): // datagrams offer no ordering to wait on
		}
	}
	r.core.Tick()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
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

func TestBadInputOverWebTransport(t *testing.T) {
	r := newRig(t)
	good := r.dial(1)
	silent := r.open() // half-open: a stream, never a HELLO
	if code := silent.closedWith(t); code != protocol.CodeHelloRequired {
		t.Errorf("silent session closed with %v, want hello_required", code)
	}
	badToken := r.open()
	badToken.write(t, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 7, Token: protocol.Text("x.y.z")}))
	if e, ok := badToken.next(t).(*protocol.ErrorMessage); !ok || e.Code != protocol.CodeUnauthorized {
		t.Errorf("bad token: %v", e)
	}
	big := r.dial(3)
	if err := big.sess.SendDatagram(make([]byte, 1100)); err != nil { // garbage within the size limit
		t.Fatal(err)
	}
	if e, ok := big.next(t).(*protocol.ErrorMessage); !ok || e.Code != protocol.CodeBadMessage {
		t.Errorf("garbage datagram: %v", e)
	}
	good.write(t, protocol.AppendPing(nil, &protocol.Ping{Time: 8}))
	if p, ok := good.next(t).(*protocol.Pong); !ok || p.Echo != 8 {
		t.Fatal("a good session was disturbed")
	}
}
