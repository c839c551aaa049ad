// Command veltrix-coordinator runs one coordinator node: a raft voter with
// its HTTP API. Every flag can also be set by an environment variable
// VELTRIX_<FLAG> (upper case, dashes as underscores); flags win.
//
// A new 3-node cluster:
//
//	veltrix-coordinator -id c1 -raft-addr 10.0.0.1:7000 -api-addr 10.0.0.1:8080 \
//	    -bootstrap -peers c1=10.0.0.1:7000,c2=10.0.0.2:7000,c3=10.0.0.3:7000
//
// (the same -bootstrap -peers on all three), each also with its raft
// certificate: -raft-tls-cert, -raft-tls-key and -raft-tls-ca (mutual TLS
// between coordinators, docs/operations.md). Without them a node refuses to
// start unless -insecure-raft is given, for loopback development and tests.
// A node joining a running cluster names any member's API with -join.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gometrics "github.com/hashicorp/go-metrics"
	gometricsprom "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/coordinator/flagenv"
	"github.com/veltrix/veltrix/protocol/token"
)

type options struct {
	id, raftAddr, apiAddr, advertiseAPI, dataDir string
	bootstrap                                    bool
	peers, join                                  string
	adminToken, edgeToken, signingKey            string
	tlsCert, tlsKey, tlsClientCA                 string
	raftCert, raftKey, raftCA, raftName          string
	insecureRaft                                 bool
	logStore, logLevel                           string
	heartbeat, election, lease                   time.Duration
	snapshotThreshold                            uint64
	inflight                                     int
	edgeCredentials                              string
	loadTTL                                      time.Duration
	maxPlayersPerEdge, maxEdges                  int
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("veltrix-coordinator", flag.ContinueOnError)
	fs.StringVar(&o.id, "id", "c1", "raft server id of this node")
	fs.StringVar(&o.raftAddr, "raft-addr", "127.0.0.1:7000", "raft TCP address (bind and advertise)")
	fs.StringVar(&o.apiAddr, "api-addr", "127.0.0.1:8080", "HTTP API listen address")
	fs.StringVar(&o.advertiseAPI, "advertise-api", "", "API address other nodes reach this one at (default: -api-addr)")
	fs.StringVar(&o.dataDir, "data-dir", "", "data directory (default: ./data/<id>)")
	fs.BoolVar(&o.bootstrap, "bootstrap", false, "bootstrap a new cluster (ignored once the data directory holds raft state)")
	fs.StringVar(&o.peers, "peers", "", "voters of a new cluster: id=host:port,… (default: this node alone)")
	fs.StringVar(&o.join, "join", "", "API base URL of a member of an existing cluster to join")
	fs.StringVar(&o.adminToken, "admin-token", "", "admin API bearer token (default: generated into <data-dir>/admin-token)")
	fs.StringVar(&o.edgeToken, "edge-token", "", "a shared edge API bearer token, not bound to an edge id (prefer -edge-credentials); no default, and never the admin token")
	fs.StringVar(&o.edgeCredentials, "edge-credentials", "", "file of per-edge credentials, lines \"<edge id> <sha256 hex of its token>\": each token acts as its edge only; re-read on SIGHUP and when it changes")
	fs.DurationVar(&o.loadTTL, "load-ttl", api.DefaultLoadTTL, "an edge's load report counts, and the edge is live, this long after it")
	fs.IntVar(&o.maxPlayersPerEdge, "max-players-per-edge", api.DefaultMaxPlayersPerEdge, "players one edge may report online; a report over it is refused")
	fs.IntVar(&o.maxEdges, "max-edges", api.DefaultMaxEdges, "edges that may be registered")
	fs.StringVar(&o.signingKey, "signing-key", "", "Ed25519 PEM key that signs player tokens (default: generated into <data-dir>/token.key)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate")
	fs.StringVar(&o.tlsKey, "tls-key", "", "private key of -tls-cert")
	fs.StringVar(&o.tlsClientCA, "tls-client-ca", "", "require client certificates signed by this CA (mutual TLS)")
	fs.StringVar(&o.raftCert, "raft-tls-cert", "", "this node's raft certificate (PEM; re-read when the file changes): mutual TLS between coordinators")
	fs.StringVar(&o.raftKey, "raft-tls-key", "", "private key of -raft-tls-cert (PEM; re-read when the file changes)")
	fs.StringVar(&o.raftCA, "raft-tls-ca", "", "CA bundle that signs every coordinator's raft certificate (PEM; re-read when the file changes)")
	fs.StringVar(&o.raftName, "raft-tls-name", cluster.DefaultRaftPeerName, "DNS name every coordinator's raft certificate carries; peers without it are refused")
	fs.BoolVar(&o.insecureRaft, "insecure-raft", false, "run raft over plain, unauthenticated TCP (anyone reaching -raft-addr can forge log entries): loopback development and tests only")
	fs.StringVar(&o.logStore, "log-store", "", "raft log store: wal (raft-wal) or bolt (raft-boltdb); default: the one the data directory holds, wal for a new one")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&o.heartbeat, "heartbeat-timeout", cluster.DefaultHeartbeatTimeout, "raft heartbeat timeout")
	fs.DurationVar(&o.election, "election-timeout", cluster.DefaultElectionTimeout, "raft election timeout")
	fs.DurationVar(&o.lease, "leader-lease-timeout", cluster.DefaultLeaderLeaseTimeout, "raft leader lease timeout")
	fs.Uint64Var(&o.snapshotThreshold, "snapshot-threshold", cluster.DefaultSnapshotThreshold, "log entries between raft snapshots")
	fs.IntVar(&o.inflight, "claim-entries-in-flight", cluster.DefaultMaxInflightEntries, "claim batches handed to raft at once; claims arriving meanwhile gather into the next batch")
	if err := flagenv.Apply(fs, "VELTRIX_"); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.dataDir == "" {
		o.dataDir = filepath.Join("data", o.id)
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "veltrix-coordinator:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "veltrix-coordinator:", err)
		os.Exit(1)
	}
}

