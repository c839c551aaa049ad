package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/api"
)

// fuzzEndpoints are the write endpoints fed arbitrary bodies. Adding a
// voter is left out: a random but well-formed address would make a
// single-node cluster wait for a peer that never comes (correctly), which
// is not a parsing question.
var fuzzEndpoints = []string{"/v1/hunts", "/v1/edge/claims", "/v1/edge/register", "/v1/edge/load", "/v1/tokens", "/v1/hunts/1/start"}

// FuzzWriteBodies posts arbitrary bodies to the write endpoints of a live
// single-node coordinator: whatever the bytes, the answer is a success or a
// 4xx with a JSON error, never a 5xx or a dropped connection, and the node
// stays up.
func FuzzWriteBodies(f *testing.F) {
	seeds := []string{
		`{"name":"x","area":{"outer":[[52.36,4.88],[52.36,4.912],[52.38,4.912],[52.38,4.88]]},"resolution":10,"treasures":5,"min_spacing":2,"claim_radius":1}`,
		`{"name":"x","area":{"outer":[[52.36,4.88],[52.36,4.912],[52.38,4.88],[52.38,4.912]]},"resolution":10,"treasures":5}`,
		`{"name":"x","area":{"outer":[[1e308,-1e308],[0,0],[1,1]]},"resolution":99,"treasures":-1}`,
		`{"claims":[{"edge":"e","request":1,"hunt":1,"treasure":1,"player":1,"cell":"8a1969052d97fff"}]}`,
		`{"claims":[]}`, `{"edge":"e","hunts":{"1":5}}`, `{"id":"e","instance":"i1","region":"r","urls":["ws://x/ws"]}`, `{"edge":"e","instance":"i1","hunts":{"1":5}}`,
		`{"edge":"e","instance":"i1","hunts":{"1":5},"stats":{"connections":{"websocket":5},"tick_ms":0.2,"drops":{"slow":1},"closes":{"idle":2},"cells":[{"hunt":1,"cell":"8a1969052d97fff","players":5}]}}`,
		`{"player":1,"hunt":1}`, `{"player":-1}`, `{}`, `[]`, `null`, `{"unknown":1}`, `{`, "\x00\xff", ``,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	c := embedded(f)
	client := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := fuzzEndpoints[int(which)%len(fuzzEndpoints)]
		req, _ := http.NewRequest("POST", c.URL()+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s %q: %v", path, body, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 500:
			t.Fatalf("POST %s %q: %d %s", path, body, resp.StatusCode, b)
		case resp.StatusCode >= 400:
			var e struct{ Error string }
			if json.Unmarshal(b, &e) != nil || e.Error == "" {
				t.Fatalf("POST %s %q: %d without a JSON error: %s", path, body, resp.StatusCode, b)
			}
		}
	})
}

// FuzzParseCredentials feeds arbitrary credentials files to the parser:
// it never panics, and every credential it accepts names a valid edge id.
func FuzzParseCredentials(f *testing.F) {
	f.Add("edge-a " + api.HashToken("t") + "\n# comment\n\nedge-b " + api.HashToken("u") + "\n")
	f.Add("edge-a " + api.HashToken("t") + "\nedge-b " + api.HashToken("t") + "\n")
	f.Add("edge-a zz\n")
	f.Add("bad/id " + api.HashToken("t"))
	f.Fuzz(func(t *testing.T, file string) {
		m, err := api.ParseCredentials(strings.NewReader(file))
		if err != nil {
			return
		}
		for _, id := range m {
			if !api.ValidEdgeID(id) {
				t.Fatalf("accepted edge id %q", id)
			}
		}
	})
}
