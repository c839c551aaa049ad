// Package coordinator assembles one coordinator node — the raft node of
// package cluster and the HTTP API of package api — and serves it. The
// binary (cmd/veltrix-coordinator) and in-process users (make run, tests)
// both start it through Start; Embedded starts a single-node cluster on
// loopback for development.
package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/cluster"
	"github.com/veltrix/veltrix/protocol/token"
)

// Config configures a coordinator node.
type Config struct {
	Cluster cluster.Config // APIAddr defaults to the listener's address
	API     api.Config
	Listen  string      // HTTP API listen address, e.g. 127.0.0.1:8080 (port 0 picks one)
	TLS     *tls.Config // serve HTTPS (and mutual TLS if it requires client certs)
}

// Coordinator is a running node.
type Coordinator struct {
	Node   *cluster.Node
	API    *api.Server
	ln     net.Listener
	srv    *http.Server
	served chan error
	scheme string
	stop   context.CancelFunc // ends long-lived requests (event streams) on Close

	closeOnce sync.Once
	closeErr  error
}

// Start opens the node and serves its API until Close.
func Start(cfg Config) (*Coordinator, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the API on %s: %w", cfg.Listen, err)
	}
	if cfg.Cluster.APIAddr == "" {
		cfg.Cluster.APIAddr = ln.Addr().String()
	}
	c := &Coordinator{ln: ln, served: make(chan error, 1), scheme: "http"}
	if cfg.TLS != nil {
		c.scheme, cfg.API.Scheme = "https", "https"
		c.ln = tls.NewListener(ln, cfg.TLS)
	}
	if c.Node, err = cluster.Open(cfg.Cluster); err != nil {
		ln.Close()
		return nil, err
	}
	if c.API, err = api.New(c.Node, cfg.API); err != nil {
		c.Node.Close()
		ln.Close()
		return nil, err
	}
	base, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.srv = &http.Server{Handler: c.API, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return base }}
	go func() { c.served <- c.srv.Serve(c.ln) }()
	return c, nil
}

// URL is the base URL of the node's API.
func (c *Coordinator) URL() string { return c.scheme + "://" + c.ln.Addr().String() }

// WaitLeader waits until the node knows a leader with a published API
// address, as /readyz does.
func (c *Coordinator) WaitLeader(ctx context.Context) error {
	for {
		if id, api := c.Node.Leader(); id != "" && api != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no leader elected: %w", ctx.Err())
		case <-c.Node.FSM().Changed():
		case <-time.After(50 * time.Millisecond): // leadership changes are not FSM changes
		}
	}
}

// Close stops serving and shuts the node down. Closing again returns what
// the first Close did.
func (c *Coordinator) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.close() })
	return c.closeErr
}

func (c *Coordinator) close() error {
	c.stop() // event streams end now; their edges reconnect elsewhere
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	if serr := <-c.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, c.Node.Close())
}

// Embedded starts a single-node cluster on loopback with its data under dir,
// a fresh token signing key, and adminToken for the admin API (the admin
// token may also act as any edge; API.Credentials().Add gives an edge a
// credential of its own, as dev mode does).
func Embedded(dir, adminToken string) (*Coordinator, error) {
	_, priv, err := token.GenerateKey()
	if err != nil {
		return nil, err
	}
	return Start(Config{
		Listen: "127.0.0.1:0",
		Cluster: cluster.Config{
			ID: "embedded", RaftAddr: "127.0.0.1:0", DataDir: dir, Bootstrap: true,
			InsecureRaft:     true, // one voter, no peers, loopback: development only
			HeartbeatTimeout: 100 * time.Millisecond, ElectionTimeout: 100 * time.Millisecond,
			LeaderLeaseTimeout: 100 * time.Millisecond,
		},
		API: api.Config{AdminToken: adminToken, SigningKey: priv},
	})
}
