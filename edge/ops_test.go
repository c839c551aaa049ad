package edge_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/geo"
	"github.com/veltrix/veltrix/protocol"
)

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// TestOperationsEndpoints: /healthz, /readyz (ready while following the
// coordinator, 503 once draining), the hunt status from the replica with
// its staleness, and the /metrics series operators watch, with values that
// follow what happened.
func TestOperationsEndpoints(t *testing.T) {
	w := newWorld(t, "netpoll")
	base := w.edge.URL()

	var health map[string]string
	if code := getJSON(t, base+"/healthz", &health); code != 200 || health["status"] != "ok" {
		t.Fatalf("/healthz: %d %v", code, health)
	}
	var ready struct {
		Ready, Draining bool
		Staleness       string `json:"coordinator_staleness"`
	}
	if code := getJSON(t, base+"/readyz", &ready); code != 200 || !ready.Ready || ready.Draining {
		t.Fatalf("/readyz while following the coordinator: %d %+v", code, ready)
	}

	var status map[string]any
	if code := getJSON(t, fmt.Sprintf("%s/v1/hunts/%d/status", base, w.hunt.ID), &status); code != 200 {
		t.Fatalf("hunt status: %d", code)
	}
	if status["treasures_total"] != 5.0 || status["treasures_remaining"] != 5.0 || !hasStaleness(status) {
		t.Fatalf("hunt status from the replica (with its staleness): %v", status)
	}

	// The hunt's area (the demo page's outline) from the replica; an
	// unknown hunt is 404, a bad id 400.
	var a geo.Polygon
	if code := getJSON(t, fmt.Sprintf("%s/v1/hunts/%d/area", base, w.hunt.ID), &a); code != 200 || len(a.Outer) != 4 || a.Outer[0] != (geo.Point{Lat: 52.36, Lng: 4.88}) {
		t.Fatalf("hunt area: %d %+v, want the 4 corners the hunt was created with", code, a)
	}
	var e map[string]string
	if code := getJSON(t, base+"/v1/hunts/999/area", &e); code != 404 || e["error"] == "" {
		t.Fatalf("area of an unknown hunt: %d %v", code, e)
	}
	if code := getJSON(t, base+"/v1/hunts/x/area", &e); code != 400 || e["error"] == "" {
		t.Fatalf("area of hunt x: %d %v", code, e)
	}

	// One player sends a position; the counters must show it.
	c, in := w.player(1)
	if err := c.Position(52.3730796, 4.8924534, 5); err != nil {
		t.Fatal(err)
	}
	await(t, in, func(*protocol.CellUpdate) bool { return true }) // the tick ran: the newcomer's snapshot
	if err := c.Position(52.3730896, 4.8924534, 5); err != nil {  // then a move: a changed cell's update
		t.Fatal(err)
	}
	await(t, in, func(cu *protocol.CellUpdate) bool { return cu.Flags&protocol.FlagSnapshot == 0 })
	m := scrape(t, base+"/metrics")
	for _, series := range []string{
		`veltrix_edge_connections{transport="websocket"} 1`,
		`veltrix_edge_messages_in_total{type="POSITION"}`,
		`veltrix_edge_messages_out_total{type="CELL_UPDATE"}`,
		`veltrix_edge_frames_encoded_total`,
		`veltrix_edge_cells_changed_total`,
		`veltrix_edge_tick_frames`,
		`veltrix_edge_bytes_fanned_out_total`,
		`veltrix_edge_tick_seconds`,
		`veltrix_edge_join_frames_total 1`,
		`veltrix_edge_tick_rate_hz 10`,
		`veltrix_edge_tick_duration_seconds_bucket`,
		`veltrix_edge_crowded_cells 0`,
		`veltrix_edge_gc_pause_seconds_bucket`,
		`veltrix_edge_websocket_transport{transport="netpoll"} 1`,
	} {
		if !strings.Contains(m, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	// One scrape reads one snapshot: every changed cell was encoded once.
	if f, c := metricValue(m, "veltrix_edge_frames_encoded_total"), metricValue(m, "veltrix_edge_cells_changed_total"); f == "" || f == "0" || f != c {
		t.Errorf("frames encoded %q, changed cells %q: want equal and non-zero", f, c)
	}

	w.edge.Drain()
	if code := getJSON(t, base+"/readyz", &ready); code != http.StatusServiceUnavailable || ready.Ready || !ready.Draining {
		t.Fatalf("/readyz while draining: %d %+v", code, ready)
	}
	// Draining keeps serving the players already connected.
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}
	await(t, in, func(*protocol.Pong) bool { return true })
}

// hasStaleness reports whether the status JSON states how stale the
// replica is, under any key naming it.
func hasStaleness(m map[string]any) bool {
	for k := range m {
		if strings.Contains(k, "stale") {
			return true
		}
	}
	return false
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// metricValue returns the value of the unlabelled series name in a scrape.
func metricValue(scrape, name string) string {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestTLSEdge: with an operator certificate the netpoll edge serves wss://
// (the upgrade taken off the TLS connection by the zero-copy path) and
// https:// on the same port.
func TestTLSEdge(t *testing.T) {
	w := newWorld(t, "netpoll")
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	e, err := edge.Start(edge.Config{Listen: "127.0.0.1:0", Coordinators: []string{w.coord.URL()}, EdgeToken: admin,
		Transport: "auto", TLSCert: certFile, TLSKey: keyFile, DisableWT: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.TransportName() != "netpoll" || !strings.HasPrefix(e.WSURL(), "wss://") {
		t.Fatalf("TLS edge: transport %s, WebSocket URL %s", e.TransportName(), e.WSURL())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.WaitHunt(ctx, w.hunt.ID); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get("https://" + strings.TrimSuffix(strings.TrimPrefix(e.WSURL(), "wss://"), "/ws") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("https /healthz: %d", resp.StatusCode)
	}
	var tok struct{ Token string }
	w.call("POST", "/v1/tokens", api.TokenRequest{Player: 9, Hunt: w.hunt.ID}, &tok)
	d := ws.Dialer{TLSConfig: &tls.Config{RootCAs: pool}}
	nc, _, _, err := d.Dial(ctx, e.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := wsutil.WriteClientBinary(nc, protocol.AppendHello(nil, &protocol.Hello{Version: protocol.Version, Kind: protocol.KindBot, Hunt: w.hunt.ID, Token: protocol.Text(tok.Token)})); err != nil {
		t.Fatal(err)
	}
	data, err := wsutil.ReadServerBinary(nc)
	if err != nil || len(data) == 0 || protocol.Type(data[0]) != protocol.TypeWelcome {
		t.Fatalf("no WELCOME over wss: %v %x", err, data)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key under dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "veltrix test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "edge.crt"), filepath.Join(dir, "edge.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
