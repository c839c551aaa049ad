package run

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/report"
)

// statusLoad sends GET requests at a fixed rate (open loop: a late answer
// never delays the next request) and measures each from when it was due,
// so a stall shows in the latency instead of hiding in fewer requests.
type statusLoad struct {
	rec        *hist.Recorder
	sent, errs atomic.Int64
	series     []report.StatusPoint
	wg         sync.WaitGroup
	done       chan struct{}
}

func startStatus(ctx context.Context, url string, rate float64) *statusLoad {
	s := &statusLoad{rec: hist.NewRecorder(), done: make(chan struct{})}
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	gap := time.Duration(float64(time.Second) / rate)
	go func() {
		defer close(s.done)
		defer tr.CloseIdleConnections()
		began := time.Now()
		due := began
		sec := time.NewTicker(time.Second)
		defer sec.Stop()
		var n int
		for ctx.Err() == nil {
			select {
			case <-sec.C:
				iv := s.rec.TakeInterval()
				s.series = append(s.series, report.StatusPoint{T: time.Since(began).Seconds(),
					P50: ms(iv.Quantile(.5)), P99: ms(iv.Quantile(.99)), N: iv.Count()})
			default:
			}
			if d := time.Until(due); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d): // the request schedule, not synchronisation
				}
				continue
			}
			at := due
			due = due.Add(gap)
			n++
			s.sent.Add(1)
			s.wg.Add(1)
			go func(n int) {
				defer s.wg.Done()
				resp, err := c.Get(url)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					s.errs.Add(1)
					return
				}
				s.rec.Record(n, time.Since(at))
			}(n)
		}
	}()
	return s
}

func (s *statusLoad) wait() {
	<-s.done
	s.wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
