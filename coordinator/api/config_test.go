package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/api"
)

// Validate names every problem at once, in words.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  api.Config
		want []string // substrings of the error; nil: valid
	}{
		{name: "minimal", cfg: api.Config{AdminToken: "a"}},
		{name: "with an edge token and https peers", cfg: api.Config{AdminToken: "a", EdgeToken: "e", Scheme: "https"}},
		{name: "no admin token", want: []string{"admin token is required"}},
		{name: "edge token is the admin token", cfg: api.Config{AdminToken: "a", EdgeToken: "a"}, want: []string{"must differ"}},
		{name: "negative limits and a bad scheme", cfg: api.Config{AdminToken: "a", LoadTTL: -time.Second, MaxBody: -1, Scheme: "ftp"},
			want: []string{"cannot be negative", "body limit -1", `scheme "ftp"`}},
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
		})
	}
}
