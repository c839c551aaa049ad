package edge

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/veltrix/veltrix/edge/ringnet"
	"github.com/veltrix/veltrix/edge/wsnet"
	"github.com/veltrix/veltrix/internal/uring"
)

// The WebSocket transport's start-up: the port is bound first (listen),
// because the edge's URL and id, hence the link and the core, depend on
// it; the transport that serves it is built with the core (serveWS).

// listen binds the HTTP port: io_uring rings' listeners (one SO_REUSEPORT
// socket per ring) or a net.Listener. The transport that serves it is built
// with the core (serveWS), which needs the port first (the edge's URL and
// id).
func (e *Edge) listen() error {
	cfg := &e.cfg
	if cfg.Transport != "netpoll" {
		var err error
		switch {
		case cfg.TLSCert != "":
			err = errors.New("TLS (wss://) is terminated by net/http only")
		default:
			e.ringLn, err = ringnet.Listen(ringnet.Config{Listen: cfg.Listen, Rings: cfg.Rings, MaxConns: cfg.MaxConns, CheckOrigin: cfg.CheckOrigin, Logger: cfg.Logger})
		}
		if err == nil {
			e.addr = e.ringLn.Addr()
			return nil
		}
		if cfg.Transport == "uring" {
			return fmt.Errorf("edge: io_uring transport unavailable: %w", err)
		}
		cfg.Logger.Warn("WebSocket transport: netpoll (io_uring unavailable)", "reason", err.Error())
	}
	return e.listenTCP(cfg.Listen)
}

// listenTCP binds addr for the netpoll transport (with the operator's TLS
// certificate, if any).
func (e *Edge) listenTCP(addr string) error {
	cfg := &e.cfg
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("edge: cannot listen on %s: %w", addr, err)
	}
	if cfg.TLSCert != "" { // wss:// and https:// with the operator's certificate
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("edge: cannot load TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	}
	e.tcpLn, e.addr = ln, ln.Addr()
	return nil
}

// serveWS builds the WebSocket transport on the bound port, feeding the
// core: the rings, or Go's netpoller where they cannot start.
func (e *Edge) serveWS() error {
	cfg := &e.cfg
	if ls := e.ringLn; ls != nil {
		e.ringLn = nil
		rings, err := ringnet.New(e.Core, ls) // takes ls, even when it fails
		if err == nil {
			st := rings.Stats()
			f, _ := uring.Probe()
			cfg.Logger.Info("WebSocket transport: io_uring", "rings", st.Rings, "max_conns", st.MaxConns, "table_slots", st.TableSlots, "kernel", f.Kernel, "msg_ring_wakeups", f.MsgRingWake())
			e.rings, e.WS, e.ln = rings, rings, rings.Listener()
			return nil
		}
		if cfg.Transport == "uring" {
			return fmt.Errorf("edge: io_uring transport unavailable: %w", err)
		}
		cfg.Logger.Warn("WebSocket transport: netpoll (io_uring unavailable)", "reason", err.Error())
		if err := e.listenTCP(e.addr.String()); err != nil {
			return err
		}
	}
	ws := wsnet.New(e.Core, wsnet.Config{CheckOrigin: cfg.CheckOrigin, Logger: cfg.Logger})
	// Upgrades to /ws are taken off the connection by gobwas's zero-copy
	// Upgrader; the rest goes to net/http (which still routes /ws through
	// ServeHTTP for an upgrade on a kept-alive connection).
	e.WS, e.ln, e.tcpLn = ws, ws.Listen(e.tcpLn), nil
	return nil
}

// unlisten releases what a failed start bound.
func (e *Edge) unlisten() {
	if e.ringLn != nil {
		e.ringLn.Close()
	}
	if e.tcpLn != nil {
		e.tcpLn.Close()
	}
	if e.ln != nil {
		e.ln.Close()
	}
	if e.rings != nil {
		e.rings.Shutdown()
	}
	if e.udp != nil {
		e.udp.Close()
	}
}

// TransportName is the WebSocket transport running: "uring" or "netpoll".
func (e *Edge) TransportName() string {
	if e.rings != nil {
		return "uring"
	}
	return "netpoll"
}
