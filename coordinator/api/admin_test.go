package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator"
	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/protocol/token"
)

// raw sends body (as is) to path with the bearer token auth ("" for none)
// and returns the status and the JSON error text, if any.
func raw(t *testing.T, c *coordinator.Coordinator, method, path, auth, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, c.URL()+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error
}

func huntJSON(name string) string {
	b, _ := json.Marshal(api.HuntRequest{Name: name, Area: area, Resolution: 9, Treasures: 3, ClaimRadius: 1})
	return string(b)
}

// TestAdminRequestsRefusedWithReasons: every malformed or unauthorised
// admin request gets its 4xx and a JSON error that says why.
func TestAdminRequestsRefusedWithReasons(t *testing.T) {
	c := embedded(t)
	cases := []struct {
		name, method, path, auth, contentType, body string
		status                                      int
		says                                        string
	}{
		{"no token", "GET", "/v1/hunts", "", "", "", http.StatusUnauthorized, ""},
		{"wrong token", "GET", "/v1/hunts", "nope", "", "", http.StatusUnauthorized, ""},
		{"not JSON", "POST", "/v1/hunts", admin, "application/json", "{", http.StatusBadRequest, ""},
		{"unknown field", "POST", "/v1/hunts", admin, "application/json", `{"name":"x","colour":"red"}`, http.StatusBadRequest, "colour"},
		{"two values", "POST", "/v1/hunts", admin, "application/json", huntJSON("a") + huntJSON("b"), http.StatusBadRequest, ""},
		{"text body", "POST", "/v1/hunts", admin, "text/plain", huntJSON("a"), http.StatusUnsupportedMediaType, "text/plain"},
		{"empty name", "POST", "/v1/hunts", admin, "application/json", huntJSON(""), http.StatusBadRequest, "name"},
		{"body too large", "POST", "/v1/hunts", admin, "application/json", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, http.StatusRequestEntityTooLarge, "exceeds"},
		{"hunt id not a number", "GET", "/v1/hunts/abc", admin, "", "", http.StatusBadRequest, "abc"},
		{"hunt id zero", "GET", "/v1/hunts/0", admin, "", "", http.StatusBadRequest, "positive"},
		{"no such hunt", "GET", "/v1/hunts/999", admin, "", "", http.StatusNotFound, "999"},
		{"start no such hunt", "POST", "/v1/hunts/999/start", admin, "", "", http.StatusNotFound, ""},
		{"token for player 0", "POST", "/v1/tokens", admin, "application/json", `{"player":0,"hunt":1}`, http.StatusBadRequest, "player"},
		{"token ttl too long", "POST", "/v1/tokens", admin, "application/json", `{"player":1,"hunt":1,"ttl_seconds":604801}`, http.StatusBadRequest, "ttl"},
		{"voter without an address", "POST", "/v1/cluster/voters", admin, "application/json", `{"id":"c9"}`, http.StatusBadRequest, "raft_addr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, says := raw(t, c, tc.method, tc.path, tc.auth, tc.contentType, tc.body)
			if status != tc.status || !strings.Contains(says, tc.says) {
				t.Errorf("%s %s: %d %q, want %d saying %q", tc.method, tc.path, status, says, tc.status, tc.says)
			}
			if status >= 400 && says == "" && status != http.StatusUnauthorized {
				t.Errorf("%s %s: %d without a JSON error", tc.method, tc.path, status)
			}
		})
	}
}

// TestHuntsListedInOrder: GET /v1/hunts lists every hunt by id.
func TestHuntsListedInOrder(t *testing.T) {
	c := embedded(t)
	for _, name := range []string{"c", "a", "b"} {
		if st := do(t, c, "POST", "/v1/hunts", api.HuntRequest{Name: name, Area: area, Resolution: 9, Treasures: 2, ClaimRadius: 1}, nil); st != http.StatusCreated {
			t.Fatalf("create %s: %d", name, st)
		}
	}
	var list []api.HuntSummary
	do(t, c, "GET", "/v1/hunts", nil, &list)
	if len(list) != 3 || list[0].Spec.Name != "c" || list[1].Spec.Name != "a" || list[2].Spec.Name != "b" ||
		list[0].ID >= list[1].ID || list[1].ID >= list[2].ID {
		t.Fatalf("hunts listed as %+v, want the three by id", list)
	}
}

// TestTokenTTL: a minted token lives for the asked ttl (default an hour).
func TestTokenTTL(t *testing.T) {
	c := embedded(t)
	resp, err := http.Get(c.URL() + "/v1/keys/token")
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pub, err := token.ParsePublicKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, ttl := range []int{0, 60, 604800} {
		var tok struct{ Token string }
		if st := do(t, c, "POST", "/v1/tokens", api.TokenRequest{Player: 7, Hunt: 3, TTLSeconds: ttl}, &tok); st != http.StatusOK {
			t.Fatalf("ttl %d: status %d", ttl, st)
		}
		claims, err := token.Verify(pub, tok.Token, 3, time.Now())
		if err != nil || claims.Player != 7 {
			t.Fatalf("ttl %d: %+v, %v", ttl, claims, err)
		}
		want := time.Duration(ttl) * time.Second
		if ttl == 0 {
			want = time.Hour
		}
		if got := claims.ExpiresAt.Sub(claims.IssuedAt.Time); got != want {
			t.Errorf("ttl %d: token lives %v, want %v", ttl, got, want)
		}
	}
}