// exportRaftMetrics publishes hashicorp/raft's own timings (commit time,
// log store and replication latencies, as raft_* summaries in
// milliseconds) on the node's /metrics. raft reports them to go-metrics'
// process-wide sink, so only the binary, one node per process, sets it.
func exportRaftMetrics(reg prometheus.Registerer) error {
	// No expiry: counters such as raft_state_candidate change rarely and
	// must not vanish between elections; the series are few (per peer).
	sink, err := gometricsprom.NewPrometheusSinkFrom(gometricsprom.PrometheusOpts{Registerer: reg})
	if err != nil {
		return fmt.Errorf("raft metrics: %w", err)
	}
	mc := gometrics.DefaultConfig("")
	mc.EnableHostname, mc.EnableRuntimeMetrics, mc.EnableServiceLabel = false, false, false
	_, err = gometrics.NewGlobal(mc, sink)
	return err
}

func run(o *options) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := o.config(log)
	if err != nil {
		return err
	}
	// SIGHUP reloads the edge credentials; caught from before the API
	// serves, so that an early one never ends the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg.API.Registry = prometheus.NewRegistry()
	if err := exportRaftMetrics(cfg.API.Registry); err != nil {
		return err
	}
	c, err := coordinator.Start(*cfg)
	if err != nil {
		return err
	}
	log.Info("coordinator started", "id", o.id, "api", c.URL(), "raft", c.Node.RaftAddr(), "raft_tls", !o.insecureRaft, "data", o.dataDir)
	if o.insecureRaft {
		log.Warn("raft runs over plain TCP (-insecure-raft): anyone who reaches the raft address can move the leadership and write log entries")
	}
	if o.join != "" {
		if err := joinCluster(o, cfg); err != nil {
			c.Close()
			return err
		}
		log.Info("joined cluster", "via", o.join)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	stopReload := reloadCredentials(c.API, hup, o.edgeCredentials != "", log)
	defer stopReload()
	s := <-sig
	log.Info("shutting down", "signal", s.String())
	return c.Close()
}

// credentialsPoll is how often the edge credentials file is checked for a
// change (a stat); SIGHUP reloads it at once.
const credentialsPoll = 5 * time.Second

// reloadCredentials re-reads the edge credentials file on SIGHUP (from
// hup) and when it changes, until the returned stop is called. A bad file is logged and
// the credentials in use stay.
func reloadCredentials(srv *api.Server, hup <-chan os.Signal, enabled bool, log *slog.Logger) (stop func()) {
	if !enabled {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(credentialsPoll)
		defer t.Stop()
		for {
			always := false
			select {
			case <-done:
				return
			case <-hup:
				always = true
			case <-t.C:
			}
			if changed, err := srv.ReloadCredentials(always); err != nil {
				log.Error("cannot reload the edge credentials; keeping the previous ones", "err", err)
			} else if changed {
				log.Info("edge credentials reloaded", "edges", len(srv.Credentials().IDs()))
			}
		}
	}()
	return func() { close(done) }
}

