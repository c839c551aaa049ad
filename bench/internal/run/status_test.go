package run

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The hunt-status load sends every request it schedules, counts the
// failed answers as errors and times only the good ones; once its context
// ends and wait returns, every request it sent has been answered.
func TestStatusLoadCountsEveryRequest(t *testing.T) {
	var served, failed atomic.Int64
	enough := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := served.Add(1)
		if n%3 == 0 {
			failed.Add(1)
			http.Error(w, "no", http.StatusServiceUnavailable)
		} else {
			_, _ = w.Write([]byte(`{"hunt":1}`))
		}
		if n == 30 {
			close(enough)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := startStatus(ctx, srv.URL, 2000)
	<-enough
	cancel()
	s.wait()
	sent, errs, timed := s.sent.Load(), s.errs.Load(), s.rec.Total().Count()
	if sent < 30 || sent != served.Load() {
		t.Errorf("sent %d, the edge served %d", sent, served.Load())
	}
	if errs != failed.Load() || timed != sent-errs {
		t.Errorf("%d errors (the edge failed %d), %d timed of %d sent", errs, failed.Load(), timed, sent)
	}
}

// An edge that cannot be reached makes every request an error, none timed.
func TestStatusLoadUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := startStatus(ctx, url, 2000)
	// Poll, with a deadline, for five failed requests.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for s.errs.Load() < 5 {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%d errors in 10 s", s.errs.Load())
		}
	}
	cancel()
	s.wait()
	if sent, errs := s.sent.Load(), s.errs.Load(); errs != sent || s.rec.Total().Count() != 0 {
		t.Errorf("%d sent, %d errors, %d timed: all should be errors", sent, errs, s.rec.Total().Count())
	}
}
