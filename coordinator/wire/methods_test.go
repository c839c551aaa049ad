package wire

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a fake coordinator that records each request (method, path
// with its query, body) and answers the canned JSON for its path.
type recorder struct {
	mu      sync.Mutex
	got     []string
	answers map[string]string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.got = append(rec.got, r.Method+" "+r.URL.RequestURI()+" "+strings.TrimSpace(string(body)))
	answer, ok := rec.answers[r.Method+" "+r.URL.Path]
	rec.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !ok {
		answer = "{}"
	}
	_, _ = io.WriteString(w, answer)
}

func (rec *recorder) last() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.got[len(rec.got)-1]
}

// TestClientMethods: each typed call sends its request to its path with
// its JSON body, and decodes the answer into what it returns.
func TestClientMethods(t *testing.T) {
	rec := &recorder{answers: map[string]string{
		"POST /v1/edge/claims": `{"outcomes":[{"code":1,"treasure":9,"points":100,"score":100,"index":4}]}`,
		"GET /v1/edge/whoami":  `{"edge":"e1"}`,
		"GET /v1/hunts":        `[{"id":3,"state":"active"}]`,
		"POST /v1/hunts":       `{"hunt":3}`,
		"GET /v1/hunts/3":      `{"id":3,"state":"active","treasures":[{"id":9,"cell":1,"lat":2,"lng":3,"points":100}]}`,
		"POST /v1/tokens":      `{"token":"jwt"}`,
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c := NewClient([]string{srv.URL}, "tok", nil)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() (any, error)
		want string // method, request URI and body
		got  string // the decoded result, as JSON
	}{
		{"claims", func() (any, error) {
			return c.Claims(ctx, []Claim{{Edge: "e1", Request: 2, Hunt: 3, Treasure: 9, Player: 7}})
		},
			`POST /v1/edge/claims {"claims":[{"edge":"e1","request":2,"hunt":3,"treasure":9,"player":7,"cell":0}]}`,
			`{"outcomes":[{"code":1,"treasure":9,"points":100,"score":100,"index":4}]}`},
		{"register", func() (any, error) { return nil, c.Register(ctx, Edge{ID: "e1", URLs: []string{"ws://x/ws"}}) },
			`POST /v1/edge/register {"id":"e1","region":"","urls":["ws://x/ws"],"since":0}`, `null`},
		{"load", func() (any, error) { return nil, c.Load(ctx, LoadReport{Edge: "e1", Hunts: map[uint32]int{3: 5}}) },
			`POST /v1/edge/load {"edge":"e1","instance":"","hunts":{"3":5}}`, `null`},
		{"whoami", func() (any, error) { return c.WhoAmI(ctx) }, `GET /v1/edge/whoami`, `{"edge":"e1"}`},
		{"consistent hunts", func() (any, error) {
			hs, err := c.ConsistentHunts(ctx)
			if len(hs) != 1 {
				return nil, err
			}
			return []any{hs[0].ID, hs[0].State}, err
		}, `GET /v1/hunts?consistent=true`, `[3,"active"]`},
		{"hunt", func() (any, error) { d, err := c.Hunt(ctx, 3); return d.Treasures, err }, `GET /v1/hunts/3`,
			`[{"id":9,"cell":1,"lat":2,"lng":3,"points":100}]`},
		{"create hunt", func() (any, error) { return c.CreateHunt(ctx, HuntRequest{Name: "h"}) }, `POST /v1/hunts {"name":"h"`, `3`},
		{"start hunt", func() (any, error) { return nil, c.StartHunt(ctx, 3) }, `POST /v1/hunts/3/start`, `null`},
		{"token", func() (any, error) { return c.Token(ctx, TokenRequest{Player: 7, Hunt: 3}) }, `POST /v1/tokens {"player":7,"hunt":3`, `"jwt"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			if sent := rec.last(); !strings.HasPrefix(sent, tc.want) {
				t.Errorf("sent %q, want it to start with %q", sent, tc.want)
			}
			b, _ := json.Marshal(out)
			if string(b) != tc.got {
				t.Errorf("decoded %s, want %s", b, tc.got)
			}
		})
	}
}
