package link

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeStream is an in-memory coordinator event stream for links inside a
// synctest bubble: each request to /v1/edge/events is recorded with the
// bubble's time, and answered by answer.
type fakeStream struct {
	began  time.Time
	answer func(n int, req *http.Request) (*http.Response, error)

	mu   sync.Mutex
	reqs []streamReq
}

type streamReq struct {
	at   time.Duration // since began
	host string
	from string
}

func (f *fakeStream) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, streamReq{at: time.Since(f.began), host: req.URL.Host, from: req.URL.Query().Get("from")})
	f.mu.Unlock()
	return f.answer(n, req)
}

func (f *fakeStream) requests() []streamReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]streamReq(nil), f.reqs...)
}

// streamBody is a 200 answer whose body the test writes line by line; it
// ends with the request's context.
func streamBody(req *http.Request) (*http.Response, *io.PipeWriter) {
	pr, pw := io.Pipe()
	go func() {
		<-req.Context().Done()
		pr.CloseWithError(req.Context().Err())
	}()
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: pr, Header: http.Header{}, Request: req}, pw
}

// followLink is a link over f, following coordinators c1 and c2.
func followLink(t *testing.T, f *fakeStream) *Link {
	t.Helper()
	l, err := New(Config{Coordinators: []string{"http://c1", "http://c2/"}, Token: "t", EdgeID: "e1",
		Client: &http.Client{Transport: f}})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// When the stream cannot be opened, the link retries the coordinators in
// turn, waiting 100 ms and doubling up to 5 s.
func TestFollowBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeStream{began: time.Now(), answer: func(int, *http.Request) (*http.Response, error) {
			return nil, errors.New("connection refused")
		}}
		l := followLink(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.follow(ctx) }()
		time.Sleep(20 * time.Second) // the bubble's clock: no real time passes
		cancel()
		<-done

		ms := time.Millisecond
		want := []time.Duration{0, 100 * ms, 300 * ms, 700 * ms, 1500 * ms, 3100 * ms, 6300 * ms, 11300 * ms, 16300 * ms}
		got := f.requests()
		if len(got) != len(want) {
			t.Fatalf("%d attempts in 20 s, want %d: %v", len(got), len(want), got)
		}
		for i, r := range got {
			host := []string{"c1", "c2"}[i%2]
			if r.at != want[i] || r.host != host || r.from != "0" {
				t.Errorf("attempt %d: at %v to %s from %s; want at %v to %s from 0", i, r.at, r.host, r.from, want[i], host)
			}
		}
	})
}

// A stream that worked and then ended starts the backoff over: the link
// reconnects 100 ms later, not after the backoff earlier failures reached.
func TestFollowBackoffResetsAfterAHealthyStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opened := make(chan *io.PipeWriter, 1)
		f := &fakeStream{began: time.Now(), answer: func(n int, req *http.Request) (*http.Response, error) {
			if n != 3 {
				return nil, errors.New("connection refused")
			}
			resp, pw := streamBody(req)
			opened <- pw
			return resp, nil
		}}
		l := followLink(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.follow(ctx) }()
		pw := <-opened // the fourth attempt, at 700 ms
		if _, err := io.WriteString(pw, `{"type":"snapshot","index":3,"hunts":[],"edges":[]}`+"\n"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second) // heard, within streamSilence
		pw.Close()                   // the coordinator ends the stream
		ended := time.Since(f.began)
		time.Sleep(time.Second)
		cancel()
		<-done
		got := f.requests()
		if len(got) < 6 || got[4].at != ended+100*time.Millisecond || got[5].at != ended+300*time.Millisecond {
			t.Fatalf("attempts %v; after the stream ended at %v want the next at +100 ms and +300 ms", got, ended)
		}
	})
}

// A refused stream (a coordinator's error status) backs off the same way
// as a failed connection.
func TestFollowBackoffOnStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeStream{began: time.Now(), answer: func(_ int, req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
				Body: io.NopCloser(strings.NewReader(`{"error":"no leader"}`)), Header: http.Header{}, Request: req}, nil
		}}
		l := followLink(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.follow(ctx) }()
		time.Sleep(time.Second)
		cancel()
		<-done
		got := f.requests()
		if len(got) != 4 || got[3].at != 700*time.Millisecond {
			t.Errorf("attempts %v, want 4, the last at 700ms", got)
		}
	})
}

