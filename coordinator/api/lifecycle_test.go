package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
)

// A hunt goes scheduled → active → ended and can then be deleted; each
// transition is refused when it does not apply, and unknown or malformed
// hunt ids are told apart.
func TestHuntLifecycle(t *testing.T) {
	c := embedded(t)
	var created struct{ Hunt uint32 }
	if st := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "life", Area: area, Resolution: 9, Treasures: 2, ClaimRadius: 1}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	path := fmt.Sprintf("/v1/hunts/%d", created.Hunt)
	state := func() string {
		var d api.HuntDetail
		if st := do(t, c, "GET", path+"?consistent=true", nil, &d); st != http.StatusOK {
			t.Fatalf("GET %s: %d", path, st)
		}
		return d.State
	}
	for _, step := range []struct {
		name, method, path string
		code               int
		state              string
	}{
		{"created scheduled", "", "", 0, "scheduled"},
		{"start", "POST", path + "/start", http.StatusOK, "active"},
		{"start again", "POST", path + "/start", http.StatusConflict, "active"},
		{"stop", "POST", path + "/stop", http.StatusOK, "ended"},
		{"stop again", "POST", path + "/stop", http.StatusConflict, "ended"},
		{"start an ended hunt", "POST", path + "/start", http.StatusConflict, "ended"},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.method != "" {
				if code, body := as(t, c, admin, step.method, step.path, nil); code != step.code {
					t.Fatalf("%s %s: %d %s, want %d", step.method, step.path, code, body, step.code)
				}
			}
			if got := state(); got != step.state {
				t.Errorf("state %q, want %q", got, step.state)
			}
		})
	}
	if code, body := as(t, c, admin, "DELETE", path, nil); code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if code, _ := as(t, c, admin, "GET", path+"?consistent=true", nil); code != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d, want 404", code)
	}
	if code, _ := as(t, c, admin, "DELETE", path, nil); code != http.StatusNotFound {
		t.Errorf("DELETE again: %d, want 404", code)
	}
	// A scheduled hunt may be ended without ever starting.
	var other struct{ Hunt uint32 }
	do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "never", Area: area, Resolution: 9, Treasures: 2, ClaimRadius: 1}, &other)
	if code, body := as(t, c, admin, "POST", fmt.Sprintf("/v1/hunts/%d/stop", other.Hunt), nil); code != http.StatusOK {
		t.Errorf("stop a scheduled hunt: %d %s, want 200", code, body)
	}
	for _, tc := range []struct {
		name, method, path string
		code               int
	}{
		{"start an unknown hunt", "POST", "/v1/hunts/9999/start", http.StatusNotFound},
		{"stop an unknown hunt", "POST", "/v1/hunts/9999/stop", http.StatusNotFound},
		{"delete an unknown hunt", "DELETE", "/v1/hunts/9999", http.StatusNotFound},
		{"a malformed id", "POST", "/v1/hunts/abc/start", http.StatusBadRequest},
		{"a zero id", "GET", "/v1/hunts/0", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := as(t, c, admin, tc.method, tc.path, nil); code != tc.code {
				t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.code)
			}
		})
	}
}

// healthz and readyz answer without credentials; a single node that leads
// is ready and names itself.
func TestHealthAndReady(t *testing.T) {
	c := embedded(t)
	for _, tc := range []struct{ path, want string }{
		{"/healthz", `"status":"ok"`},
		{"/readyz", `"ready":true`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(c.URL() + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(m)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: %d %s, want 200 with %s", tc.path, resp.StatusCode, b, tc.want)
			}
			if tc.path == "/readyz" && m["leader"] != "embedded" {
				t.Errorf("readyz names leader %v, want embedded", m["leader"])
			}
		})
	}
}

// The cluster status and the state digest are admin reads: the digest
// moves with every write and stays put without one.
func TestClusterStatusAndStateDigest(t *testing.T) {
	c := embedded(t)
	var st struct {
		ID, State, Leader string
		Servers           []json.RawMessage
	}
	if code := do(t, c, "GET", "/v1/cluster", nil, &st); code != http.StatusOK || st.ID != "embedded" || st.State != "Leader" || st.Leader != "embedded" || len(st.Servers) != 1 {
		t.Fatalf("cluster: %d %+v", code, st)
	}
	digest := func() api.StateDigest {
		var d api.StateDigest
		if code := do(t, c, "GET", "/v1/cluster/state", nil, &d); code != http.StatusOK || d.Node != "embedded" || len(d.SHA256) != 64 {
			t.Fatalf("state: %d %+v", code, d)
		}
		return d
	}
	a, b := digest(), digest()
	if a != b {
		t.Errorf("the digest moved without a write: %+v then %+v", a, b)
	}
	if code := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: "d", Area: area, Resolution: 9, Treasures: 1}, nil); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if after := digest(); after.Applied <= a.Applied || after.SHA256 == a.SHA256 {
		t.Errorf("a write left the digest at %+v (was %+v)", after, a)
	}
	for _, p := range []string{"/v1/cluster", "/v1/cluster/state"} {
		if code, _ := as(t, c, "not-the-admin", "GET", p, nil); code != http.StatusUnauthorized {
			t.Errorf("%s without the admin token: %d", p, code)
		}
	}
}

// A voter needs an id and a host:port raft address.
func TestAddVoterRefusesBadRequests(t *testing.T) {
	c := embedded(t)
	for _, tc := range []struct {
		name string
		body any
	}{
		{"no id", api.VoterRequest{RaftAddr: "127.0.0.1:7001"}},
		{"no raft address", api.VoterRequest{ID: "c2"}},
		{"not JSON", "c2=127.0.0.1:7001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := as(t, c, admin, "POST", "/v1/cluster/voters", tc.body); code != http.StatusBadRequest {
				t.Errorf("%d %s, want 400", code, body)
			}
		})
	}
}

// metric is the value line of name in the node's /metrics ("" if absent).
func metric(t *testing.T, c *coordinator.Coordinator, name string) string {
	t.Helper()
	resp, err := http.Get(c.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// /metrics counts the edges following this node's event stream, and
// forgets one once it goes.
func TestMetricsCountStreamFollowers(t *testing.T) {
	c := embedded(t)
	const followers = "veltrix_coordinator_stream_followers"
	if v := metric(t, c, followers); v != "0" {
		t.Fatalf("%s = %q before any stream, want 0", followers, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	lines := stream(t, ctx, c, 0)
	<-lines // the snapshot: the stream is being served
	if v := metric(t, c, followers); v != "1" {
		t.Errorf("%s = %q with one stream, want 1", followers, v)
	}
	cancel()
	for range lines { // until the stream is closed on our side
	}
	deadline := time.Now().Add(10 * time.Second)
	for metric(t, c, followers) != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("%s still %q 10 s after the stream ended", followers, metric(t, c, followers))
		}
		time.Sleep(10 * time.Millisecond) // polling an observable condition with a deadline
	}
}