func (o *options) config(log *slog.Logger) (*coordinator.Config, error) {
	raftTLS, err := o.raftTLS()
	if err != nil {
		return nil, err
	}
	peers, err := cluster.ParsePeers(o.peers)
	if err != nil {
		return nil, fmt.Errorf("-peers: %w", err)
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, err
	}
	admin, err := secretFile(o.adminToken, filepath.Join(o.dataDir, "admin-token"))
	if err != nil {
		return nil, err
	}
	key, err := signingKey(o.signingKey, o.dataDir)
	if err != nil {
		return nil, err
	}
	cfg := &coordinator.Config{
		Listen: o.apiAddr,
		Cluster: cluster.Config{
			ID: o.id, RaftAddr: o.raftAddr, APIAddr: o.advertiseAPI, DataDir: o.dataDir,
			Bootstrap: o.bootstrap, Peers: peers, LogStore: o.logStore,
			HeartbeatTimeout: o.heartbeat, ElectionTimeout: o.election, LeaderLeaseTimeout: o.lease,
			SnapshotThreshold: o.snapshotThreshold, MaxInflightEntries: o.inflight, Logger: log,
			RaftTLS: raftTLS, InsecureRaft: o.insecureRaft,
		},
		API: api.Config{AdminToken: admin, EdgeToken: o.edgeToken, SigningKey: key, Logger: log,
			LoadTTL: o.loadTTL, MaxPlayersPerEdge: o.maxPlayersPerEdge, MaxEdges: o.maxEdges},
	}
	if o.edgeToken != "" && o.edgeToken == admin {
		return nil, errors.New("-edge-token must differ from the admin token: edges would hold admin rights")
	}
	if o.edgeCredentials != "" {
		if cfg.API.EdgeCredentials, err = api.LoadCredentials(o.edgeCredentials); err != nil {
			return nil, err
		}
	}
	if cfg.TLS, cfg.API.Forward, err = o.tls(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// raftTLS checks the raft transport's flags: all three certificate files,
// or -insecure-raft alone.
func (o *options) raftTLS() (*cluster.RaftTLS, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"-raft-tls-cert", o.raftCert}, {"-raft-tls-key", o.raftKey}, {"-raft-tls-ca", o.raftCA}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	switch {
	case o.insecureRaft && len(missing) < 3:
		return nil, errors.New("-insecure-raft and -raft-tls-* are both set: choose one")
	case o.insecureRaft:
		return nil, nil
	case len(missing) > 0:
		return nil, fmt.Errorf("raft needs mutual TLS between coordinators: set -raft-tls-cert, -raft-tls-key and -raft-tls-ca "+
			"(or VELTRIX_RAFT_TLS_CERT, VELTRIX_RAFT_TLS_KEY, VELTRIX_RAFT_TLS_CA; missing: %s); "+
			"only a loopback development or test cluster may run raft over plain TCP, with -insecure-raft", strings.Join(missing, ", "))
	}
	return &cluster.RaftTLS{CertFile: o.raftCert, KeyFile: o.raftKey, CAFile: o.raftCA, PeerName: o.raftName}, nil
}

// secretFile returns v, or the token in path, creating a random one there.
func secretFile(v, path string) (string, error) {
	if v != "" {
		return v, nil
	}
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(buf)
	return tok, os.WriteFile(path, []byte(tok+"\n"), 0o600)
}

// signingKey loads the key at path, or the one in dataDir, creating it there
// (with its public half in token.pub for edges).
func signingKey(path, dataDir string) (ed25519.PrivateKey, error) {
	if path != "" {
		return token.LoadPrivateKey(path)
	}
	path = filepath.Join(dataDir, "token.key")
	if k, err := token.LoadPrivateKey(path); err == nil {
		return k, nil
	}
	pub, priv, err := token.GenerateKey()
	if err != nil {
		return nil, err
	}
	kb, err := token.EncodePrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pb, err := token.EncodePublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, kb, 0o600); err != nil {
		return nil, err
	}
	return priv, os.WriteFile(filepath.Join(dataDir, "token.pub"), pb, 0o644)
}

// tls builds the server TLS config and the client that forwards to peers
// (presenting the same certificate, so mutual TLS between nodes works).
func (o *options) tls() (*tls.Config, *http.Client, error) {
	if o.tlsCert == "" {
		return nil, nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot load TLS certificate: %w", err)
	}
	srv := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	cli := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	if o.tlsClientCA != "" {
		pem, err := os.ReadFile(o.tlsClientCA)
		if err != nil {
			return nil, nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("no certificates in %s", o.tlsClientCA)
		}
		srv.ClientCAs, srv.ClientAuth = pool, tls.RequireAndVerifyClientCert
		cli.RootCAs = pool
	}
	return srv, &http.Client{Timeout: api.DefaultForwardTimeout, Transport: &http.Transport{TLSClientConfig: cli}}, nil
}

// joinCluster asks a member (forwarded to the leader) to add this node.
func joinCluster(o *options, cfg *coordinator.Config) error {
	advertise := o.advertiseAPI
	if advertise == "" {
		advertise = o.apiAddr
	}
	body, _ := json.Marshal(api.VoterRequest{ID: o.id, RaftAddr: o.raftAddr, APIAddr: advertise})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := cfg.API.Forward
	if client == nil {
		client = http.DefaultClient
	}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.join, "/")+"/v1/cluster/voters", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cfg.API.AdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("join via %s: %s", o.join, resp.Status)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}