// The stream watchdog: a stream that stays silent for streamSilence is
// closed and followed again (from the replica's index) on the other
// coordinator; every line, heartbeats included, restarts the silence.
func TestFollowWatchdog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opened := make(chan *io.PipeWriter, 4)
		f := &fakeStream{began: time.Now(), answer: func(_ int, req *http.Request) (*http.Response, error) {
			resp, pw := streamBody(req)
			opened <- pw
			return resp, nil
		}}
		l := followLink(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.follow(ctx) }()

		pw := <-opened
		if _, err := io.WriteString(pw, `{"type":"snapshot","index":7,"hunts":[],"edges":[]}`+"\n"); err != nil {
			t.Fatal(err)
		}
		// Heartbeats every 10 s keep the stream for a minute.
		for range 6 {
			time.Sleep(10 * time.Second)
			if _, err := io.WriteString(pw, `{"type":"heartbeat","index":7}`+"\n"); err != nil {
				t.Fatalf("the stream was closed at %v though it heartbeats: %v", time.Since(f.began), err)
			}
		}
		synctest.Wait()
		if n := len(f.requests()); n != 1 {
			t.Fatalf("%d requests while the stream was heard, want 1", n)
		}
		lastHeard := time.Since(f.began) // 60 s
		// Then silence: the watchdog closes the stream streamSilence after
		// the last line, and the link reconnects after its backoff.
		time.Sleep(streamSilence - time.Nanosecond)
		synctest.Wait()
		if n := len(f.requests()); n != 1 {
			t.Fatalf("reconnected before streamSilence had passed (%d requests)", n)
		}
		pw2 := <-opened
		got := f.requests()
		if len(got) != 2 {
			t.Fatalf("requests %v, want 2", got)
		}
		if want := lastHeard + streamSilence + 100*time.Millisecond; got[1].at != want || got[1].host != "c2" || got[1].from != "7" {
			t.Errorf("reconnect %+v; want at %v to c2 from 7", got[1], want)
		}
		if _, err := io.WriteString(pw, "{}\n"); err == nil {
			t.Error("the silent stream was left open")
		}
		cancel()
		<-done
		pw2.Close()
	})
}

// status is a coordinator's answer with code and a JSON error.
func status(req *http.Request, code int) *http.Response {
	return &http.Response{StatusCode: code, Status: http.StatusText(code), Header: http.Header{}, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"error":"` + http.StatusText(code) + `"}`))}
}

// Register tries every coordinator, and retries with backoff (50 ms
// doubling to 1 s) through failures and 429 until ClaimTimeout; any other
// 4xx is a refusal that returns at once.
func TestRegisterRetries(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name   string
		answer func(n int, req *http.Request) (*http.Response, error)
		at     []time.Duration // of each attempt (a request to c1, then c2)
		c1Won  bool            // the last attempt ended at c1
		code   int             // of the StatusError returned; 0: success
	}{
		{"unavailable", func(_ int, req *http.Request) (*http.Response, error) { return status(req, 503), nil },
			[]time.Duration{0, 50 * ms, 150 * ms, 350 * ms, 750 * ms, 1550 * ms, 2550 * ms}, false, 503},
		{"rate limited", func(_ int, req *http.Request) (*http.Response, error) { return status(req, 429), nil },
			[]time.Duration{0, 50 * ms, 150 * ms, 350 * ms, 750 * ms, 1550 * ms, 2550 * ms}, false, 429},
		{"refused", func(_ int, req *http.Request) (*http.Response, error) { return status(req, 409), nil },
			[]time.Duration{0}, false, 409},
		{"second coordinator answers", func(n int, req *http.Request) (*http.Response, error) {
			if n%2 == 0 {
				return nil, errors.New("connection refused")
			}
			return status(req, 200), nil
		}, []time.Duration{0}, false, 0},
		{"answers on the third attempt", func(n int, req *http.Request) (*http.Response, error) {
			if n < 4 {
				return status(req, 503), nil
			}
			return status(req, 200), nil
		}, []time.Duration{0, 50 * ms, 150 * ms}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeStream{began: time.Now(), answer: tc.answer}
				l := followLink(t, f)
				err := l.Register(t.Context())
				var se *StatusError
				if tc.code == 0 && err != nil || tc.code != 0 && (!errors.As(err, &se) || se.Code != tc.code) {
					t.Fatalf("Register: %v, want status %d", err, tc.code)
				}
				var want []streamReq
				for i, at := range tc.at {
					want = append(want, streamReq{at: at, host: "c1"})
					if !tc.c1Won || i < len(tc.at)-1 {
						want = append(want, streamReq{at: at, host: "c2"})
					}
				}
				got := f.requests()
				if len(got) != len(want) {
					t.Fatalf("requests %v, want %v", got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("request %d: %+v, want %+v", i, got[i], want[i])
					}
				}
			})
		})
	}
}
