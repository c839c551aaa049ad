package main

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/edge/dev"
)

// TestDevBannerNamesPlayerPageAndLiveView: what make run prints starts with
// the player page and the operators' live view, and both answer.
func TestDevBannerNamesPlayerPageAndLiveView(t *testing.T) {
	d, err := dev.Start(dev.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminToken: devAdminToken, Edge: edge.Config{DisableWT: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var b strings.Builder
	devBanner(&b, d, 0)
	urls := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		if name, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			urls[name] = strings.Fields(rest)[0]
		}
	}
	for name, want := range map[string]string{"play": d.Edge.URL() + "/", "live view": d.Coordinator.URL() + "/live#token=" + devAdminToken} {
		if urls[name] != want {
			t.Errorf("%s: %q, want %q in:\n%s", name, urls[name], want, b.String())
			continue
		}
		resp, err := http.Get(strings.Split(want, "#")[0])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want an HTML page", want, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
