package wire

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// coordinator is a fake coordinator answering path with status and body,
// counting its calls and checking the bearer token.
func coordinator(t *testing.T, path string, status int, body any) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != path {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestClientStatusError(t *testing.T) {
	srv, _ := coordinator(t, "/v1/edge/claims", http.StatusConflict, Error{Error: "held by another instance"})
	_, err := NewClient([]string{srv.URL + "/"}, "tok", nil).Claims(context.Background(), []Claim{{Edge: "e"}})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusConflict || se.Message != "held by another instance" ||
		se.Method != http.MethodPost || se.URL != srv.URL+"/v1/edge/claims" {
		t.Fatalf("err %#v", err)
	}
	if !Refused(err) || err.Error() != "POST "+srv.URL+"/v1/edge/claims: 409 Conflict: held by another instance" {
		t.Fatalf("refused %v, text %q", Refused(err), err)
	}
	for code, want := range map[int]bool{400: true, 401: true, 403: true, 429: false, 500: false, 503: false} {
		if got := Refused(&StatusError{Code: code}); got != want {
			t.Errorf("Refused(%d) = %v", code, got)
		}
	}
	if Refused(errors.New("connection refused")) {
		t.Error("a transport error is no refusal")
	}
}

func TestClientTriesEachCoordinator(t *testing.T) {
	down, downCalls := coordinator(t, "/v1/edge/claims", http.StatusServiceUnavailable, Error{Error: "no leader"})
	up, _ := coordinator(t, "/v1/edge/claims", http.StatusOK, ClaimsResponse{Outcomes: []Outcome{{Code: 1, Treasure: 9}}})
	resp, err := NewClient([]string{down.URL, up.URL}, "tok", nil).Claims(context.Background(), []Claim{{Treasure: 9}})
	if err != nil || len(resp.Outcomes) != 1 || resp.Outcomes[0] != (Outcome{Code: 1, Treasure: 9}) || downCalls.Load() != 1 {
		t.Fatalf("resp %+v, err %v, calls to the first %d", resp, err, downCalls.Load())
	}
}

func TestClientWhoAmIStopsOnRefusal(t *testing.T) {
	refusing, _ := coordinator(t, "/v1/edge/whoami", http.StatusUnauthorized, Error{Error: "bad token"})
	other, otherCalls := coordinator(t, "/v1/edge/whoami", http.StatusOK, Identity{Edge: "e"})
	if _, err := NewClient([]string{refusing.URL, other.URL}, "tok", nil).WhoAmI(context.Background()); !Refused(err) || otherCalls.Load() != 0 {
		t.Fatalf("err %v, calls to the second %d", err, otherCalls.Load())
	}
	id, err := NewClient([]string{other.URL}, "tok", nil).WhoAmI(context.Background())
	if err != nil || id != (Identity{Edge: "e"}) {
		t.Fatalf("id %+v, err %v", id, err)
	}
	if _, err := NewClient(nil, "tok", nil).WhoAmI(context.Background()); err == nil {
		t.Fatal("no coordinators, no error")
	}
}

func TestClientEvents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/edge/events" || r.URL.Query().Get("from") != "7" || r.URL.Query().Get("region") != "eu-west" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(StreamMessage{Type: "heartbeat", Index: 7})
	}))
	defer srv.Close()
	c := NewClient([]string{srv.URL}, "tok", &http.Client{Timeout: 1})
	body, err := c.Events(context.Background(), srv.URL, 7, "eu-west") // the stream ignores the client's timeout
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	var m StreamMessage
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &m) != nil || m.Type != "heartbeat" || m.Index != 7 {
		t.Fatalf("line %q: %+v", sc.Text(), m)
	}
	if _, err := c.Events(context.Background(), srv.URL+"/nope", 7, "eu-west"); err == nil {
		t.Fatal("a 404 opened a stream")
	}
}
