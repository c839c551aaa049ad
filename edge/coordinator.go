package edge

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/edge/link"
	"github.com/veltrix/veltrix/protocol/token"
)

// The edge's side of the coordinator: the token key it fetches at start,
// the HTTP client of the link, registration, and the load reports.

// fetchKey reads the player-token public key from the first coordinator
// that serves it.
// coordinatorClient is an HTTP client for the coordinators' API with
// tlsConf (nil: Go's defaults) and timeout.
func coordinatorClient(tlsConf *tls.Config, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsConf
	return &http.Client{Timeout: timeout, Transport: t}
}

func fetchKey(coords []string, client *http.Client) (ed25519.PublicKey, error) {
	var last error
	for _, c := range coords {
		resp, err := client.Get(strings.TrimRight(c, "/") + "/v1/keys/token")
		if err != nil {
			last = err
			continue
		}
		pem, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			return token.ParsePublicKey(pem)
		}
		last = fmt.Errorf("%s: %s", c, resp.Status)
	}
	return nil, fmt.Errorf("edge: cannot fetch the token key from any coordinator: %w", last)
}

// loadLoop registers the edge, then reports its load every LoadEvery. A
// refused registration (another live instance holds the id) or a load
// report refused because the registration moved to another instance is
// retried each period: the coordinators accept this instance once the
// other one has been silent for their load TTL.
func (e *Edge) loadLoop(ctx context.Context) {
	registered := e.register(ctx)
	t := time.NewTicker(e.cfg.LoadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !registered {
			if registered = e.register(ctx); !registered {
				continue
			}
		}
		err := e.Link.ReportLoad(ctx, e.Core.PlayersByHunt(), e.loadStats())
		var se *link.StatusError
		if errors.As(err, &se) && se.Code == http.StatusConflict {
			registered = false
		}
		if err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("cannot report load", "err", err)
		}
	}
}

// loadStats is what the load report tells the operators' live view: the
// connections per transport, the last tick, drops and closes, and the
// players of the busiest cells.
func (e *Edge) loadStats() *wire.EdgeStats {
	st := e.Core.Snapshot()
	out := &wire.EdgeStats{Connections: map[string]int{"websocket": e.WS.Conns()}, TickMS: float64(st.LastTickDuration.Microseconds()) / 1000,
		Drops: map[string]uint64{}, Closes: map[string]uint64{}}
	if e.WT != nil {
		out.Connections["webtransport"] = e.WT.Sessions()
	}
	for reason, n := range st.Drops {
		if n > 0 {
			out.Drops[core.DropReason(reason).String()] = n
		}
	}
	for code, n := range st.Closes {
		out.Closes[code.String()] += n
	}
	for _, c := range e.Core.PlayersByCell(wire.MaxCellsPerReport) {
		out.Cells = append(out.Cells, wire.CellLoad{Hunt: c.Hunt, Cell: c.Cell.String(), Players: c.Players})
	}
	return out
}

func (e *Edge) register(ctx context.Context) bool {
	err := e.Link.Register(ctx)
	if err != nil && ctx.Err() == nil {
		e.cfg.Logger.Error("cannot register with the coordinators; retrying", "edge", e.cfg.ID, "err", err, "in", e.cfg.LoadEvery.String())
	}
	return err == nil
}
