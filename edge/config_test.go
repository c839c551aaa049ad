package edge_test

import (
	"strings"
	"testing"

	"github.com/veltrix/veltrix/edge"
)

// Validate names every problem at once, in words; Start refuses such a
// config before it listens.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  edge.Config
		want []string // substrings of the error; nil: valid
	}{
		{name: "minimal", cfg: edge.Config{Coordinators: []string{"http://127.0.0.1:8080"}, EdgeToken: "t"}},
		{name: "https and every transport", cfg: edge.Config{Coordinators: []string{"https://c1:8080"}, EdgeToken: "t", Transport: "uring"}},
		{name: "nothing", want: []string{"coordinator URLs are required", "edge token is required"}},
		{name: "bad coordinator URLs", cfg: edge.Config{Coordinators: []string{"c1:8080", "ftp://c2", "http://"}, EdgeToken: "t"},
			want: []string{`"c1:8080"`, `"ftp://c2"`, `"http://"`}},
		{name: "unknown transport", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", Transport: "epoll"},
			want: []string{`transport "epoll": want auto, uring or netpoll`}},
		{name: "certificate without key", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", TLSCert: "c.pem"},
			want: []string{"certificate and its key"}},
		{name: "routing", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", Region: "eu",
			Regions: "eu ws=wss://eu/ws; us ws=wss://us/ws cells=822a17fffffffff", Siblings: "e2 ws=ws://e2:8090/ws wt=https://e2:8090/wt"}},
		{name: "bad routing", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", Region: "eu west",
			Regions: "eu ws=http://eu/ws", Siblings: "e2 ws=ws://e2/ws; e2 ws=ws://e3/ws"},
			want: []string{`region "eu west"`, "regions: invalid routing table", "siblings: invalid routing table: region \"e2\" is named twice"}},
		{name: "more connections than the rings hold", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", Rings: 1, MaxConns: 10_000_000},
			want: []string{"1 rings cannot hold 10000000 connections", "soft RLIMIT_NOFILE", "run at least"}},
		{name: "many connections, rings sized for them", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", MaxConns: 100_000}},
		{name: "negative tick rate", cfg: edge.Config{Coordinators: []string{"http://c"}, EdgeToken: "t", TickHz: -1},
			want: []string{"tick rate -1", "cannot be negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
			if e, err := edge.Start(tc.cfg); err == nil {
				e.Close()
				t.Error("Start accepted the config")
			}
		})
	}
}
